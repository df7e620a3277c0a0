/**
 * The Beijing notification worker. Retries follow the `notify-backoff` strategy named in
 * notificationJobOptions: capped exponential with jitter, so a Beijing outage of hours is ridden out
 * without hammering it when it returns, and a Retry-After it sends is honoured (up to the cap).
 * After the last attempt the job stays in the failed set, where operators list and replay it.
 */
import { Worker, type BackoffStrategy } from 'bullmq';
import type { Keyspace } from '../src/redis-topology.js';
import type { RedisClient } from '../src/redis.js';
import type { NotificationDeps } from '../src/notify/deliver-notification.js';
import { backoffDelay } from '../src/domain/backoff.js';
import { NotificationDeliveryError } from '../src/notify/sender.js';
import { NOTIFY_QUEUE, type NotificationJobData } from './names.js';
import { notificationProcessor } from './processors/notify.js';
import { stallOptions } from './options.js';
import { reportWorkerError } from './worker-errors.js';
import type { OutageSink } from '../src/redis.js';

export interface NotificationWorkerOptions {
  connection: RedisClient;
  keys: Keyspace;
  concurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  lockMs?: number;
  outages: OutageSink;
}

export interface NotificationWorker {
  worker: Worker<NotificationJobData>;
  close(): Promise<void>;
}

/**
 * The `notify-backoff` strategy: the gateway's one backoff (src/domain/backoff.ts) with the
 * notification settings, honouring a Retry-After Beijing sent (up to the cap).
 */
export function notifyBackoff(
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): BackoffStrategy {
  return (attemptsMade, _type, err) => {
    const asked = err instanceof NotificationDeliveryError ? err.retryAfterMs : undefined;
    return backoffDelay(attemptsMade, { baseMs, maxMs }, asked, random);
  };
}

export function startNotificationWorker(
  deps: NotificationDeps,
  options: NotificationWorkerOptions,
): NotificationWorker {
  const {
    connection,
    keys,
    concurrency = 5,
    backoffBaseMs = 2_000,
    backoffMaxMs = 60 * 60_000,
    lockMs = 30_000,
  } = options;
  const worker = new Worker<NotificationJobData>(NOTIFY_QUEUE, notificationProcessor(deps), {
    connection,
    prefix: keys.queue(NOTIFY_QUEUE),
    concurrency,
    ...stallOptions(lockMs),
    settings: { backoffStrategy: notifyBackoff(backoffBaseMs, backoffMaxMs) },
  });
  worker.on('error', (err) => reportWorkerError(deps.log, options.outages, `worker:${NOTIFY_QUEUE}`, err));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const status = err instanceof NotificationDeliveryError ? err.status : undefined;
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1);
    const line = {
      jobId: job.id,
      transferId: job.data.transferId,
      seq: job.data.seq,
      attemptsMade: job.attemptsMade,
      status,
      reason: err.message,
    };
    if (exhausted)
      deps.log.error(
        line,
        'notification to Beijing exhausted its attempts; replay it from /v1/notifications',
      );
    else deps.log.warn(line, 'notification to Beijing failed; will retry');
  });
  return {
    worker,
    async close() {
      await worker.close();
    },
  };
}
