/**
 * The delivery benchmark's baseline: a bare BullMQ worker that does nothing with each job, at the same
 * concurrency as the gateway's delivery worker. Environment: REDIS_URL, REDIS_PREFIX, QUEUE, CONCURRENCY.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const worker = new Worker(process.env.QUEUE ?? 'noop', () => Promise.resolve(undefined), {
  connection,
  prefix: process.env.REDIS_PREFIX ?? 'bench-noop',
  concurrency: Number(process.env.CONCURRENCY ?? 8),
});
void worker.waitUntilReady().then(() => process.stdout.write('noop worker ready\n'));
const stop = () => {
  void worker
    .close()
    .then(() => connection.quit())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
