/**
 * The queue dashboard over real HTTP: operator Basic auth on everything under /admin/queues, the five
 * queues with their counts, no queue change from a cross-site request, and the read-only mode.
 */
import { deliveryQueue } from '../helpers/partners.js';
import { builtInPartners } from '../../adapters/registry.js';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_QUEUE, NOTIFY_QUEUE } from '../../queues/names.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { testRedisClient } from '../helpers/redis.js';

const USER = 'ops';
const PASSWORD = 'dashboard-test-password';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const OPERATOR = basic(USER, PASSWORD);

let gw: TestGateway;
let readOnly: TestGateway;
let redis: Redis;
let maintenance: Queue;

async function call(base: string, method: string, path: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/admin/queues${path}`, { method, headers, redirect: 'manual' });
}

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  isPaused: boolean;
  readOnlyMode: boolean;
  description?: string;
}

async function boardQueues(base = gw.url): Promise<Map<string, BoardQueue>> {
  const res = await call(base, 'GET', '/api/queues', { authorization: OPERATOR });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { queues: BoardQueue[] };
  return new Map(body.queues.map((q) => [q.name, q]));
}

beforeAll(async () => {
  const env = { ROLE: 'api', OPS_USER: USER, OPS_PASSWORD: PASSWORD };
  gw = await startTestGateway(env);
  // Same file prefix, so the same queues, seen through a read-only dashboard.
  readOnly = await startTestGateway({ ...env, DASHBOARD_READ_ONLY: 'true' });
  redis = testRedisClient();
  // ROLE api runs no workers: every job added stays waiting.
  for (const [i, target] of (
    ['national', 'national', 'national', 'guangdong', 'guangdong', 'fujian'] as const
  ).entries()) {
    await gw.producer.enqueue(`trf_dash${i}`, target, 1);
  }
  await gw.notifications.enqueueNotification('trf_dash0', 1);
  maintenance = new Queue(MAINTENANCE_QUEUE, { connection: redis, prefix: gw.config.REDIS_PREFIX });
  await maintenance.add('watchdog', {});
});
afterAll(async () => {
  await Promise.all([gw?.close(), readOnly?.close()]);
  await maintenance?.close();
  await redis?.quit();
});

describe('operator authentication', () => {
  it('answers 401 with a Basic challenge without credentials or with wrong ones', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: basic(USER, 'wrong-password-123') },
      { authorization: basic('someone', PASSWORD) },
      { authorization: basic(`${USER}x`, PASSWORD) },
      { authorization: `Basic ${Buffer.from(`${USER}${PASSWORD}`).toString('base64')}` }, // no colon
      { authorization: 'Basic !!!not-base64' },
      { authorization: 'Bearer demo-ops-key-0123456789abc' }, // an API key is not an operator login
    ];
    for (const headers of attempts) {
      for (const path of ['', '/', '/api/queues']) {
        const res = await call(gw.url, 'GET', path, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe(
          'Basic realm="transfer-gateway operators", charset="UTF-8"',
        );
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      }
    }
  });

  it('serves the page with the right credentials, never framed nor cached', async () => {
    const res = await call(gw.url, 'GET', '/', { authorization: OPERATOR });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
    const html = await res.text();
    expect(html).toContain('<base href="/admin/queues/"');
    // The bare prefix answers too (curl -u ops:… http://host/admin/queues).
    expect((await call(gw.url, 'GET', '', { authorization: OPERATOR })).status).toBe(200);

    // bull-board's static assets sit behind the same login.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await call(gw.url, 'GET', `/${script}`)).status).toBe(401);
    const asset = await call(gw.url, 'GET', `/${script}`, { authorization: OPERATOR });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('no-store');
  });

  it('keeps the 401 challenge headers safe too', async () => {
    const res = await call(gw.url, 'GET', '/');
    expect(res.status).toBe(401);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the queues API', () => {
  it('lists all five queues with their counts', async () => {
    const queues = await boardQueues();
    expect([...queues.keys()].sort()).toEqual(
      [...builtInPartners.all().map((p) => p.queue), NOTIFY_QUEUE, MAINTENANCE_QUEUE].sort(),
    );
    expect(queues.get(deliveryQueue('national'))?.counts).toMatchObject({ waiting: 3 });
    expect(queues.get(deliveryQueue('guangdong'))?.counts).toMatchObject({ waiting: 2 });
    expect(queues.get(deliveryQueue('fujian'))?.counts).toMatchObject({ waiting: 1 });
    expect(queues.get(NOTIFY_QUEUE)?.counts).toMatchObject({ waiting: 1 });
    expect(queues.get(MAINTENANCE_QUEUE)?.counts).toMatchObject({ waiting: 1 });
    expect(queues.get(deliveryQueue('fujian'))?.description).toBe(
      `Deliveries to the ${builtInPartners.get('fujian').label}`,
    );
    for (const q of queues.values()) expect(q.readOnlyMode).toBe(false);
  });
});

describe('cross-site requests', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: none', { 'sec-fetch-site': 'none' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['Origin: null', { origin: 'null' }],
    ['a foreign Referer', { referer: 'https://evil.example/page' }],
    ['no same-origin signal at all', {}],
  ])('refuses a destructive call with %s: 403 CSRF_REJECTED, queue unchanged', async (_label, headers) => {
    const before = (await boardQueues()).get(deliveryQueue('fujian'));
    for (const action of ['pause', 'empty', 'clean/waiting', 'obliterate']) {
      const res = await call(gw.url, 'PUT', `/api/queues/${deliveryQueue('fujian')}/${action}`, {
        authorization: OPERATOR,
        ...headers,
      });
      expect(res.status, action).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 403, code: 'CSRF_REJECTED' });
    }
    const after = (await boardQueues()).get(deliveryQueue('fujian'));
    expect(after?.isPaused).toBe(false);
    expect(after?.counts).toEqual(before?.counts);
    expect(await gw.producer.queue('fujian').isPaused()).toBe(false);
    expect(await gw.producer.queue('fujian').getWaitingCount()).toBe(1);
  });

  it('asks for credentials first: a cross-site call without them gets 401', async () => {
    const res = await call(gw.url, 'PUT', `/api/queues/${deliveryQueue('fujian')}/pause`, {
      'sec-fetch-site': 'cross-site',
    });
    expect(res.status).toBe(401);
  });

  it('lets a same-origin call through: pause by fetch metadata, resume by Origin, then by Referer', async () => {
    const queue = gw.producer.queue('national');
    const path = `/api/queues/${deliveryQueue('national')}`;
    const paused = await call(gw.url, 'PUT', `${path}/pause`, {
      authorization: OPERATOR,
      'sec-fetch-site': 'same-origin',
      origin: gw.url,
    });
    expect(paused.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    expect((await boardQueues()).get(deliveryQueue('national'))?.isPaused).toBe(true);

    const resumed = await call(gw.url, 'PUT', `${path}/resume`, { authorization: OPERATOR, origin: gw.url });
    expect(resumed.status).toBe(200);
    expect(await queue.isPaused()).toBe(false);

    await call(gw.url, 'PUT', `${path}/pause`, { authorization: OPERATOR, 'sec-fetch-site': 'same-origin' });
    const byReferer = await call(gw.url, 'PUT', `${path}/resume`, {
      authorization: OPERATOR,
      referer: `${gw.url}/admin/queues/queue/${deliveryQueue('national')}`,
    });
    expect(byReferer.status).toBe(200);
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getWaitingCount()).toBe(3);
  });
});

describe('read-only mode', () => {
  it('shows the queues, flagged read-only', async () => {
    const queues = await boardQueues(readOnly.url);
    expect(queues.size).toBe(5);
    for (const q of queues.values()) expect(q.readOnlyMode).toBe(true);
    expect(queues.get(deliveryQueue('national'))?.counts).toMatchObject({ waiting: 3 });
  });

  it('refuses every change server-side, even from the same origin: 403 READ_ONLY', async () => {
    const calls: [string, string][] = [
      ['PUT', `/api/queues/${deliveryQueue('guangdong')}/pause`],
      ['PUT', `/api/queues/${deliveryQueue('guangdong')}/empty`],
      ['PUT', '/api/queues/pause'],
      ['POST', `/api/queues/${deliveryQueue('guangdong')}/add`],
      ['PATCH', `/api/queues/${deliveryQueue('guangdong')}/trf_dash3-g1/priority`],
    ];
    for (const [method, path] of calls) {
      const res = await call(readOnly.url, method, path, {
        authorization: OPERATOR,
        'sec-fetch-site': 'same-origin',
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toMatchObject({ status: 403, code: 'READ_ONLY' });
    }
    expect(await gw.producer.queue('guangdong').isPaused()).toBe(false);
    expect(await gw.producer.queue('guangdong').getWaitingCount()).toBe(2);
  });
});
