/**
 * The maintenance queue and its job schedulers. Schedulers live in Redis, so upserting them from every
 * worker process at start is idempotent: one schedule each, one run per tick.
 */
import { Queue, Worker } from 'bullmq';
import type { Keyspace } from '../src/redis-topology.js';
import type { RedisClient } from '../src/redis.js';
import type { Logger } from '../src/log.js';
import type { OutageSink } from '../src/redis.js';
import { isStoreUnavailable } from '../src/store/errors.js';
import { JOB_RETENTION } from '../src/domain/retention.js';
import { stallOptions } from './options.js';
import { reportWorkerError } from './worker-errors.js';
import { MAINTENANCE_QUEUE } from './names.js';
import { maintenanceProcessor, type MaintenanceDeps, type MaintenanceJob } from './processors/maintenance.js';

export interface ScheduleIntervals {
  reconcileMs: number;
  localReportsMs: number;
  watchdogMs: number;
  retentionMs: number;
}

export interface Maintenance {
  queue: Queue;
  worker: Worker;
  close(): Promise<void>;
}

/** The maintenance queue with its job defaults (the workers' and the dashboard's Queue alike). */
export function createMaintenanceQueue(connection: RedisClient, keys: Keyspace): Queue {
  return new Queue(MAINTENANCE_QUEUE, {
    connection,
    prefix: keys.queue(MAINTENANCE_QUEUE),
    defaultJobOptions: {
      removeOnComplete: JOB_RETENTION.maintenanceCompleted,
      removeOnFail: JOB_RETENTION.maintenanceFailed,
    },
  });
}

export async function startMaintenance(
  deps: MaintenanceDeps,
  intervals: ScheduleIntervals,
  options: { connection: RedisClient; keys: Keyspace; log: Logger; lockMs: number; outages: OutageSink },
): Promise<Maintenance> {
  const { connection, keys, log, outages } = options;
  const queue = createMaintenanceQueue(connection, keys);
  queue.on('error', (err) => {
    if (!outages.noteOutage(`queue:${MAINTENANCE_QUEUE}`, err)) log.error({ err }, 'maintenance queue error');
  });
  const every: Record<MaintenanceJob, number> = {
    reconcile: intervals.reconcileMs,
    'local-reports': intervals.localReportsMs,
    watchdog: intervals.watchdogMs,
    retention: intervals.retentionMs,
  };
  for (const [name, ms] of Object.entries(every)) {
    await queue.upsertJobScheduler(name, { every: ms }, { name });
  }
  const worker = new Worker(MAINTENANCE_QUEUE, maintenanceProcessor(deps), {
    connection,
    prefix: keys.queue(MAINTENANCE_QUEUE),
    concurrency: 1,
    ...stallOptions(options.lockMs),
  });
  worker.on('failed', (job, err) => {
    // A pass cut short by a store outage is simply run again at the next tick.
    if (isStoreUnavailable(err)) log.warn({ job: job?.name, err: err.message }, 'maintenance pass cut short');
    else log.error({ err, job: job?.name }, 'maintenance job failed');
  });
  worker.on('error', (err) => reportWorkerError(log, outages, `worker:${MAINTENANCE_QUEUE}`, err));
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
