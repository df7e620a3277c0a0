import { createHash, createHmac } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerProtocolError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import { guangdongConfigSchema } from '../../adapters/guangdong/config.js';
import { GuangdongAdapter, toApplyRequest } from '../../adapters/guangdong/index.js';
import { applyRequestSchema, canonicalQuery } from '../../adapters/guangdong/wire.js';
import {
  ALL_REASONS,
  capture,
  connectionReset,
  rejection,
  sampleRequest,
  type SeenRequest,
} from './support.js';

const BASE = 'https://tyzz.gd.test';
const SECRET = 'gd-app-secret-0123456789';
const config = guangdongConfigSchema.parse({
  baseUrl: BASE,
  appId: 'bj-gateway',
  appSecret: SECRET,
  timeoutMs: 300,
});
const NOW = Date.parse('2025-06-30T02:00:00Z');
const ORG = '共青团广州市天河区委员会';
const request = sampleRequest('44', ORG);
const adapter = () => new GuangdongAdapter(config, undefined, () => NOW);
const ok = (data: unknown) => ({ code: 0, msg: '成功', data });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

/** The partner's signature, computed here from its documentation, not with the adapter's code. */
function expectedSign(seen: SeenRequest): string {
  const [path = '', query = ''] = seen.path.split('?');
  const sortedQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonical = [
    seen.method,
    path,
    sortedQuery,
    seen.headers.timestamp,
    seen.headers.nonce,
    createHash('sha256')
      .update(seen.body ?? '')
      .digest('hex'),
  ].join('\n');
  return createHmac('sha256', SECRET).update(canonical).digest('hex');
}

