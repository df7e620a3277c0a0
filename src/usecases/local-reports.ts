/**
 * Local reporting (当地团员报到): a move to a partner whose members report locally (Guangdong, Fujian)
 * completes only when the member reports in
 * that province's system, and members forget. Each pass reminds Beijing on the configured days after
 * submission and flags the transfer overdue once the deadline passes (visible on the transfer and in
 * the list filter `overdue=true`). Reminders and the flag are each applied at most once, however many
 * worker processes run the pass.
 */
import type { Clock } from '../clock.js';
import { LOCAL_REPORT_MARKER_SECONDS } from '../domain/retention.js';
import type { Logger } from '../log.js';
import { factFields, type LocalReport } from '../store/facts.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';
import type { PartnerSet } from '../delivery/partner-set.js';
import type { Transitions } from './transitions.js';

export type { LocalReport };

export interface LocalReportDeps {
  store: TransferStore;
  /** Where each partner's members report (its member portal). */
  partners: Pick<PartnerSet, 'has' | 'get'>;
  transitions: Transitions;
  clock: Clock;
  log: Logger;
  /** Days after submission on which Beijing is reminded, e.g. [7, 14, 21]. */
  reminderDays: readonly number[];
  dueDays: number;
}

const DAY = 86_400_000;

/** The dedupe keys of a transfer's reminders and overdue flag (deleted with it when it expires). */
export const reminderMarker = (transferId: string, day: number) => `reminder:${transferId}:${day}`;
export const overdueMarker = (transferId: string) => `overdue:${transferId}`;

/** The local report a transfer starts to wait for when its partner (one with local reporting) holds it. */
export function pendingLocalReport(now: Date, dueDays: number): LocalReport {
  return {
    status: 'pending',
    since: now.toISOString(),
    dueAt: new Date(now.getTime() + dueDays * DAY).toISOString(),
    overdue: false,
  };
}

/**
 * Where the member reports: the destination system's member portal (its home page), or the receiving
 * organisation, which can tell the member how. Sent with every reminder and the overdue notice, so
 * Beijing can tell the member what to do, not only that something is due.
 */
export function whereToReport(
  deps: Pick<LocalReportDeps, 'partners'>,
  t: StoredTransfer,
): { system?: string; url?: string; organisation: string; message: string } {
  const portal = deps.partners.has(t.doc.target) ? deps.partners.get(t.doc.target).memberPortal : undefined;
  const organisation = t.facts.resolvedOrg?.fullName ?? t.doc.destination.orgFullName;
  const system = portal?.name;
  const message = system
    ? `请登录${system}首页完成当地团员报到，或向待转入团组织（${organisation}）咨询。`
    : `请向待转入团组织（${organisation}）咨询当地团员报到。`;
  return {
    ...(system ? { system } : {}),
    ...(portal?.url ? { url: portal.url } : {}),
    organisation,
    message,
  };
}

export async function trackLocalReports(
  deps: LocalReportDeps,
): Promise<{ reminded: number; flagged: number }> {
  let reminded = 0;
  let flagged = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.list({ state: 'awaiting_local_report' }, 200, cursor);
    cursor = page.next;
    for (const t of page.items) {
      const report = t.facts.localReport;
      if (report?.status !== 'pending') continue;
      const now = deps.clock.now();
      const due = Date.parse(report.dueAt);
      const since = report.since ? Date.parse(report.since) : due - deps.dueDays * DAY;

      if (now.getTime() >= due) {
        if (report.overdue) continue;
        const next: LocalReport = { ...report, overdue: true };
        const outcome = await deps.transitions.apply(t.doc.id, {
          from: ['awaiting_local_report'],
          event: {
            at: now.toISOString(),
            type: 'local_report_overdue',
            source: 'worker',
            detail: { dueAt: report.dueAt },
          },
          set: factFields({ localReport: next }),
          notify: {
            type: 'member.local_report_overdue',
            detail: { dueAt: report.dueAt, reportAt: whereToReport(deps, t) },
          },
          dedupe: { key: overdueMarker(t.doc.id), ttlSeconds: LOCAL_REPORT_MARKER_SECONDS },
        });
        if (outcome.ok) {
          await deps.store.addToOverdueIndex(t.doc.id);
          flagged += 1;
        }
        continue;
      }

      const sent = new Set(report.remindersSent ?? []);
      const dueReminder = [...deps.reminderDays]
        .sort((a, b) => b - a)
        .find((d) => !sent.has(d) && now.getTime() >= since + d * DAY);
      if (dueReminder === undefined) continue;
      // Days passed together (a paused tracker) collapse into one reminder: the latest one.
      for (const d of deps.reminderDays) if (d <= dueReminder) sent.add(d);
      const next: LocalReport = { ...report, remindersSent: [...sent].sort((a, b) => a - b) };
      const detail = { day: dueReminder, dueAt: report.dueAt };
      const outcome = await deps.transitions.apply(t.doc.id, {
        from: ['awaiting_local_report'],
        event: { at: now.toISOString(), type: 'local_report_reminder', source: 'worker', detail },
        set: factFields({ localReport: next }),
        notify: {
          type: 'member.local_report_reminder',
          detail: { ...detail, reportAt: whereToReport(deps, t) },
        },
        dedupe: { key: reminderMarker(t.doc.id, dueReminder), ttlSeconds: LOCAL_REPORT_MARKER_SECONDS },
      });
      if (outcome.ok) reminded += 1;
    }
  } while (cursor);
  if (reminded || flagged) deps.log.info({ reminded, flagged }, 'local reporting tracked');
  return { reminded, flagged };
}
