/**
 * Nothing accepted is lost when the process dies between storing a transfer and queueing its job.
 * A real gateway process is killed (SIGKILL) at exactly that point; another gateway then delivers it.
 */
import { deliveryQueue } from '../helpers/partners.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryJobId } from '../../queues/names.js';
import { transferBody } from '../helpers/bodies.js';
import { freePort } from '../../scripts/lib/redis-server.js';
import { testEnv } from '../helpers/env.js';
import { api, KEYS, startTestGateway } from '../helpers/gateway.js';
import { testRedisClient } from '../helpers/redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let redis: Redis;

beforeAll(() => {
  redis = testRedisClient();
});
afterAll(async () => {
  await redis.quit();
});

async function waitForReady(url: string, child: { exitCode: number | null }): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited early with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gateway did not become ready');
}

describe('a crash between storing and queueing', () => {
  it('loses nothing: the stored transfer is queued by the next gateway, and a retry answers it', async () => {
    const port = await freePort();
    const env = testEnv({
      PORT: String(port),
      ROLE: 'api',
      LOG_LEVEL: 'warn',
      OUTBOX_GRACE_MS: '200',
      OUTBOX_SWEEP_MS: '100',
    });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './test/helpers/crash-before-enqueue.ts', 'src/main.ts'],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForReady(url, child);

    const body = transferBody({ externalRef: 'BJ-CRASH-1' }, 901);
    const attempt = api(url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      body,
      headers: { 'idempotency-key': 'crash-1' },
    });
    await expect(attempt).rejects.toThrow(); // the connection dies with the process: no 202 was given
    expect(await exited).toBe('SIGKILL');

    // The transfer is stored, in the outbox, and has no job.
    const prefix = env.REDIS_PREFIX!;
    const ids = await redis.zrange(`${prefix}:idx:ref:BJ-CRASH-1`, 0, -1);
    expect(ids).toHaveLength(1);
    const id = ids[0]!;
    expect(await redis.zscore(`${prefix}:outbox`, id)).not.toBeNull();
    const queue = new Queue(deliveryQueue('guangdong'), { connection: redis, prefix });
    expect(await queue.getJob(deliveryJobId(id, 1))).toBeUndefined();

    // Another gateway process (here in-process) heals it with no request at all: its relay queues the job.
    const gw = await startTestGateway({
      ROLE: 'api',
      REDIS_PREFIX: prefix,
      OUTBOX_GRACE_MS: '200',
      OUTBOX_SWEEP_MS: '100',
    });
    try {
      await expect
        .poll(async (): Promise<unknown> => (await queue.getJob(deliveryJobId(id, 1)))?.data, {
          timeout: 5_000,
        })
        .toEqual({
          transferId: id,
        });
      // The relay queues the job, then clears the outbox entry.
      await expect.poll(() => redis.zscore(`${prefix}:outbox`, id), { timeout: 5_000 }).toBeNull();
      expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });

      // Beijing retries its request with the same key: it gets the same transfer, no second one.
      const retry = await api(gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        body,
        headers: { 'idempotency-key': 'crash-1' },
      });
      expect(retry.status).toBe(202);
      expect(retry.body.id).toBe(id);
      expect(await redis.zcard(`${prefix}:idx:ref:BJ-CRASH-1`)).toBe(1);
      expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    } finally {
      await gw.close();
      await queue.close();
    }
  });

  it('a retry that reaches a gateway before the relay does queues the job itself before answering', async () => {
    // Simulate the crash's aftermath directly: a stored transfer still in the outbox, no job.
    const gw = await startTestGateway({ ROLE: 'api', OUTBOX_GRACE_MS: '600000', OUTBOX_SWEEP_MS: '600000' });
    const queue = new Queue(deliveryQueue('national'), { connection: redis, prefix: gw.config.REDIS_PREFIX });
    try {
      const body = transferBody(
        { externalRef: 'BJ-CRASH-2', destination: { provinceCode: '31', orgFullName: '共青团上海市委员会' } },
        902,
      );
      const first = await api(gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        body,
        headers: { 'idempotency-key': 'crash-2' },
      });
      const id = String(first.body.id);
      await queue.remove(deliveryJobId(id, 1));
      await redis.zadd(`${gw.config.REDIS_PREFIX}:outbox`, 0, id);
      expect(await queue.getJob(deliveryJobId(id, 1))).toBeUndefined();

      const retry = await api(gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        body,
        headers: { 'idempotency-key': 'crash-2' },
      });
      expect(retry.status).toBe(202);
      expect((await queue.getJob(deliveryJobId(id, 1)))?.data).toEqual({ transferId: id });
      expect(await gw.store.inOutbox(id)).toBe(false);
    } finally {
      await queue.close();
      await gw.close();
    }
  });
});
