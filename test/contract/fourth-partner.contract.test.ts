/**
 * The same conformance suite the built-in adapters pass (./adapter.contract.ts), run against a fourth
 * partner that lives entirely in the tests (test/partners/hainan) and its simulator, plus what is
 * particular to it: its literal-substring org search, its exact-name submissions, its signature and a
 * decision that ends the application (no local report, no account).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorControl, SimulatorHandle } from '../../adapters/sim/types.js';
import { hainanConfigSchema } from '../partners/hainan/config.js';
import { HainanAdapter, literalKeyword } from '../partners/hainan/index.js';
import { hainanOrg } from '../partners/hainan/orgs.js';
import { hainanPartner } from '../partners/hainan/partner.js';
import { startSimulator as startHainan } from '../partners/hainan/simulator.js';
import { PATHS, SIGNATURE_HEADER, formEncode, sign } from '../partners/hainan/wire.js';
import {
  CALLBACK_SECRET,
  adapterContract,
  quietLogger,
  submitRequest,
  type ContractSubject,
} from './adapter.contract.js';
import { startReceiver, type Receiver } from './receiver.js';

const hnCreds = { accessKey: 'bj-tgw-0001', secretKey: 'hainan-secret-key-0123456789' };
const fast = { attempts: 3, baseDelayMs: 20 };
const deepSea = hainanOrg('共青团中国科学院深海科学与工程研究所（三亚）委员会');

// Not `verbatimSearch`: the adapter turns a query into Hainan's literal keyword itself (./index.ts);
// that the simulator's search is literal is proved below, with hand-signed requests.
const hainan: ContractSubject = {
  target: 'hainan',
  provinceCode: '46',
  start: (o) => startHainan({ ...o, credentials: hnCreds, logger: quietLogger, callbackRetry: fast }),
  adapter: (baseUrl, o = {}) =>
    new HainanAdapter(
      hainanConfigSchema.parse({
        baseUrl,
        accessKey: hnCreds.accessKey,
        secretKey: o.wrongSecret ? 'wrong-secret-key-0123456789' : hnCreds.secretKey,
        timeoutMs: o.timeoutMs ?? 2000,
      }),
    ),
  knownOrg: {
    orgId: deepSea.orgId,
    fullName: deepSea.fullName,
    exactQuery: '研究所（三亚）',
    messyQuery: '研究所 (三亚)',
    messyFullName: '共青团中国科学院深海科学与工程研究所 (三亚) 委员会',
  },
};

adapterContract(hainan);

describe('hainan specifics', () => {
  let receiver: Receiver;
  let sim: SimulatorHandle<SimulatorControl>;
  const adapter = () => hainan.adapter(sim.url);

  beforeAll(async () => {
    receiver = await startReceiver(CALLBACK_SECRET);
  });
  afterAll(() => receiver.close());
  beforeEach(async () => {
    sim = await hainan.start({
      gatewayUrl: receiver.url,
      callbackSecret: CALLBACK_SECRET,
      decision: { mode: 'never' },
    });
  });
  afterEach(() => sim.close());

  it('is described by its descriptor: queue, provinces, capabilities, env names', () => {
    expect(hainanPartner).toMatchObject({
      id: 'hainan',
      envPrefix: 'HAINAN',
      queue: 'deliver-hainan',
      provinces: ['46'],
      capabilities: { checkOrg: false, withdraw: true, localReport: false, accountCreation: false },
    });
    expect(hainanPartner.directoryId('46', 11)).toBe(deepSea.orgId);
  });

  /** One org search sent by hand, signed as the wire says; `nonce` fixed to replay it. */
  const rawSearch = async (kw: string, nonce = `n${Math.random().toString(36).slice(2).padEnd(20, '0')}`) => {
    const pairs: [string, string][] = [
      ['ak', hnCreds.accessKey],
      ['ts', String(Math.floor(Date.now() / 1000))],
      ['nonce', nonce],
      ['province', '46'],
      ['kw', kw],
    ];
    const res = await fetch(`${sim.url}${PATHS.orgSearch}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        [SIGNATURE_HEADER]: sign(hnCreds.secretKey, PATHS.orgSearch, pairs),
      },
      body: formEncode(pairs),
    });
    return (await res.json()) as {
      success: boolean;
      result?: { orgs: { title: string }[] };
      error?: { code: string };
    };
  };
  const titles = async (kw: string) => (await rawSearch(kw)).result?.orgs.map((o) => o.title);

  it('its simulator searches literally: other brackets or spaces find nothing there; the adapter still finds the org', async () => {
    expect(await titles('研究所（三亚）')).toEqual([deepSea.fullName]);
    expect(await titles('研究所(三亚)')).toEqual([]);
    expect(await titles('深海科学 与工程')).toEqual([]);
    expect(literalKeyword('深海科学\u3000与工程研究所(三亚)')).toBe('与工程研究所');
    const found = await adapter().searchOrgs('46', '研究所(三亚)');
    expect(found).toEqual([{ orgId: deepSea.orgId, fullName: deepSea.fullName }]);
    // The limit is the caller's, whatever the partner answered.
    expect(await adapter().searchOrgs('46', '共青团', { limit: 3 })).toHaveLength(3);
  });

  it('takes only its exact spelling at submission, and the org id must be that org', async () => {
    const messy = submitRequest(hainan, {
      destination: { provinceCode: '46', orgFullName: hainan.knownOrg.messyFullName },
    });
    await expect(adapter().submit(messy)).rejects.toMatchObject({ code: 'ORG_NOT_FOUND', retryable: false });
    const wrongId = submitRequest(hainan, {
      destination: { provinceCode: '46', orgFullName: deepSea.fullName, orgId: 'HN46000001' },
    });
    await expect(adapter().submit(wrongId)).rejects.toMatchObject({ code: 'ORG_NOT_FOUND' });
    const exact = submitRequest(hainan, {
      destination: { provinceCode: '46', orgFullName: deepSea.fullName, orgId: deepSea.orgId },
    });
    expect((await adapter().submit(exact)).duplicate).toBe(false);
    expect(sim.state.records.get(exact.transferId)).toMatchObject({
      orgId: deepSea.orgId,
      status: 'pending',
    });
    expect(sim.state.records.size).toBe(1);
  });

  it('sends every reason in its own vocabulary', async () => {
    const reasons = [
      {
        kind: 'further_study',
        schoolType: 'university',
        schoolName: '海南大学',
        schoolAddress: '海口市人民大道58号',
      },
      { kind: 'employed_without_org', employerName: '某某商行', employerAddress: '三亚市吉阳区' },
      { kind: 'not_placed', placeBasis: 'origin', address: '儋州市那大镇' },
      {
        kind: 'abroad',
        purpose: 'study',
        countryOrRegion: '新加坡',
        departureDate: '2025-09-01',
        domesticContact: { name: '李四', phone: '13900000000', relationship: '父亲' },
      },
      { kind: 'classified_unit' },
      { kind: 'other', explanation: '随迁' },
    ] as const;
    for (const reason of reasons) {
      const req = submitRequest(hainan, { reason, irreversible: reason.kind === 'classified_unit' });
      expect((await adapter().submit(req)).duplicate, reason.kind).toBe(false);
    }
    expect(sim.state.records.size).toBe(reasons.length);
  });

  it('refuses a stale timestamp and a replayed nonce as AUTH_FAILED', async () => {
    const stale = new HainanAdapter(
      hainanConfigSchema.parse({ baseUrl: sim.url, ...hnCreds }),
      undefined,
      () => Date.now() - 10 * 60_000,
    );
    await expect(stale.searchOrgs('46', '海口')).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      retryable: true,
    });
    expect(sim.state.counts.authFailures).toBe(1);
    const nonce = 'replayedreplayed0001';
    expect((await rawSearch('海口', nonce)).success).toBe(true);
    expect((await rawSearch('海口', nonce)).error?.code).toBe('AUTH.REPLAY');
    expect(sim.state.counts.authFailures).toBe(2);
  });

  it('a decision ends the application: one approval callback, nothing after it', async () => {
    sim.control.setDecision({ mode: 'approve', delayMs: 10 });
    const req = submitRequest(hainan);
    const { partnerRef } = await adapter().submit(req);
    const cb = await receiver.waitFor(
      (c) => c.target === 'hainan' && JSON.stringify(c.body).includes(req.transferId),
    );
    const event = adapter().parseCallback(cb.body);
    expect(event).toMatchObject({ type: 'approved', transferId: req.transferId, partnerRef });
    expect('at' in event && event.at).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    await sim.control.settle();
    expect(sim.state.callbacks.filter((c) => c.requestId === req.transferId).map((c) => c.type)).toEqual([
      'transfer.approved',
    ]);
    expect(await adapter().fetchStatus({ transferId: req.transferId })).toMatchObject({
      status: 'approved',
      partnerRef,
    });
    expect(sim.control.completeLocalReport(req.transferId)).toBe(false);
    expect(receiver.refused).toEqual([]);
  });
});