describe('guangdong adapter: outgoing requests', () => {
  it('signs the apply request and sends the mapped body', async () => {
    const seen = capture(
      nock(BASE)
        .post('/open/api/v2/transfer/apply')
        .reply(200, ok({ applyNo: 'GDZJ20250630000001' })),
    );
    expect(await adapter().submit(request)).toEqual({ partnerRef: 'GDZJ20250630000001', duplicate: false });
    const [req] = seen;
    expect(req!.headers).toMatchObject({
      appid: 'bj-gateway',
      timestamp: String(NOW),
      'content-type': 'application/json; charset=utf-8',
    });
    expect(req!.headers.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(req!.headers.sign).toBe(expectedSign(req!));
    expect(JSON.parse(req!.body)).toEqual({
      requestNo: request.transferId,
      outerNo: 'BJ-2025-000123',
      memberName: '张三',
      idCardNo: '11010519491231002X',
      mobile: '13800000000',
      applyType: 'BRANCH',
      branchOrgCode: 'bj-00042-07',
      operatorId: 'op-19',
      outOrgCode: 'bj-00042',
      outOrgName: '共青团北京某某大学委员会',
      inAreaCode: '44',
      inOrgName: ORG,
      inOrgCode: 'ORG-1',
      irrevocable: 0,
      reasonType: 2,
      reasonInfo: { employer: '某某科技有限公司' },
    });
  });

  it('uses a fresh nonce per request', async () => {
    const seen = capture(
      nock(BASE)
        .post('/open/api/v2/transfer/query')
        .times(2)
        .reply(200, { code: 20004, msg: '申请不存在', data: null }),
    );
    await adapter().fetchStatus({ transferId: 'a' });
    await adapter().fetchStatus({ transferId: 'a' });
    expect(seen[0]!.headers.nonce).not.toBe(seen[1]!.headers.nonce);
  });

  it('signs GET searches over the sorted, RFC 3986 encoded query', async () => {
    const seen = capture(
      nock(BASE)
        .get('/open/api/v2/org/search')
        .query({ areaCode: '44', keyword: "天河 (区)*'!", pageSize: '5' })
        .reply(200, ok({ list: [{ orgCode: 'GD4410000006', orgName: ORG, areaCode: '44' }], total: 1 })),
    );
    expect(await adapter().searchOrgs('44', "天河 (区)*'!", { limit: 5 })).toEqual([
      { orgId: 'GD4410000006', fullName: ORG },
    ]);
    expect(seen[0]!.path).toBe(
      '/open/api/v2/org/search?areaCode=44&keyword=%E5%A4%A9%E6%B2%B3%20%28%E5%8C%BA%29%2A%27%21&pageSize=5',
    );
    expect(seen[0]!.headers.sign).toBe(expectedSign(seen[0]!));
    expect(seen[0]!.headers).not.toHaveProperty('content-type');
  });

  it('canonicalises queries the documented way: decoded, re-encoded, sorted by key then value', () => {
    // '+' is a literal plus (RFC 3986, not form encoding); '~' is unreserved and stays as is.
    expect(canonicalQuery('b=2&a=%7E+&a=1&c')).toBe('a=1&a=~%2B&b=2&c=');
  });

  it('maps every reason to a valid Guangdong reason', () => {
    for (const reason of ALL_REASONS) {
      expect(applyRequestSchema.safeParse(toApplyRequest({ ...request, reason })).success).toBe(true);
    }
    expect(toApplyRequest({ ...request, reason: ALL_REASONS[0]! })).toMatchObject({
      reasonType: 1,
      reasonInfo: {
        schoolCategory: '普通高校',
        schoolName: '中山大学',
        schoolAddr: '广州市海珠区新港西路135号',
      },
    });
    expect(toApplyRequest({ ...request, reason: ALL_REASONS[5]!, irreversible: true })).toMatchObject({
      reasonType: 6,
      reasonInfo: { auditAreaCode: '44' },
      irrevocable: 1,
    });
    const self = toApplyRequest({ ...request, initiator: { kind: 'member' } });
    expect(self.applyType).toBe('SELF');
    expect(self).not.toHaveProperty('branchOrgCode');
  });

  it('queries status and maps every applyStatus, Beijing time to UTC', async () => {
    const table = [
      [0, 'pending'],
      [1, 'awaiting_local_report'],
      [2, 'rejected'],
      [3, 'local_report_completed'],
      [4, 'withdrawn'],
      [5, 'expired'],
    ] as const;
    const scope = nock(BASE);
    for (const [applyStatus] of table) {
      scope.post('/open/api/v2/transfer/query', { requestNo: 'trf_1' }).reply(
        200,
        ok({
          applyNo: 'GDZJ1',
          requestNo: 'trf_1',
          applyStatus,
          auditOpinion: applyStatus === 2 ? '材料不全' : null,
          auditTime: applyStatus === 0 ? null : '2025-06-30 10:00:00',
          reportTime: applyStatus === 3 ? '2025-07-02 09:30:00' : null,
        }),
      );
    }
    scope.post('/open/api/v2/transfer/query').reply(200, { code: 20004, msg: '申请不存在', data: null });
    for (const [applyStatus, status] of table) {
      const s = await adapter().fetchStatus({ transferId: 'trf_1' });
      expect(s).toMatchObject({ status, partnerRef: 'GDZJ1' });
      if (applyStatus === 2) expect(s.reason).toBe('材料不全');
      if (applyStatus === 1) expect(s.at).toBe('2025-06-30T02:00:00.000Z');
      if (applyStatus === 3) expect(s.at).toBe('2025-07-02T01:30:00.000Z');
    }
    expect(await adapter().fetchStatus({ transferId: 'x' })).toEqual({ status: 'not_found' });
  });

  it('withdraws with request and apply numbers', async () => {
    const seen = capture(
      nock(BASE)
        .post('/open/api/v2/transfer/cancel', { requestNo: 'trf_1', applyNo: 'GDZJ1' })
        .reply(200, ok({ applyNo: 'GDZJ1', requestNo: 'trf_1', applyStatus: 4 })),
    );
    await adapter().withdraw({ transferId: 'trf_1', partnerRef: 'GDZJ1' });
    expect(seen[0]!.headers.sign).toBe(expectedSign(seen[0]!));
  });

  it('has no org-name check and says so without calling the partner', async () => {
    const a = adapter();
    expect(a.capabilities).toEqual({
      checkOrg: false,
      withdraw: true,
      localReport: true,
      accountCreation: false,
    });
    expect(await rejection(a.checkOrg('44', ORG))).toMatchObject({
      code: 'CAPABILITY_NOT_SUPPORTED',
      retryable: false,
    });
  });
});

describe('guangdong adapter: codes and failures', () => {
  const answering = (body: unknown, status = 200, headers?: Record<string, string>) => {
    nock(BASE)
      .post('/open/api/v2/transfer/apply')
      .reply(status, body as nock.Body, headers);
    return adapter().submit(request);
  };

  it('treats code 20001 as success with the existing apply number', async () => {
    expect(await answering({ code: 20001, msg: '重复请求', data: { applyNo: 'GDZJ0' } })).toEqual({
      partnerRef: 'GDZJ0',
      duplicate: true,
    });
  });

  it.each([
    [10001, PermanentPartnerError, 'INVALID_DATA'],
    [20002, PermanentPartnerError, 'ORG_NOT_FOUND'],
    [20003, PermanentPartnerError, 'REJECTED'],
    [10002, RetryablePartnerError, 'AUTH_FAILED'],
    [10003, RetryablePartnerError, 'AUTH_FAILED'],
    [10004, RetryablePartnerError, 'AUTH_FAILED'],
    [10005, RetryablePartnerError, 'AUTH_FAILED'],
    [50001, RetryablePartnerError, 'PARTNER_UNAVAILABLE'],
    [50002, RetryablePartnerError, 'PARTNER_UNAVAILABLE'],
    [99999, PartnerProtocolError, 'UNKNOWN_CODE'],
  ])('code %i → %o %s', async (code, cls, ours) => {
    const err = await rejection(answering({ code, msg: '说明', data: null }));
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ code: ours });
    if (cls === PermanentPartnerError) expect(err).toMatchObject({ partnerReason: '说明' });
  });

  it('maps the frequency limit code with its hint, and HTTP 429 with Retry-After', async () => {
    expect(
      await rejection(answering({ code: 42901, msg: '请求过于频繁', data: { retryAfter: 12 } })),
    ).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 12_000,
    });
    expect(await rejection(answering('slow down', 429, { 'retry-after': '3' }))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 3000,
    });
  });

  it.each([
    ['HTTP 503', () => answering('down', 503), 'PARTNER_UNAVAILABLE'],
    ['HTTP 404 from a proxy', () => answering('not here', 404), 'SCHEMA_MISMATCH'],
    ['a body that is not JSON', () => answering('{"code":0,'), 'MALFORMED_RESPONSE'],
    ['an envelope of the wrong shape', () => answering({ ok: true }), 'SCHEMA_MISMATCH'],
    ['data of the wrong shape', () => answering(ok({ applyNumber: 1 })), 'SCHEMA_MISMATCH'],
  ])('%s → %s', async (_what, call, code) => {
    const err = await rejection(call());
    expect(err).toMatchObject({ code, retryable: true });
  });

  it.each([
    [20004, 'APPLICATION_NOT_FOUND'],
    [20005, 'DECISION_ALREADY_MADE'],
    [20006, 'WITHDRAW_NOT_ALLOWED'],
  ])('withdraw answered %i → %s', async (code, ours) => {
    nock(BASE).post('/open/api/v2/transfer/cancel').reply(200, { code, msg: '不可撤回', data: null });
    expect(await rejection(adapter().withdraw({ transferId: 'trf_1', partnerRef: 'GDZJ1' }))).toMatchObject({
      code: ours,
      retryable: false,
    });
  });

  it('times out and survives resets, retryably', async () => {
    nock(BASE)
      .post('/open/api/v2/transfer/apply')
      .delay(1000)
      .reply(200, ok({ applyNo: 'x' }));
    expect(await rejection(adapter().submit(request))).toMatchObject({ code: 'TIMEOUT', timeout: true });
    nock(BASE).post('/open/api/v2/transfer/apply').replyWithError(connectionReset());
    expect(await rejection(adapter().submit(request))).toMatchObject({ code: 'NETWORK_ERROR' });
  });
});

