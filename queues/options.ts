/** Job options in one place: retries, backoff, and how long finished jobs are kept. */
import type { JobsOptions } from 'bullmq';

/**
 * The transfer record, not the job, is the history: finished jobs are trimmed by count and age so
 * Redis does not grow with the season.
 */
export const deliveryJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
};

/**
 * Notifications are retried until Beijing acknowledges with a 2xx: many attempts on a capped
 * exponential backoff (the notification worker's `notify-backoff` strategy), about two days in all.
 * Exhausted ones are kept (removeOnFail: false) so operators can see and replay them.
 */
export const notificationJobOptions: JobsOptions = {
  attempts: 60,
  backoff: { type: 'notify-backoff' },
  removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
  removeOnFail: false,
};
