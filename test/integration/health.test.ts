/** /healthz and /readyz, including the refusal to be ready on a Redis that may evict queue data. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../scripts/lib/redis-server.js';
import { api, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ ROLE: 'api' });
});
afterAll(async () => {
  await gw.close();
});

describe('health', () => {
  it('healthz answers while the process lives; readyz when Redis is usable', async () => {
    expect((await api(gw.url, 'GET', '/healthz')).status).toBe(200);
    const ready = await api(gw.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: {
        redis: { ok: true },
        partners: {
          ok: true,
          detail: { national: 'breaker closed', guangdong: 'breaker closed', fujian: 'breaker closed' },
        },
      },
    });
  });

  describe('on a Redis whose maxmemory-policy is not noeviction', () => {
    let dir: string;
    let other: RedisHandle;
    let lru: TestGateway;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tgw-lru-'));
      other = await startRedis({ dir, loglevel: 'warning' });
      const admin = new Redis(other.url);
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await admin.quit();
      lru = await startTestGateway({ REDIS_URL: other.url, ROLE: 'api' });
    });
    afterAll(async () => {
      await lru.close();
      await other.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses readiness and says why', async () => {
      const res = await api(lru.url, 'GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: 'not_ready',
        checks: { redis: { ok: false, detail: expect.stringMatching(/allkeys-lru.*must be noeviction/) } },
      });
      expect((await api(lru.url, 'GET', '/healthz')).status).toBe(200);
    });
  });
});
