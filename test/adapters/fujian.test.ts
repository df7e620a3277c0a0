import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerProtocolError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import { fujianConfigSchema } from '../../adapters/fujian/config.js';
import { FujianAdapter, toApplyBiz } from '../../adapters/fujian/index.js';
import { applyBizSchema } from '../../adapters/fujian/wire.js';
import { ALL_REASONS, capture, connectionReset, rejection, sampleRequest } from './support.js';

const BASE = 'https://openapi.fj.test';
const KEY = 'fj-app-key-0123456789';
const config = fujianConfigSchema.parse({ baseUrl: BASE, appId: 'bjtw0001', appKey: KEY, timeoutMs: 300 });
const NOW = Date.parse('2025-06-30T02:00:00Z');
const ORG = '中国共产主义青年团福建省福州市鼓楼区委员会';
const request = sampleRequest('35', ORG);
const adapter = () => new FujianAdapter(config, undefined, () => NOW);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

/** Fujian's HMAC-SM3 over sorted non-empty `k=v` pairs, written here from its documentation. */
function sm3(fields: Record<string, string>): string {
  const s = Object.entries(fields)
    .filter(([k, v]) => k !== 'sign' && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return createHmac('sm3', KEY).update(s).digest('hex').toUpperCase();
}

function answer(code: string, msg: string, data?: unknown) {
  const fields = { code, msg, data: data === undefined ? '' : JSON.stringify(data) };
  return { ...fields, sign: sm3(fields) };
}

const gateway = () => nock(BASE).post('/openapi/gateway');

describe('fujian adapter: outgoing requests', () => {
  it('sends a signed gateway call with pinyin business fields', async () => {
    const seen = capture(gateway().reply(200, answer('0000', '成功', { sqbh: 'FJZJ20250630000001' })));
    expect(await adapter().submit(request)).toEqual({ partnerRef: 'FJZJ20250630000001', duplicate: false });
    const body = JSON.parse(seen[0]!.body) as Record<string, string>;
    expect(body).toMatchObject({
      appid: 'bjtw0001',
      method: 'tyzz.zzgx.zcsq',
      timestamp: '20250630100000',
      version: '1.0',
      sign_type: 'HMAC-SM3',
    });
    expect(body.nonce_str).toMatch(/^[0-9a-f]{32}$/);
    expect(body.sign).toBe(sm3(body));
    expect(JSON.parse(body.biz_content!)).toEqual({
      qqlsh: request.transferId,
      wbbh: 'BJ-2025-000123',
      xm: '张三',
      sfzh: '11010519491231002X',
      sjhm: '13800000000',
      fqfs: '2',
      fqzzid: 'bj-00042-07',
      czyid: 'op-19',
      zczzid: 'bj-00042',
      zczzqc: '共青团北京某某大学委员会',
      zrsfdm: '35',
      zrzzqc: ORG,
      zrzzid: 'ORG-1',
      bkch: '0',
      zcyy: '2',
      yyxx: { dwmc: '某某科技有限公司' },
    });
  });

  it('maps every reason to a valid Fujian reason', () => {
    for (const reason of ALL_REASONS)
      expect(applyBizSchema.safeParse(toApplyBiz({ ...request, reason })).success).toBe(true);
    expect(toApplyBiz({ ...request, reason: ALL_REASONS[4]! })).toMatchObject({
      zcyy: '5',
      yyxx: {
        cgmd: '1',
        gjdq: '新加坡',
        cjrq: '20250820',
        yjhgrq: '20270701',
        gnlxr: { xm: '李四', sjhm: '13900000000', gx: '父亲' },
      },
    });
    expect(toApplyBiz({ ...request, reason: ALL_REASONS[3]! })).toMatchObject({
      zcyy: '4',
      yyxx: { qxyj: '1' },
    });
    expect(toApplyBiz({ ...request, initiator: { kind: 'member' }, irreversible: true })).toMatchObject({
      fqfs: '1',
      bkch: '1',
    });
  });

  it('searches orgs', async () => {
    const seen = capture(
      gateway().reply(
        200,
        answer('0000', '成功', { zzlb: [{ zzid: '3501', zzqc: ORG, sfdm: '35' }], zs: 1 }),
      ),
    );
    expect(await adapter().searchOrgs('35', '鼓楼 区', { limit: 3 })).toEqual([
      { orgId: '3501', fullName: ORG },
    ]);
    const body = JSON.parse(seen[0]!.body) as { method: string; biz_content: string };
    expect(body.method).toBe('tyzz.zz.cx');
    expect(JSON.parse(body.biz_content)).toEqual({ sfdm: '35', gjz: '鼓楼 区', ts: 3 });
  });

  it('queries status and maps every zt, UTC+8 times to UTC', async () => {
    const table = [
      ['0', 'pending'],
      ['1', 'awaiting_local_report'],
      ['2', 'rejected'],
      ['3', 'local_report_completed'],
      ['4', 'expired'],
    ] as const;
    for (const [zt] of table) {
      gateway().reply(
        200,
        answer('0000', '成功', {
          sqbh: 'FJZJ1',
          qqlsh: 'trf_1',
          zt,
          ...(zt === '2' ? { bhyy: '材料不全' } : {}),
          ...(zt !== '0' ? { shsj: '20250630100000' } : {}),
          ...(zt === '3' ? { bdsj: '20250702093000' } : {}),
        }),
      );
    }
    for (const [zt, status] of table) {
      const s = await adapter().fetchStatus({ transferId: 'trf_1' });
      expect(s).toMatchObject({ status, partnerRef: 'FJZJ1' });
      if (zt === '2') expect(s.reason).toBe('材料不全');
      if (zt === '1') expect(s.at).toBe('2025-06-30T02:00:00.000Z');
      if (zt === '3') expect(s.at).toBe('2025-07-02T01:30:00.000Z');
    }
    gateway().reply(200, answer('2004', '申请不存在'));
    expect(await adapter().fetchStatus({ transferId: 'x' })).toEqual({ status: 'not_found' });
  });

  it('offers neither org check nor withdrawal, without calling the partner', async () => {
    const a = adapter();
    expect(a.capabilities).toEqual({
      checkOrg: false,
      withdraw: false,
      localReport: true,
      accountCreation: false,
    });
    expect(await rejection(a.checkOrg('35', ORG))).toMatchObject({ code: 'CAPABILITY_NOT_SUPPORTED' });
    expect(await rejection(a.withdraw({ transferId: 't', partnerRef: 'p' }))).toMatchObject({
      code: 'CAPABILITY_NOT_SUPPORTED',
    });
  });
});

describe('fujian adapter: codes and failures', () => {
  const answering = (body: unknown, status = 200, headers?: Record<string, string>) => {
    gateway().reply(status, body as nock.Body, headers);
    return adapter().submit(request);
  };

  it('treats 2001 as success with the existing sqbh', async () => {
    expect(await answering(answer('2001', '重复申请', { sqbh: 'FJZJ0' }))).toEqual({
      partnerRef: 'FJZJ0',
      duplicate: true,
    });
  });

  it.each([
    ['1001', PermanentPartnerError, 'INVALID_DATA'],
    ['1005', PermanentPartnerError, 'INVALID_DATA'],
    ['2002', PermanentPartnerError, 'ORG_NOT_FOUND'],
    ['2003', PermanentPartnerError, 'REJECTED'],
    ['1002', RetryablePartnerError, 'AUTH_FAILED'],
    ['1003', RetryablePartnerError, 'AUTH_FAILED'],
    ['1004', RetryablePartnerError, 'AUTH_FAILED'],
    ['9001', RetryablePartnerError, 'PARTNER_UNAVAILABLE'],
    ['9999', RetryablePartnerError, 'PARTNER_UNAVAILABLE'],
    ['7777', PartnerProtocolError, 'UNKNOWN_CODE'],
  ])('code %s → %o %s', async (code, cls, ours) => {
    const err = await rejection(answering(answer(code, '说明')));
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ code: ours });
    if (cls === PermanentPartnerError) expect(err).toMatchObject({ partnerReason: '说明' });
  });

  it('maps its rate-limit code with the hint, and HTTP 429 with Retry-After', async () => {
    expect(await rejection(answering(answer('9002', '访问频率超限', { retry_after: 4 })))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 4000,
    });
    expect(await rejection(answering('', 429, { 'retry-after': '9' }))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 9000,
    });
  });

  it('refuses an answer whose signature does not match, except an auth refusal it cannot verify', async () => {
    const forged = { ...answer('0000', '成功', { sqbh: 'FJZJ9' }), sign: 'A'.repeat(64) };
    expect(await rejection(answering(forged))).toMatchObject({
      name: 'PartnerProtocolError',
      code: 'BAD_SIGNATURE',
    });
    const tampered = {
      ...answer('0000', '成功', { sqbh: 'FJZJ9' }),
      data: JSON.stringify({ sqbh: 'FJZJ8' }),
    };
    expect(await rejection(answering(tampered))).toMatchObject({ code: 'BAD_SIGNATURE' });
    const refusal = { code: '1002', msg: '签名错误', data: '', sign: 'B'.repeat(64) };
    expect(await rejection(answering(refusal))).toMatchObject({ code: 'AUTH_FAILED', retryable: true });
  });

  it.each([
    ['HTTP 503', 503, 'down', 'PARTNER_UNAVAILABLE'],
    ['not JSON', 200, '<html/>', 'MALFORMED_RESPONSE'],
    ['the wrong envelope', 200, { code: 0, message: 'ok' }, 'SCHEMA_MISMATCH'],
    [
      'data that is not JSON text',
      200,
      { ...answer('0000', '成功'), data: '{bad', sign: sm3({ code: '0000', msg: '成功', data: '{bad' }) },
      'MALFORMED_RESPONSE',
    ],
    ['data of the wrong shape', 200, answer('0000', '成功', { bh: 1 }), 'SCHEMA_MISMATCH'],
  ])('%s → retryable %s', async (_what, status, body, code) => {
    expect(await rejection(answering(body, status))).toMatchObject({ code, retryable: true });
  });

  it('times out and survives resets, retryably', async () => {
    gateway()
      .delay(1000)
      .reply(200, answer('0000', '成功', { sqbh: 'x' }));
    expect(await rejection(adapter().submit(request))).toMatchObject({ code: 'TIMEOUT', timeout: true });
    gateway().replyWithError(connectionReset());
    expect(await rejection(adapter().submit(request))).toMatchObject({ code: 'NETWORK_ERROR' });
  });
});

