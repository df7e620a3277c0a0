/**
 * What a BullMQ worker's `error` event means, and how loud to say it. A store outage is logged once by
 * the connection monitor. A lost job lock is what an outage (or a stalled event loop) leaves behind:
 * the job is taken up again by the stalled-job check and runs once more, which every job here allows,
 * so it is a warning, not an error. Anything else is an error.
 */
import type { Logger } from '../src/log.js';
import type { OutageSink } from '../src/redis.js';

/** BullMQ's words when a worker no longer holds a job's lock (ErrorCode -2 and the lock renewal). */
export function isLockLost(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.message.startsWith('could not renew lock for job') ||
    err.message.startsWith('Missing lock for job') ||
    (err as { code?: unknown }).code === -2
  );
}

export function reportWorkerError(
  log: Logger,
  outages: OutageSink,
  source: string,
  err: unknown,
  fields: Record<string, unknown> = {},
): void {
  if (outages.noteOutage(source, err)) return;
  if (isLockLost(err)) {
    log.warn(
      { ...fields, worker: source, err: err instanceof Error ? err.message : String(err) },
      'a job lock was lost (the job runs again)',
    );
    return;
  }
  log.error({ ...fields, worker: source, err }, 'worker error');
}
