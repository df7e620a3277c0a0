/**
 * The intake benchmark's baseline: the least a queue-backed intake can do. Express 5, express.json, one
 * BullMQ Queue.add per request on the same Redis, 202 with the job id. No authentication, no validation,
 * no idempotency, no storage besides the job. Environment: REDIS_URL, PORT, HOST (127.0.0.1),
 * REDIS_PREFIX (bench-baseline).
 */
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const prefix = process.env.REDIS_PREFIX ?? 'bench-baseline';

const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue('transfers', { connection, prefix });

const app = express();
app.disable('x-powered-by');
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.post('/v1/transfers', express.json(), async (req, res, next) => {
  try {
    const job = await queue.add('transfer', req.body as unknown);
    res.status(202).json({ id: job.id });
  } catch (err) {
    next(err);
  }
});

const server = app.listen(port, host, (err?: Error) => {
  if (err) throw err;
  const { port: actual } = server.address() as AddressInfo;
  process.stdout.write(`baseline listening on http://${host}:${actual}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  void queue
    .close()
    .then(() => connection.quit())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
