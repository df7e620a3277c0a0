/**
 * Delivery over real HTTP to the real partner simulators, on the real test Redis: each target,
 * name resolution, outages (breaker), timeouts after the partner stored the request, flaky partners,
 * permanent refusals and the operator's retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferBody } from '../helpers/bodies.js';
import { api, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

type Transfer = {
  id: string;
  state: string;
  attempts: number;
  partnerRef: string | null;
  lastError: { code: string; suggestions?: unknown[] } | null;
  events: { type: string; source: string; detail?: Record<string, unknown> }[];
  localReport: { status: string; dueAt: string } | null;
};

let n = 0;
async function post(w: World, overrides: Record<string, unknown>): Promise<string> {
  n += 1;
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-DLV-${n}`, ...overrides }, n),
    headers: { 'idempotency-key': `dlv-${n}-${Date.now()}` },
  });
  expect(res.status).toBe(202);
  return String(res.body.id);
}

async function get(w: World, id: string): Promise<Transfer> {
  return (await api<Transfer>(w.gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing })).body;
}

async function settled(w: World, id: string, timeoutMs = 15_000): Promise<Transfer> {
  return until(
    `transfer ${id} to leave accepted`,
    async () => {
      const t = await get(w, id);
      return t.state !== 'accepted' ? t : null;
    },
    timeoutMs,
  );
}

const national = (orgFullName: string, provinceCode = '31') => ({
  destination: { provinceCode, orgFullName },
});
const guangdong = { destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' } };
const fujian = { destination: { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' } };

describe('delivery to each partner', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('national: resolves the name to the partner spelling, submits once, moves to submitted', async () => {
    // Half-width parentheses and stray spaces, as a member might type the name.
    const id = await post(w, national('共青团上海国际港务 (集团) 股份有限公司委员会'));
    const t = await settled(w, id);
    expect(t.state).toBe('submitted');
    expect(t.attempts).toBe(1);
    expect(t.partnerRef).toMatch(/^ZTSQ/);
    const record = w.national.state.records.get(id);
    expect(record?.orgFullName).toBe('共青团上海国际港务（集团）股份有限公司委员会');
    expect(t.events.map((e) => e.type)).toEqual(['accepted', 'submitted']);
    expect(t.events[1]?.detail?.destinationOrg).toMatchObject({
      fullName: '共青团上海国际港务（集团）股份有限公司委员会',
    });
    // A second transfer to the same destination is not checked again: one name check, two submissions.
    const checksBefore = w.national.state.counts.byRoute.orgCheck ?? 0;
    const second = await settled(w, await post(w, national('共青团上海国际港务（集团）股份有限公司委员会')));
    expect(second.state).toBe('submitted');
    expect(w.national.state.counts.byRoute.orgCheck ?? 0).toBe(checksBefore);
  });

  it('guangdong and fujian: submitted once, awaiting local report with a due date', async () => {
    for (const [dest, sim] of [
      [guangdong, w.guangdong],
      [fujian, w.fujian],
    ] as const) {
      const id = await post(w, dest);
      const t = await settled(w, id);
      expect(t.state).toBe('awaiting_local_report');
      expect(t.attempts).toBe(1);
      expect(t.localReport).toMatchObject({ status: 'pending', dueAt: expect.any(String) });
      expect(sim.state.records.get(id)?.submissions).toBe(1);
    }
  });

  it('national: an unknown org fails the transfer with ORG_NOT_FOUND and the partner suggestions', async () => {
    const id = await post(w, national('共青团上海市黄浦区委员会办公室'));
    const t = await settled(w, id);
    expect(t.state).toBe('failed');
    expect(t.lastError?.code).toBe('ORG_NOT_FOUND');
    expect(t.lastError?.suggestions?.length).toBeGreaterThan(0);
    expect(t.attempts).toBe(0);
    expect(w.national.state.records.has(id)).toBe(false);
  });

  it('guangdong and fujian too: a name typed differently resolves in the org list to the partner spelling', async () => {
    // The directories write full-width brackets; the strict simulators accept only their own spelling.
    const cases = [
      [
        { destination: { provinceCode: '44', orgFullName: '共青团香港中文大学 (深圳) 委员会' } },
        w.guangdong,
        '共青团香港中文大学（深圳）委员会',
      ],
      [
        { destination: { provinceCode: '35', orgFullName: '共青团福建省电子信息(集团)有限责任公司委员会' } },
        w.fujian,
        '共青团福建省电子信息（集团）有限责任公司委员会',
      ],
    ] as const;
    for (const [dest, sim, exact] of cases) {
      const id = await post(w, dest);
      const t = await settled(w, id);
      expect(t.state).toBe('awaiting_local_report');
      expect(t.attempts).toBe(1);
      expect(sim.state.records.get(id)?.orgFullName).toBe(exact);
      expect(t.events.find((e) => e.type === 'awaiting_local_report')?.detail?.destinationOrg).toMatchObject({
        fullName: exact,
      });
    }
  });

  it('guangdong: a name its org list does not hold fails with ORG_NOT_FOUND and near names, 0 submissions', async () => {
    const before = w.guangdong.state.counts.submissions;
    const id = await post(w, {
      destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会办公室' },
    });
    const t = await settled(w, id);
    expect(t.state).toBe('failed');
    expect(t.lastError?.code).toBe('ORG_NOT_FOUND');
    expect(t.lastError?.suggestions).toContainEqual(
      expect.objectContaining({ fullName: '共青团广州市天河区委员会' }),
    );
    expect(t.attempts).toBe(0);
    expect(w.guangdong.state.counts.submissions).toBe(before);
  });

  it('GET /v1/orgs/check resolves the way delivery does: exists, with the partner spelling', async () => {
    const q = (fullName: string) =>
      `/v1/orgs/check?${new URLSearchParams({ provinceCode: '31', fullName }).toString()}`;
    const found = await api(w.gw.url, 'GET', q('共青团上海国际港务 (集团) 股份有限公司委员会'), {
      key: KEYS.beijing,
    });
    expect(found.body).toMatchObject({
      result: 'exists',
      org: { fullName: '共青团上海国际港务（集团）股份有限公司委员会' },
    });
    const missing = await api<{ result: string; suggestions: unknown[] }>(
      w.gw.url,
      'GET',
      q('共青团上海市黄浦区委员会办公室'),
      { key: KEYS.beijing },
    );
    expect(missing.body.result).toBe('not_found');
    expect(missing.body.suggestions.length).toBeGreaterThan(0);
  });

  it('a business rejection fails at once without retry; the operator retry really runs again', async () => {
    w.guangdong.control.setFaults({ reject: { reason: '材料不全' } });
    const id = await post(w, guangdong);
    const failed = await settled(w, id);
    expect(failed.state).toBe('failed');
    expect(failed.attempts).toBe(1);
    w.guangdong.control.clearFaults();

    const forbidden = await api(w.gw.url, 'POST', `/v1/transfers/${id}/retry`, { key: KEYS.beijing });
    expect(forbidden.status).toBe(403);
    const retry = await api<Transfer>(w.gw.url, 'POST', `/v1/transfers/${id}/retry`, { key: KEYS.ops });
    expect(retry.status).toBe(202);
    expect(retry.body.state).toBe('accepted');
    const t = await settled(w, id);
    expect(t.state).toBe('awaiting_local_report');
    expect(t.attempts).toBe(2);
    expect(t.events.map((e) => e.type)).toContain('retry_requested');
    const again = await api(w.gw.url, 'POST', `/v1/transfers/${id}/retry`, { key: KEYS.ops });
    expect(again.status).toBe(409);
  });
});

/** Delivers one transfer to the destination, so later ones find it resolved (per-process cache). */
async function warmUp(w: World, overrides: Record<string, unknown>): Promise<void> {
  const id = await post(w, overrides);
  await settled(w, id);
}

