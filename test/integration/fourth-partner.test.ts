/**
 * A fourth partner that lives entirely in the tests (test/partners/hainan), registered through the
 * registry alone — `new PartnerRegistry([...BUILT_IN_PARTNERS, hainanPartner])` — and taken through the
 * real gateway over real HTTP: intake and routing, delivery on its own queue, its simulator's signed
 * callback, Beijing's notifications, the operators' views (targets, metrics, dashboard), the org
 * endpoints by capability, callbacks kept to their partner, and routing as data.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PARTNERS, PartnerRegistry } from '../../adapters/registry.js';
import type { SimulatorControl, SimulatorHandle } from '../../adapters/sim/types.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { transferBody } from '../helpers/bodies.js';
import { testEnv } from '../helpers/env.js';
import { api, callbackSecret, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startWorld, until, type World } from '../helpers/world.js';
import { hainanOrg } from '../partners/hainan/orgs.js';
import { hainanPartner } from '../partners/hainan/partner.js';

/** The one line that adds the partner. */
const registry = new PartnerRegistry([...BUILT_IN_PARTNERS, hainanPartner]);

/** Its variables, named by its descriptor (HAINAN_BASE_URL is set by the world). */
const HAINAN_ENV = {
  HAINAN_ACCESS_KEY: 'bj-tgw-0001',
  HAINAN_SECRET_KEY: 'hainan-secret-key-0123456789',
  CALLBACK_SECRETS_HAINAN: 'whsec_aGFpbmFuLWNhbGxiYWNrLXNpZ25pbmcta2V5LTAx',
};

const MEILAN = hainanOrg('共青团海口市美兰区委员会');
const DEEP_SEA = hainanOrg('共青团中国科学院深海科学与工程研究所（三亚）委员会');
const SANYA = hainanOrg('共青团三亚市委员会');

type Transfer = {
  id: string;
  target: string;
  state: string;
  partnerRef: string | null;
  localReport: unknown;
  lastError: { code: string; message: string } | null;
  events: { type: string; source: string; detail?: Record<string, unknown> }[];
};

