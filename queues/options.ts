/** Job and worker options in one place: retries, backoff, stall handling, how long jobs are kept. */
import type { JobsOptions, WorkerOptions } from 'bullmq';
import { JOB_RETENTION } from '../src/domain/retention.js';

/**
 * How workers treat a job whose worker died (its lock expired): it goes back to the queue and runs
 * again, however often that happens. BullMQ's default fails a job that stalled more than once, which
 * in a crash loop (an OOM-killed pod, a bad node) turns live work into failures that were never tried.
 * Every job here is safe to run again (partners dedupe by our transfer id; notifications by
 * webhook-id), and a transfer that itself kills its workers is bounded by the delivery's own count
 * (DELIVERY_MAX_CRASHES), not by the stall count. `lockMs` is JOB_LOCK_MS: a dead worker's jobs run
 * again within about twice that.
 */
export function stallOptions(
  lockMs: number,
): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> {
  return { lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 1_000_000 };
}

/** The strategy the delivery workers retry a processor that could not reach the store with. */
export const STORE_OUTAGE_BACKOFF = 'store-outage';

/**
 * The transfer record, not the job, is the history: finished jobs are trimmed by count and age so
 * Redis does not grow with the season (the bounds and their rules: src/domain/retention.ts). One retry policy: the delivery decides every retry itself
 * (partner attempts up to DELIVERY_MAX_ATTEMPTS, failures on our side up to DELIVERY_MAX_ERRORS, with
 * the one backoff of src/domain/backoff.ts) by delaying the job. BullMQ's attempts below only ever
 * count a processor that threw because the store was out of reach: retried with the same backoff for
 * as long as the outage lasts (and if they ever ran out, the watchdog queues the transfer again).
 */
export const deliveryJobOptions: JobsOptions = {
  attempts: 10_000,
  backoff: { type: STORE_OUTAGE_BACKOFF },
  removeOnComplete: JOB_RETENTION.deliveryCompleted,
  removeOnFail: JOB_RETENTION.deliveryFailed,
};

/**
 * Notifications are retried until Beijing acknowledges with a 2xx: many attempts on a capped
 * exponential backoff (the notification worker's `notify-backoff` strategy), about two days in all.
 * Exhausted ones are kept so operators can see and replay them, until their transfer expires (the
 * retention sweep removes them then) and at most JOB_RETENTION.notificationFailed of them.
 */
export const notificationJobOptions: JobsOptions = {
  attempts: 60,
  backoff: { type: 'notify-backoff' },
  removeOnComplete: JOB_RETENTION.notificationCompleted,
  removeOnFail: JOB_RETENTION.notificationFailed,
};
