/**
 * Redis goes away (SIGKILL, no shutdown) under a real gateway process and comes back from its AOF:
 * every route that needs the store answers 503 SERVICE_UNAVAILABLE problem+json with Retry-After, never
 * 500; /readyz says not ready; each connection logs the outage once as a JSON line (no raw "Unhandled
 * error event" stacks on stderr); and without a restart of the gateway everything resumes: what was
 * accepted before is still there and delivered, and new transfers are accepted and delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookHeaders } from '../../src/webhooks/standard-webhooks.js';
import { transferBody } from '../helpers/bodies.js';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { KEYS } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

let cluster: Cluster;
let gw: GatewayProcess;

beforeAll(async () => {
  cluster = await startCluster({ env: { JOB_LOCK_MS: '3000' } });
  gw = await cluster.spawn('all');
}, 60_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

const destinations = [
  { provinceCode: '31', orgFullName: '共青团上海市委员会' },
  { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
  { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' },
];

let n = 0;
async function post(key = `so-${++n}`): Promise<Response> {
  return fetch(`${gw.url}/v1/transfers`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${KEYS.beijing}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(
      transferBody({ externalRef: `BJ-SO-${n}`, destination: destinations[n % 3] }, 7000 + n),
    ),
  });
}

function partnerHolds(id: string): boolean {
  const { national, guangdong, fujian } = cluster.partners;
  return [national, guangdong, fujian].some((p) => p.state.records.has(id));
}

describe('Redis killed and restarted under a running gateway', () => {
  it('answers 503 with Retry-After everywhere while it is gone, logs it once, and resumes on its own', async () => {
    const before: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post();
      expect(res.status).toBe(202);
      before.push(String(((await res.json()) as { id: string }).id));
    }
    await until('the partners to hold the first transfers', () => before.every(partnerHolds), 20_000);

    await cluster.killRedis();
    await until('readyz to say not ready', async () => (await fetch(`${gw.url}/readyz`)).status === 503);
    const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ status: 'not_ready', checks: { redis: { ok: false } } });

    const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: before[0] } });
    const signed = webhookHeaders(
      cluster.env.CALLBACK_SECRETS_NATIONAL!.split(',')[0]!,
      'msg_outage_1',
      body,
    );
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const basic = { authorization: `Basic ${Buffer.from('ops:demo-ops-password').toString('base64')}` };
    const requests: [string, string, RequestInit][] = [
      ['POST', '/v1/transfers', {}],
      ['GET', '/v1/transfers', { headers: bearer(KEYS.beijing) }],
      ['GET', `/v1/transfers/${before[0]}`, { headers: bearer(KEYS.beijing) }],
      ['POST', `/v1/transfers/${before[1]}/cancel`, { headers: bearer(KEYS.beijing) }],
      ['POST', `/v1/transfers/${before[1]}/retry`, { headers: bearer(KEYS.ops) }],
      ['GET', '/v1/orgs/check?provinceCode=31&fullName=x', { headers: bearer(KEYS.beijing) }],
      ['GET', '/v1/orgs/search?provinceCode=44&q=x', { headers: bearer(KEYS.beijing) }],
      [
        'POST',
        '/v1/callbacks/national',
        { headers: { 'content-type': 'application/json', ...signed }, body },
      ],
      ['GET', '/v1/notifications', { headers: bearer(KEYS.ops) }],
      ['GET', '/v1/ops/targets', { headers: bearer(KEYS.ops) }],
      ['POST', '/v1/ops/targets/national/pause', { headers: bearer(KEYS.ops) }],
      ['GET', '/admin/queues/api/queues', { headers: basic }],
    ];
    for (const [method, path, init] of requests) {
      const res =
        method === 'POST' && path === '/v1/transfers'
          ? await post()
          : await fetch(`${gw.url}${path}`, { method, ...init });
      const problem = (await res.json()) as Record<string, unknown>;
      expect({ method, path, status: res.status, code: problem.code }).toEqual({
        method,
        path,
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // What needs no store still answers.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(200);
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(
      /tgw_redis_connected\{connection="store"\} 0/,
    );
    // Intake keeps refusing cleanly for a while (the gateway retries its connections meanwhile).
    for (let i = 0; i < 5; i++) expect((await post()).status).toBe(503);

    await cluster.restartRedis();
    await until('readyz to be ready again', async () => (await fetch(`${gw.url}/readyz`)).ok, 20_000);
    const after = await post();
    expect(after.status).toBe(202);
    const afterId = String(((await after.json()) as { id: string }).id);
    await until('the new transfer to reach its partner', () => partnerHolds(afterId), 20_000);
    for (const id of before) {
      const res = await fetch(`${gw.url}/v1/transfers/${id}`, { headers: bearer(KEYS.beijing) });
      expect(res.status).toBe(200);
    }

    // The outage is told in structured lines, once per connection, and nothing else.
    expect(gw.stray).toEqual([]);
    const errors = gw.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
    expect(errors).toEqual([]);
    const lost = gw.logs.filter((l) => l.msg === 'redis unreachable; retrying').map((l) => String(l.redis));
    expect(lost.length).toBeGreaterThan(0);
    expect(new Set(lost).size).toBe(lost.length); // once per connection, not per command or attempt
    const back = gw.logs.filter((l) => l.msg === 'redis reachable again').map((l) => String(l.redis));
    expect(new Set(back)).toEqual(new Set(lost));
  }, 120_000);
});