let n = 0;
async function post(
  base: string,
  destination: Record<string, string>,
): Promise<Transfer & { status: number }> {
  n += 1;
  const res = await api<Transfer>(base, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-HN-${n}`, destination }, 460 + n),
    headers: { 'idempotency-key': `hn-${n}-${Date.now()}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { ...res.body, status: res.status };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('a fourth partner registered through the registry alone', () => {
  let w: World;
  const hn = (): SimulatorHandle<SimulatorControl> => {
    const sim = w.sims.hainan;
    if (!sim) throw new Error('the world started no hainan simulator');
    return sim;
  };
  const get = async (id: string) =>
    (await api<Transfer>(w.gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing })).body;
  const inState = (id: string, state: string) =>
    until(`${id} to be ${state}`, async () => {
      const t = await get(id);
      return t.state === state ? t : null;
    });
  /** Waits for a state nothing changes any more (or `submitted`), and answers the transfer. */
  const settled = (id: string) =>
    until(`${id} to settle`, async () => {
      const t = await get(id);
      return ['completed', 'failed', 'rejected'].includes(t.state) ? t : null;
    });

  beforeAll(async () => {
    w = await startWorld({ registry, env: HAINAN_ENV, decision: { mode: 'approve', delayMs: 100 } });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('takes a move to 46 to hainan: one application, its signed approval, completed, Beijing told', async () => {
    const before = { ...hn().state.counts };
    const accepted = await post(w.gw.url, { provinceCode: '46', orgFullName: MEILAN.fullName });
    expect(accepted.target).toBe('hainan');
    const id = accepted.id;
    const t = await inState(id, 'completed');

    // Exactly one application reached the partner, for the org as it spells it.
    expect(hn().state.counts.submissions - before.submissions).toBe(1);
    expect(hn().state.counts.duplicates).toBe(before.duplicates);
    const record = hn().state.records.get(id);
    expect(record).toMatchObject({ orgId: MEILAN.orgId, orgFullName: MEILAN.fullName, status: 'approved' });
    expect(record?.submissions).toBe(1);
    expect(t.partnerRef).toBe(record?.partnerRef);

    // Completed on the partner's callback, with no local report (its capabilities say none).
    expect(t.localReport).toBeNull();
    const types = t.events.map((e) => e.type);
    expect(types).toContain('submitted');
    expect(types).not.toContain('awaiting_local_report');
    expect(t.events.find((e) => e.type === 'partner_approved')?.source).toBe('callback');
    await hn().control.settle();
    expect(hn().state.callbacks.filter((c) => c.requestId === id)).toEqual([
      expect.objectContaining({ type: 'transfer.approved', outcome: 'delivered' }),
    ]);

    // Beijing heard of every change.
    const mine = () => w.beijing.received.filter((r) => r.data.transferId === id);
    await until('two notifications', async () => mine().length >= 2 || null);
    expect(mine().map((r) => `${r.type}:${String(r.data.previousState)}>${String(r.data.state)}`)).toEqual([
      'transfer.state_changed:accepted>submitted',
      'transfer.state_changed:submitted>completed',
    ]);
  });

  it('shows hainan to operators: targets, metrics labels, its queue on the dashboard', async () => {
    const targets = await api<{
      items: { target: string; breaker: string; counts: Record<string, number> }[];
    }>(w.gw.url, 'GET', '/v1/ops/targets', { key: KEYS.ops });
    expect(targets.status).toBe(200);
    expect(targets.body.items.map((i) => i.target).sort()).toEqual([
      'fujian',
      'guangdong',
      'hainan',
      'national',
    ]);
    const mine = targets.body.items.find((i) => i.target === 'hainan');
    expect(mine).toMatchObject({ breaker: 'closed' });
    expect(mine?.counts.completed).toBeGreaterThanOrEqual(1);

    const metrics = await (await fetch(`${w.gw.url}/metrics`)).text();
    const sample = (name: string, labels: Record<string, string>): number | undefined => {
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && wanted.every((x) => l.includes(x)));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(sample('tgw_transfers', { state: 'completed', target: 'hainan' })).toBeGreaterThanOrEqual(1);
    expect(sample('tgw_breaker_state', { target: 'hainan' })).toBe(0);
    expect(
      sample('tgw_partner_request_duration_seconds_count', {
        target: 'hainan',
        operation: 'submit',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample('tgw_callbacks_total', { target: 'hainan', outcome: 'applied' })).toBeGreaterThanOrEqual(1);
    expect(sample('tgw_queue_jobs', { queue: 'deliver-hainan', state: 'completed' })).toBeGreaterThanOrEqual(
      1,
    );

    const board = await fetch(`${w.gw.url}/admin/queues/api/queues`, {
      headers: { authorization: basic('ops', 'demo-ops-password') },
    });
    expect(board.status).toBe(200);
    const queues = ((await board.json()) as { queues: { name: string; description?: string }[] }).queues;
    expect(queues.map((q) => q.name)).toContain('deliver-hainan');
    expect(queues.find((q) => q.name === 'deliver-hainan')?.description).toBe(
      `Deliveries to the ${hainanPartner.label}`,
    );
  });

  it('answers org checks by capability (none) and org searches from the hainan system', async () => {
    const check = await api(
      w.gw.url,
      'GET',
      `/v1/orgs/check?${new URLSearchParams({ provinceCode: '46', fullName: MEILAN.fullName }).toString()}`,
      {
        key: KEYS.beijing,
      },
    );
    expect(check.status).toBe(422);
    expect(check.body.code).toBe('CHECK_NOT_SUPPORTED');

    const searchesBefore = hn().state.counts.byRoute.orgSearch ?? 0;
    const search = (q: string) =>
      api<{ items: { orgId: string; fullName: string }[] }>(
        w.gw.url,
        'GET',
        `/v1/orgs/search?${new URLSearchParams({ provinceCode: '46', q }).toString()}`,
        { key: KEYS.beijing },
      );
    const sanya = await search('三亚');
    expect(sanya.status).toBe(200);
    expect(sanya.body.items).toContainEqual({ orgId: SANYA.orgId, fullName: SANYA.fullName });
    expect(sanya.body.items).toContainEqual({ orgId: DEEP_SEA.orgId, fullName: DEEP_SEA.fullName });
    // Half-width brackets where the partner writes full-width ones: still its org, in its spelling.
    const messy = await search('研究所(三亚)');
    expect(messy.body.items).toEqual([{ orgId: DEEP_SEA.orgId, fullName: DEEP_SEA.fullName }]);
    expect(hn().state.counts.byRoute.orgSearch).toBe(searchesBefore + 2);
  });

  it("refuses a hainan transfer's callback at another partner's route; takes it at its own", async () => {
    hn().control.setDecision({ mode: 'never' });
    try {
      const { id } = await post(w.gw.url, { provinceCode: '46', orgFullName: SANYA.fullName });
      await inState(id, 'submitted');
      const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: id } });
      const signed = (secret: string) => {
        const msgId = `msg_${Math.random().toString(36).slice(2)}`;
        const at = new Date();
        return {
          'content-type': 'application/json',
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(msgId, at, body),
        };
      };
      const send = (target: string, secret: string) =>
        api(w.gw.url, 'POST', `/v1/callbacks/${target}`, { raw: body, headers: signed(secret) });

      const asGuangdong = await send('guangdong', callbackSecret(w.gw, 'guangdong'));
      expect(asGuangdong.status).toBe(404);
      expect(asGuangdong.body.code).toBe('UNKNOWN_TRANSFER');
      const hainanKeyAtGuangdong = await send('guangdong', HAINAN_ENV.CALLBACK_SECRETS_HAINAN);
      expect(hainanKeyAtGuangdong.status).toBe(401);
      expect((await get(id)).state).toBe('submitted');

      const own = await send('hainan', HAINAN_ENV.CALLBACK_SECRETS_HAINAN);
      expect(own.status).toBe(204);
      expect((await get(id)).state).toBe('completed');
    } finally {
      hn().control.setDecision({ mode: 'approve', delayMs: 100 });
    }
  });

  it('fails a destination hainan does not have with ORG_NOT_FOUND, at once', async () => {
    const { id, target } = await post(w.gw.url, {
      provinceCode: '46',
      orgFullName: '共青团海南省不存在的单位委员会',
    });
    expect(target).toBe('hainan');
    const t = await settled(id);
    expect(t.state).toBe('failed');
    expect(t.lastError?.code).toBe('ORG_NOT_FOUND');
    expect(hn().state.records.has(id)).toBe(false);
    // A refusal, not a failure to retry.
    expect(t.events.map((e) => e.type)).not.toContain('attempt_failed');
  });

  // Waits for the destination resolver (src/delivery/resolve-destination.ts) to be wired into delivery:
  // until then a partner without a name check is sent the name as typed, and Hainan refuses it.
  it('completes a move typed with half-width brackets where hainan writes full-width ones', async () => {
    const messy = '共青团中国科学院深海科学与工程研究所(三亚)委员会';
    const { id } = await post(w.gw.url, { provinceCode: '46', orgFullName: messy });
    const t = await settled(id);
    expect(t.state, JSON.stringify(t.lastError)).toBe('completed');
    // The partner got its own spelling and org id.
    expect(hn().state.records.get(id)).toMatchObject({
      orgId: DEEP_SEA.orgId,
      orgFullName: DEEP_SEA.fullName,
    });
  });
});

describe('routing is data: the registry and PROVINCE_ROUTES decide where 46 goes', () => {
  const gateways: TestGateway[] = [];
  const gateway = async (env: Record<string, string>, withHainan: boolean) => {
    const gw = await startTestGateway(
      {
        ROLE: 'api', // intake only: nothing is delivered
        REDIS_PREFIX: uniquePrefix('fourth-routing'),
        ...(withHainan ? { ...HAINAN_ENV, HAINAN_BASE_URL: 'http://127.0.0.1:9' } : {}),
        ...env,
      },
      withHainan ? { registry } : {},
    );
    gateways.push(gw);
    return gw;
  };
  const to46 = { provinceCode: '46', orgFullName: MEILAN.fullName };
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
  });

  it('without hainan registered, 46 goes to national', async () => {
    const gw = await gateway({}, false);
    expect((await post(gw.url, to46)).target).toBe('national');
  });

  it('with hainan registered, its descriptor claims 46', async () => {
    const gw = await gateway({}, true);
    expect((await post(gw.url, to46)).target).toBe('hainan');
    expect((await post(gw.url, { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' })).target).toBe(
      'guangdong',
    );
  });

  it('PROVINCE_ROUTES naming hainan for 46 sends it there; a table without 46 sends it back to national', async () => {
    const routed = await gateway({ PROVINCE_ROUTES: '{"44":"guangdong","35":"fujian","46":"hainan"}' }, true);
    expect((await post(routed.url, to46)).target).toBe('hainan');
    const without = await gateway({ PROVINCE_ROUTES: '{"44":"guangdong","35":"fujian"}' }, true);
    expect((await post(without.url, to46)).target).toBe('national');
    expect((await post(without.url, { provinceCode: '35', orgFullName: '共青团福州市委员会' })).target).toBe(
      'fujian',
    );
  });

  it("reads hainan's variables by the names its descriptor gives, and refuses to start without them", () => {
    let problems: string[] = [];
    try {
      loadConfig(testEnv(), registry);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    for (const key of [
      'HAINAN_BASE_URL',
      'HAINAN_ACCESS_KEY',
      'HAINAN_SECRET_KEY',
      'CALLBACK_SECRETS_HAINAN',
    ])
      expect(problems.join('\n')).toContain(key);
    const config = loadConfig(
      testEnv({ ...HAINAN_ENV, HAINAN_BASE_URL: 'http://127.0.0.1:9', RATE_LIMIT_HAINAN: '2' }),
      registry,
    );
    expect(config.partners.hainan).toMatchObject({
      config: { baseUrl: 'http://127.0.0.1:9', accessKey: HAINAN_ENV.HAINAN_ACCESS_KEY, timeoutMs: 5000 },
      callbackSecrets: [HAINAN_ENV.CALLBACK_SECRETS_HAINAN],
      rateLimit: 2,
    });
    expect(config.routes.table['46']).toBe('hainan');
  });
});
