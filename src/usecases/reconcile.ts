/**
 * Reconciliation: callbacks get lost. Transfers that have waited longer than a set time without news
 * are looked up at their partner, and what the partner says is applied through the same code as a
 * callback (source `reconciliation`). A lost callback heals without an operator.
 */
import type { Capabilities, PartnerStatus } from '../../adapters/adapter.js';
import { PartnerError } from '../../adapters/errors.js';
import type { Clock } from '../clock.js';
import { BreakerOpenError } from '../delivery/partner-caller.js';
import type { PartnerSet } from '../delivery/partner-set.js';
import type { TransferState } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import { factFields } from '../store/facts.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';
import { applyPartnerWord, type ApplyDeps, type PartnerWord } from './apply-partner-event.js';

export interface ReconcileDeps extends ApplyDeps {
  store: TransferStore;
  partners: PartnerSet;
  clock: Clock;
  log: Logger;
  /** Ask about a transfer once it has had no news for this long. */
  staleAfterMs: number;
}

export interface ReconcileReport {
  checked: number;
  applied: number;
  unchanged: number;
  errors: number;
}

const WAITING: readonly TransferState[] = ['submitted', 'awaiting_local_report'];

/** What the partner's status says, as the words a callback would have carried. */
export function wordsFor(status: PartnerStatus, can: Capabilities): PartnerWord[] {
  const base = {
    ...(status.partnerRef ? { partnerRef: status.partnerRef } : {}),
    ...(status.reason ? { reason: status.reason } : {}),
    ...(status.at ? { at: status.at } : {}),
  };
  const words: PartnerWord[] = [];
  switch (status.status) {
    case 'approved':
      words.push({ type: 'approved', ...base });
      break;
    case 'awaiting_local_report':
      // Approved, the member still to report locally: only a partner with local reporting says so.
      if (can.localReport) words.push({ type: 'approved', ...base });
      break;
    case 'local_report_completed':
      words.push({ type: 'local_report_completed', ...base });
      break;
    case 'rejected':
      words.push({ type: 'rejected', ...base });
      break;
    case 'expired':
      words.push({ type: 'expired', ...base });
      break;
    default:
      break;
  }
  if (status.accountCreated && can.accountCreation) words.push({ type: 'account_created', ...base });
  return words;
}

export async function reconcileTransfer(
  deps: ReconcileDeps,
  t: StoredTransfer,
): Promise<'applied' | 'unchanged'> {
  const { adapter, caller, capabilities } = deps.partners.get(t.doc.target);
  const ref = { transferId: t.doc.id, ...(t.facts.partnerRef ? { partnerRef: t.facts.partnerRef } : {}) };
  const status = await caller.call('status', (signal) => adapter.fetchStatus(ref, { signal }));
  let applied = false;
  let current = t;
  for (const word of wordsFor(status, capabilities)) {
    const result = await applyPartnerWord(deps, current, word, 'reconciliation');
    if (result.result === 'applied') {
      applied = true;
      current = (await deps.store.get(t.doc.id)) ?? current;
    }
  }
  // Bookkeeping only: no event, no version, so an unchanged lookup does not grow the history.
  await deps.store.setFields(t.doc.id, factFields({ lastReconciledAt: deps.clock.now().toISOString() }));
  return applied ? 'applied' : 'unchanged';
}

/** One pass over the waiting transfers, at most `max` partner lookups. */
export async function reconcileStale(deps: ReconcileDeps, max = 200): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, applied: 0, unchanged: 0, errors: 0 };
  const now = deps.clock.now().getTime();
  for (const state of WAITING) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.list({ state }, 200, cursor);
      cursor = page.next;
      for (const t of page.items) {
        if (report.checked >= max) return report;
        const lastNews = Math.max(Date.parse(t.updatedAt), Date.parse(t.facts.lastReconciledAt ?? '') || 0);
        if (now - lastNews < deps.staleAfterMs) continue;
        if (!deps.partners.has(t.doc.target) || deps.partners.get(t.doc.target).caller.state === 'open')
          continue;
        report.checked += 1;
        try {
          report[await reconcileTransfer(deps, t)] += 1;
        } catch (err) {
          if (!(err instanceof PartnerError || err instanceof BreakerOpenError)) throw err;
          report.errors += 1;
          deps.log.warn(
            { transferId: t.doc.id, code: err instanceof PartnerError ? err.code : 'BREAKER_OPEN' },
            'reconciliation lookup failed',
          );
        }
      }
    } while (cursor);
  }
  return report;
}
