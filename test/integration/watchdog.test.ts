/**
 * No transfer is left in `accepted` with no live job behind it: the watchdog re-queues a transfer whose
 * job vanished or ended without deciding it (BullMQ failing a job is not the transfer failing), and
 * fails only a transfer that already spent every partner attempt.
 */
import { deliveryQueue } from '../helpers/partners.js';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryJobId } from '../../queues/names.js';
import { transferBody } from '../helpers/bodies.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { testRedisClient } from '../helpers/redis.js';

let gw: TestGateway;
let redis: Redis;
let queue: Queue;
let n = 0;

async function post(): Promise<string> {
  n += 1;
  const res = await api(gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      { externalRef: `BJ-WD-${n}`, destination: { provinceCode: '35', orgFullName: '共青团福州市委员会' } },
      600 + n,
    ),
    headers: { 'idempotency-key': `wd-${n}` },
  });
  return String(res.body.id);
}

beforeAll(async () => {
  // ROLE=api: no delivery worker takes the jobs, so the test decides what happens to them.
  gw = await startTestGateway({ ROLE: 'api', WATCHDOG_MIN_AGE_MS: '0' });
  redis = testRedisClient();
  queue = new Queue(deliveryQueue('fujian'), { connection: redis, prefix: gw.config.REDIS_PREFIX });
});
afterAll(async () => {
  await queue.close();
  await gw.close();
  await redis.quit();
});

describe('the delivery watchdog', () => {
  it('re-queues an accepted transfer whose job is gone', async () => {
    const id = await post();
    await queue.remove(deliveryJobId(id, 1));
    expect(await queue.getJob(deliveryJobId(id, 1))).toBeUndefined();
    expect(await gw.watchdog.sweep()).toMatchObject({ requeued: 1, failed: 0 });
    expect((await queue.getJob(deliveryJobId(id, 1)))?.data).toEqual({ transferId: id });
    const t = await gw.store.get(id);
    expect(t?.state).toBe('accepted');
    expect(t?.events.map((e) => e.type)).toContain('requeued');
    expect(await gw.watchdog.sweep()).toMatchObject({ requeued: 0, failed: 0 }); // its job is waiting now
  });

  it('re-queues, never fails, a transfer whose job BullMQ ended without deciding it', async () => {
    const id = await post();
    // BullMQ fails a job on its own terms, e.g. "job stalled more than allowable limit" in a crash loop.
    const worker = new Worker(
      deliveryQueue('fujian'),
      () => Promise.reject(new UnrecoverableError('job stalled more than allowable limit')),
      { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: gw.config.REDIS_PREFIX },
    );
    try {
      await expect
        .poll(async () => queue.getJobState(deliveryJobId(id, 1)), { timeout: 5_000 })
        .toBe('failed');
    } finally {
      await worker.close();
    }
    const report = await gw.watchdog.sweep();
    expect(report).toMatchObject({ failed: 0 });
    expect(report.requeued).toBeGreaterThanOrEqual(1);
    const t = await gw.store.get(id);
    expect(t?.state).toBe('accepted');
    const requeued = t?.events.find((e) => e.type === 'requeued');
    expect(requeued?.detail).toMatchObject({
      why: expect.stringContaining('stalled more than allowable limit'),
    });
    // The same job id runs again, fresh.
    expect(await queue.getJobState(deliveryJobId(id, 1))).toBe('waiting');
    expect(await gw.watchdog.sweep()).toMatchObject({ requeued: 0, failed: 0 });
  });

  it('re-queues a transfer whose job completed while the transfer stayed accepted', async () => {
    const id = await post();
    const worker = new Worker(deliveryQueue('fujian'), () => Promise.resolve('lost its write'), {
      connection: redis.duplicate({ maxRetriesPerRequest: null }),
      prefix: gw.config.REDIS_PREFIX,
    });
    try {
      await expect
        .poll(async () => queue.getJobState(deliveryJobId(id, 1)), { timeout: 5_000 })
        .toBe('completed');
    } finally {
      await worker.close();
    }
    expect((await gw.watchdog.sweep()).requeued).toBeGreaterThanOrEqual(1);
    expect(await queue.getJobState(deliveryJobId(id, 1))).toBe('waiting');
    expect((await gw.store.get(id))?.state).toBe('accepted');
  });

  it('fails with RETRIES_EXHAUSTED only a stranded transfer that already spent every attempt', async () => {
    const id = await post();
    await queue.remove(deliveryJobId(id, 1));
    await redis.hset(
      `${gw.config.REDIS_PREFIX}:trf:${id}`,
      'partnerFailures',
      String(gw.config.DELIVERY_MAX_ATTEMPTS),
    );
    const report = await gw.watchdog.sweep();
    expect(report.failed).toBeGreaterThanOrEqual(1);
    const t = await gw.store.get(id);
    expect(t?.state).toBe('failed');
    expect(t?.facts.lastError).toMatchObject({
      code: 'RETRIES_EXHAUSTED',
      message: expect.stringContaining('delivery job missing'),
    });
    // An operator's retry starts a new generation with a job of its own.
    const retry = await api(gw.url, 'POST', `/v1/transfers/${id}/retry`, { key: KEYS.ops });
    expect(retry.status).toBe(202);
    expect((await queue.getJob(deliveryJobId(id, 2)))?.data).toEqual({ transferId: id });
  });
});