describe('fujian adapter: callbacks', () => {
  const a = adapter();
  it('maps its callbacks, clsj (UTC+8) to UTC', () => {
    expect(
      a.parseCallback({
        type: 'transfer.approved',
        data: { transferId: 't', partnerRef: 'FJZJ1', zt: '1', clsj: '20250630100000' },
      }),
    ).toEqual({
      type: 'approved',
      transferId: 't',
      partnerRef: 'FJZJ1',
      at: '2025-06-30T02:00:00.000Z',
    });
    expect(
      a.parseCallback({ type: 'member.local_report_completed', data: { transferId: 't' } }),
    ).toMatchObject({ type: 'local_report_completed' });
    expect(a.parseCallback({ type: 'member.account_created', data: { transferId: 't' } })).toMatchObject({
      type: 'unsupported',
    });
    expect(() =>
      a.parseCallback({ type: 'transfer.approved', data: { transferId: 't', clsj: '2025-06-30' } }),
    ).toThrow(PartnerProtocolError);
    // The right digits, an impossible time: malformed, never a RangeError further in.
    for (const clsj of ['20240001100000', '20240230100000', '20240101240000', '20240101126000']) {
      expect(() => a.parseCallback({ type: 'transfer.approved', data: { transferId: 't', clsj } })).toThrow(
        PartnerProtocolError,
      );
    }
  });
});