describe('guangdong adapter: callbacks', () => {
  const a = adapter();
  it('maps its callbacks with Beijing times to UTC', () => {
    const body = {
      type: 'member.local_report_completed',
      data: {
        transferId: 't',
        partnerRef: 'GDZJ1',
        applyStatus: 3,
        auditTime: '2025-06-30 10:00:00',
        reportTime: '2025-07-02 09:30:00',
      },
    };
    expect(a.parseCallback(body)).toEqual({
      type: 'local_report_completed',
      transferId: 't',
      partnerRef: 'GDZJ1',
      at: '2025-07-02T01:30:00.000Z',
    });
    expect(
      a.parseCallback({ type: 'transfer.rejected', data: { transferId: 't', reason: '不符合' } }),
    ).toEqual({ type: 'rejected', transferId: 't', reason: '不符合' });
    expect(a.parseCallback({ type: 'member.account_created', data: { transferId: 't' } })).toMatchObject({
      type: 'unsupported',
    });
    expect(() =>
      a.parseCallback({ type: 'transfer.approved', data: { transferId: 't', auditTime: '30/06/2025' } }),
    ).toThrow(PartnerProtocolError);
    // The right shape, an impossible time: malformed, never a RangeError further in.
    for (const t of ['2024-13-01 00:00:00', '2024-02-30 10:00:00', '2024-01-01 24:00:00']) {
      expect(() =>
        a.parseCallback({ type: 'transfer.rejected', data: { transferId: 't', auditTime: t } }),
      ).toThrow(PartnerProtocolError);
      expect(() =>
        a.parseCallback({ type: 'member.local_report_completed', data: { transferId: 't', reportTime: t } }),
      ).toThrow(PartnerProtocolError);
    }
  });
});
