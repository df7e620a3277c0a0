/**
 * Delivery workers: one BullMQ Worker per partner. When a partner's breaker opens in this process, the
 * target's whole queue is paused in Redis for the breaker's reset time (BullMQ's shared rate limit),
 * so workers in every process stop taking that partner's jobs, and the half-open probe decides.
 */
import { Worker } from 'bullmq';
import type { Keyspace } from '../src/redis-topology.js';
import type { RedisClient } from '../src/redis.js';
import type { Partner } from '../src/delivery/partner-set.js';
import type { Target } from '../src/domain/transfer.js';
import type { Metrics } from '../src/metrics.js';
import type { OutageSink } from '../src/redis.js';
import type { DeliveryDeps } from '../src/usecases/deliver-transfer.js';
import type { DeliveryJobData } from './names.js';
import { stallOptions } from './options.js';
import { backoffDelay } from '../src/domain/backoff.js';
import { reportWorkerError } from './worker-errors.js';
import { deliveryProcessor } from './processors/deliver.js';

export interface DeliveryWorkerOptions {
  metrics?: Metrics;
  connection: RedisClient;
  keys: Keyspace;
  concurrency: number;
  breakerResetMs: number;
  /** JOB_LOCK_MS: how long a dead worker's jobs stay locked before they run again. */
  lockMs: number;
  outages: OutageSink;
}

export interface DeliveryWorkers {
  workers: Readonly<Record<Target, Worker<DeliveryJobData>>>;
  close(): Promise<void>;
}

export function startDeliveryWorkers(deps: DeliveryDeps, options: DeliveryWorkerOptions): DeliveryWorkers {
  const make = (partner: Partner): Worker<DeliveryJobData> => {
    const target = partner.id;
    // The processor needs its own worker (to pause the queue); it only asks once jobs run.
    const ref: { worker?: Worker<DeliveryJobData> } = {};
    const processor = deliveryProcessor(deps, () => {
      if (!ref.worker) throw new Error('worker not started');
      return ref.worker;
    });
    const w = new Worker<DeliveryJobData>(partner.queue, processor, {
      connection: options.connection,
      prefix: options.keys.queue(partner.queue),
      concurrency: options.concurrency,
      ...stallOptions(options.lockMs),
      // While a breaker holds the queue, look again every few seconds rather than sleeping through the
      // whole pause: a stop (SIGTERM) then waits seconds, not the breaker's reset time.
      maximumRateLimitDelay: 5_000,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          backoffDelay(attemptsMade, {
            baseMs: deps.settings.backoffBaseMs,
            maxMs: deps.settings.backoffMaxMs,
          }),
      },
    });
    ref.worker = w;
    options.metrics?.watchWorker(w);
    w.on('error', (err) => reportWorkerError(deps.log, options.outages, `worker:${w.name}`, err, { target }));
    partner.caller.onStateChange((state) => {
      if (state !== 'open') return;
      w.rateLimit(options.breakerResetMs).catch((err: unknown) =>
        deps.log.error({ err, target }, 'could not pause the queue for an open breaker'),
      );
    });
    return w;
  };
  const workers: Record<Target, Worker<DeliveryJobData>> = Object.fromEntries(
    deps.partners.all().map((p) => [p.id, make(p)]),
  );
  return {
    workers,
    async close() {
      await Promise.all(Object.values(workers).map((w) => w.close()));
    },
  };
}
