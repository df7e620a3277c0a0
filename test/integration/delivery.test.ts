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

const national = (orgFullName: string, provinceCode = '31') => ({ destination: { provinceCode, orgFullName } });
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
    expect(t.events.map((e) => e.type)).toEqual(['accepted', 'destination_resolved', 'submitted']);
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