describe('partner trouble', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      env: {
        PARTNER_TIMEOUT_MS: '300',
        DELIVERY_BACKOFF_BASE_MS: '100',
        DELIVERY_BACKOFF_MAX_MS: '400',
        DELIVERY_MAX_ATTEMPTS: '6',
        BREAKER_VOLUME_THRESHOLD: '4',
        BREAKER_ERROR_PERCENT: '50',
        BREAKER_RESET_MS: '1000',
        BREAKER_WINDOW_MS: '5000',
        RATE_LIMIT_GUANGDONG: '200',
        RATE_LIMIT_FUJIAN: '200',
        RATE_LIMIT_NATIONAL: '200',
        DELIVERY_CONCURRENCY: '4',
      },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('a partner down for a while: the breaker opens, no transfer spends its attempts, all complete once after recovery', async () => {
    const sim = w.fujian;
    sim.control.setFaults({ down: true });
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await post(w, fujian));
    // Stay down for 4 s: several breaker reset periods and far more than 6 backoff rounds.
    await new Promise((r) => setTimeout(r, 4_000));
    const duringOutage = await Promise.all(ids.map((id) => get(w, id)));
    expect(duringOutage.every((t) => t.state === 'accepted')).toBe(true);
    const downAnswers = sim.state.counts.down;
    sim.control.clearFaults();
    const recovered = Date.now();

    const done = await Promise.all(ids.map((id) => settled(w, id, 30_000)));
    const drainedMs = Date.now() - recovered;
    expect(done.every((t) => t.state === 'awaiting_local_report')).toBe(true);
    // Exactly one partner record per transfer, each stored once.
    for (const id of ids) expect(sim.state.records.get(id)?.submissions).toBe(1);
    const attempts = done.reduce((sum, t) => sum + t.attempts, 0);
    // While it was down, every try failed at the destination lookup that comes first: no submission
    // was sent into the outage, and each transfer's one submission went out after recovery.
    expect(attempts).toBe(ids.length);
    const maxAttempts = Math.max(...done.map((t) => t.attempts));
    expect(maxAttempts).toBe(1);
    // No transfer came near its retry budget (6 failed tries).
    for (const id of ids) expect((await w.gw.store.get(id))?.facts.partnerFailures ?? 0).toBeLessThan(6);
    // Without the breaker, 20 transfers × 4 s of 100-400 ms backoff would have sent well over 100 requests.
    expect(downAnswers).toBeLessThan(40);
    console.log(
      `[outage] 20 transfers, fujian down ${recovered - started} ms: partner requests refused while down ${downAnswers}, ` +
        `attempts total ${attempts} (max ${maxAttempts} per transfer), partner records ${sim.state.records.size}, drained ${drainedMs} ms after recovery`,
    );
  });

  it('a timeout after the partner stored the request: the retry finds the duplicate, the partner holds one record', async () => {
    await warmUp(w, guangdong); // the destination is resolved (cached): the fault meets the submission
    w.guangdong.control.setFaults({ slow: { ms: 800 } });
    const id = await post(w, guangdong);
    await until('a timed-out attempt', async () => (await get(w, id)).attempts >= 1 || null);
    await until('the partner to store it', async () => w.guangdong.state.records.get(id) ?? null);
    w.guangdong.control.clearFaults();
    const t = await settled(w, id);
    expect(t.state).toBe('awaiting_local_report');
    const record = w.guangdong.state.records.get(id)!;
    expect(record.submissions).toBeGreaterThanOrEqual(2);
    expect(t.partnerRef).toBe(record.partnerRef);
    expect(t.events.find((e) => e.type === 'attempt_failed')?.detail?.code).toBe('TIMEOUT');
    expect(t.events.find((e) => e.type === 'awaiting_local_report')?.detail?.duplicate).toBe(true);
  });

  it('a flaky partner (30% failures): everything delivered exactly once per partner', async () => {
    const sim = w.national;
    sim.control.setFaults({ flaky: { percent: 30, seed: 7, mode: 'mixed', phase: 'mixed' } });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await post(w, national('共青团上海市黄浦区委员会')));
    const done = await Promise.all(ids.map((id) => settled(w, id, 30_000)));
    sim.control.clearFaults();
    expect(done.filter((t) => t.state !== 'submitted').map((t) => [t.state, t.lastError])).toEqual([]);
    for (const id of ids) expect(sim.state.records.get(id)).toBeDefined();
    expect(new Set(ids.map((id) => sim.state.records.get(id)!.partnerRef)).size).toBe(30);
    expect(done.every((t) => t.partnerRef === sim.state.records.get(t.id)!.partnerRef)).toBe(true);
    expect(sim.state.counts.flaky).toBeGreaterThan(0);
  });

  it('429 with Retry-After: the next attempt waits that long, up to the backoff cap', async () => {
    w.guangdong.control.setFaults({ rate_limited: { retryAfterSeconds: 1 } });
    const id = await post(w, guangdong);
    await until('a rate-limited try', async () =>
      (await get(w, id)).events.some((e) => e.type === 'attempt_failed'),
    );
    w.guangdong.control.clearFaults();
    const t = await settled(w, id);
    expect(t.state).toBe('awaiting_local_report');
    const limited = t.events.find((e) => e.type === 'attempt_failed');
    expect(limited?.detail?.code).toBe('RATE_LIMITED');
    // Retry-After: 1 s, above this world's DELIVERY_BACKOFF_MAX_MS (400): the one cap applies.
    expect(Number(limited?.detail?.retryInMs)).toBe(400);
  });
});

describe('retries exhausted', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      env: {
        DELIVERY_MAX_ATTEMPTS: '3',
        DELIVERY_BACKOFF_BASE_MS: '50',
        DELIVERY_BACKOFF_MAX_MS: '100',
        BREAKER_VOLUME_THRESHOLD: '1000', // keep the breaker out of it: every attempt reaches the partner
      },
    });
  });
  afterAll(async () => {
    await w.close();
  });

  it('fails with RETRIES_EXHAUSTED and the last error after the configured attempts, each a real partner request', async () => {
    w.guangdong.control.setFaults({ down: true });
    const id = await post(w, guangdong);
    const t = await settled(w, id);
    expect(t.state).toBe('failed');
    // Three tries, each a real partner request that failed: the destination lookup that comes first.
    // No submission ever left, so none is counted as one.
    expect(w.guangdong.state.counts.down).toBe(3);
    expect(t.attempts).toBe(0);
    expect(t.lastError).toMatchObject({ code: 'RETRIES_EXHAUSTED' });
    expect(JSON.stringify(t.lastError)).toContain('PARTNER_UNAVAILABLE');
    expect(t.events.filter((e) => e.type === 'attempt_failed')).toHaveLength(2);
    w.guangdong.control.clearFaults();
  });
});
