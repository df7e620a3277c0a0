/**
 * Finished transfers by when they finished, for operators to export before they expire: a page at a
 * time, oldest first, filtered by state and target. The caller shows them without personal data.
 */
import { AppError } from '../domain/errors.js';
import type { Target, TransferState } from '../domain/transfer.js';
import type { RetentionStore } from '../store/retention-store.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';

export interface FinishedQuery {
  state?: TransferState;
  target?: Target;
  /** Finished at or after (default: the beginning). */
  since?: Date;
  /** Finished before (default: now and later). */
  until?: Date;
  cursor?: string;
  limit: number;
}

export interface FinishedPage {
  items: StoredTransfer[];
  next?: string;
  /** Finished transfers this page read (before the state and target filters), for progress. */
  scanned: number;
  /** Finished transfers in the whole time range (before the state and target filters). */
  total: number;
}

export async function finishedTransfers(
  deps: { store: TransferStore; retention: RetentionStore },
  q: FinishedQuery,
): Promise<FinishedPage> {
  const sinceMs = q.since?.getTime() ?? 0;
  const untilMs = q.until?.getTime() ?? Number.MAX_SAFE_INTEGER;
  if (untilMs <= sinceMs) {
    throw new AppError('invalid', 'VALIDATION_FAILED', 'query.until: must be after since', [
      { path: 'query.until', message: 'must be after since', code: 'VALIDATION_FAILED' },
    ]);
  }
  const [page, total] = await Promise.all([
    deps.retention.finished(sinceMs, untilMs, q.limit, q.cursor),
    deps.retention.finishedCount(sinceMs, untilMs),
  ]);
  // With their timelines: an export is the record that outlives the store.
  const found = await Promise.all(page.items.map((i) => deps.store.get(i.id)));
  const items = found.filter(
    (t): t is StoredTransfer =>
      t !== null && (!q.state || t.state === q.state) && (!q.target || t.doc.target === q.target),
  );
  return { items, scanned: page.items.length, total, ...(page.next ? { next: page.next } : {}) };
}
