/**
 * Local reporting (当地团员报到): a Guangdong or Fujian move completes only when the member reports in
 * that province's system, and members forget. Each pass reminds Beijing on the configured days after
 * submission and flags the transfer overdue once the deadline passes (visible on the transfer and in
 * the list filter `overdue=true`). Reminders and the flag are each applied at most once, however many
 * worker processes run the pass.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { TransferStore } from '../store/transfer-store.js';
import type { Transitions } from './transitions.js';

export interface LocalReport {
  status: 'pending' | 'completed';
  dueAt: string;
  since?: string;
  overdue: boolean;
  remindersSent?: number[];
  completedAt?: string;
}

export interface LocalReportDeps {
  store: TransferStore;
  transitions: Transitions;
  clock: Clock;
  log: Logger;
  /** Days after submission on which Beijing is reminded, e.g. [7, 14, 21]. */
  reminderDays: readonly number[];
  dueDays: number;
}

const DAY = 86_400_000;

/** The local report a Guangdong/Fujian transfer starts to wait for when its partner holds it. */
export function pendingLocalReport(now: Date, dueDays: number): LocalReport {
  return {
    status: 'pending',
    since: now.toISOString(),
    dueAt: new Date(now.getTime() + dueDays * DAY).toISOString(),
    overdue: false,
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
      if (!t.fields.localReport) continue;
      const report = JSON.parse(t.fields.localReport) as LocalReport;
      if (report.status !== 'pending') continue;
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
          set: { localReport: JSON.stringify(next) },
          notify: { type: 'member.local_report_overdue', detail: { dueAt: report.dueAt } },
          dedupe: { key: `overdue:${t.doc.id}`, ttlSeconds: 400 * 86_400 },
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
        set: { localReport: JSON.stringify(next) },
        notify: { type: 'member.local_report_reminder', detail },
        dedupe: { key: `reminder:${t.doc.id}:${dueReminder}`, ttlSeconds: 400 * 86_400 },
      });
      if (outcome.ok) reminded += 1;
    }
  } while (cursor);
  if (reminded || flagged) deps.log.info({ reminded, flagged }, 'local reporting tracked');
  return { reminded, flagged };
}
