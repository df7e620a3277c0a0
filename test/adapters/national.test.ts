import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerProtocolError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import { nationalConfigSchema } from '../../adapters/national/config.js';
import { NationalAdapter, toApplicationRequest, toWireReason } from '../../adapters/national/index.js';
import { applicationRequestSchema, wireReasonSchema } from '../../adapters/national/wire.js';
import { ALL_REASONS, capture, connectionReset, rejection, sampleRequest } from './support.js';

const BASE = 'https://zhtj.national.test';
const config = nationalConfigSchema.parse({
  baseUrl: BASE,
  clientId: 'gateway-bj',
  clientSecret: 's3cret/with+chars',
  timeoutMs: 300,
});
const TOKEN = { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 };
const app = (over: object = {}) => ({
  applicationId: 'ZTSQ20250630000001',
  requestId: 'trf_01J9Z8Y7X6W5V4T3S2R1Q0P9N8',
  status: 'PENDING',
  rejectReason: null,
  createdAt: '2025-06-30T02:00:00.000Z',
  updatedAt: '2025-06-30T02:00:00.000Z',
  ...over,
});
const ORG = '共青团中国石油大学（华东）委员会';
const request = sampleRequest('37', ORG);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

function withToken(token = TOKEN): nock.Scope {
  return nock(BASE).post('/oauth/token').reply(200, token);
}

describe('national adapter: outgoing requests', () => {
  it('gets a client-credentials token, then submits with bearer, request id and the mapped body', async () => {
    const scope = nock(BASE)
      .post('/oauth/token')
      .reply(200, TOKEN)
      .post('/api/v1/transfer-applications')
      .reply(201, app());
    const seen = capture(scope);
    const result = await new NationalAdapter(config).submit(request);
    expect(result).toEqual({ partnerRef: 'ZTSQ20250630000001', duplicate: false });

    const [token, submit] = seen;
    expect(token).toMatchObject({ method: 'POST', path: '/oauth/token' });
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'gateway-bj',
      client_secret: 's3cret/with+chars',
    });
    expect(submit).toMatchObject({ method: 'POST', path: '/api/v1/transfer-applications' });
    expect(submit!.headers).toMatchObject({
      authorization: 'Bearer tok-1',
      'x-request-id': request.transferId,
      'content-type': 'application/json',
    });
    expect(JSON.parse(submit!.body)).toEqual({
      requestId: request.transferId,
      externalRef: 'BJ-2025-000123',
      applicant: { name: '张三', idNumber: '11010519491231002X', mobile: '13800000000' },
      initiator: { type: 'BRANCH', branchOrgId: 'bj-00042-07', operatorId: 'op-19' },
      fromOrg: { orgId: 'bj-00042', fullName: '共青团北京某某大学委员会' },
      toOrg: { provinceCode: '37', fullName: ORG, orgId: 'ORG-1' },
      reason: { code: '02', employerName: '某某科技有限公司' },
      irrevocable: false,
    });
  });

  it('maps every reason to a valid national reason', () => {
    const codes = ALL_REASONS.map((r) => wireReasonSchema.parse(toWireReason(r)).code);
    expect(codes).toEqual(['01', '02', '03', '04', '05', '06', '07', '99']);
    expect(toWireReason(ALL_REASONS[4]!)).toEqual({
      code: '05',
      purpose: 'STUDY',
      countryOrRegion: '新加坡',
      departureDate: '2025-08-20',
      expectedReturnDate: '2027-07-01',
      domesticContact: { name: '李四', mobile: '13900000000', relation: '父亲' },
    });
    for (const reason of ALL_REASONS) {
      expect(applicationRequestSchema.safeParse(toApplicationRequest({ ...request, reason })).success).toBe(
        true,
      );
    }
    const member = toApplicationRequest({
      ...request,
      initiator: { kind: 'member' },
      member: { name: '张三', idNumber: '11010519491231002X' },
    });
    expect(member.initiator).toEqual({ type: 'MEMBER' });
    expect(member.applicant).not.toHaveProperty('mobile');
  });

  it('checks and searches orgs with encoded query strings', async () => {
    const scope = withToken()
      .get('/api/v1/orgs/check')
      .query({ provinceCode: '37', fullName: ORG })
      .reply(200, { exists: true, org: { orgId: 'ZT3700000040', fullName: ORG, provinceCode: '37' } })
      .get('/api/v1/orgs/check')
      .query({ provinceCode: '37', fullName: '共青团中国石油大学委会' })
      .reply(200, {
        exists: false,
        suggestions: [{ orgId: 'ZT3700000040', fullName: ORG, provinceCode: '37' }],
      })
      .get('/api/v1/orgs')
      .query({ provinceCode: '37', keyword: '石油 大学', pageSize: '5' })
      .reply(200, { items: [{ orgId: 'ZT3700000040', fullName: ORG, provinceCode: '37' }], total: 1 });
    const seen = capture(scope);
    const adapter = new NationalAdapter(config);
    expect(await adapter.checkOrg('37', ORG)).toEqual({
      result: 'exists',
      org: { orgId: 'ZT3700000040', fullName: ORG },
    });
    expect(await adapter.checkOrg('37', '共青团中国石油大学委会')).toEqual({
      result: 'not_found',
      suggestions: [{ orgId: 'ZT3700000040', fullName: ORG }],
    });
    expect(await adapter.searchOrgs('37', '石油 大学', { limit: 5 })).toEqual([
      { orgId: 'ZT3700000040', fullName: ORG },
    ]);
    expect(seen[3]!.path).toBe(
      '/api/v1/orgs?provinceCode=37&keyword=%E7%9F%B3%E6%B2%B9%20%E5%A4%A7%E5%AD%A6&pageSize=5',
    );
  });

  it('fetches status by request id and maps every status', async () => {
    const statuses = [
      ['PENDING', 'pending'],
      ['APPROVED', 'approved'],
      ['REJECTED', 'rejected'],
      ['EXPIRED', 'expired'],
      ['WITHDRAWN', 'withdrawn'],
    ] as const;
    const scope = withToken();
    for (const [wire] of statuses) {
      scope.get(`/api/v1/transfer-applications/${request.transferId}`).reply(
        200,
        app({
          status: wire,
          ...(wire === 'REJECTED' ? { rejectReason: '材料不全' } : {}),
          ...(wire === 'APPROVED' ? { accountCreated: true } : {}),
        }),
      );
    }
    scope
      .get('/api/v1/transfer-applications/unknown')
      .reply(404, { error: { code: 'APPLICATION_NOT_FOUND', message: '申请不存在' } });
    const adapter = new NationalAdapter(config);
    for (const [, ours] of statuses) {
      const s = await adapter.fetchStatus({ transferId: request.transferId });
      expect(s.status).toBe(ours);
      expect(s.partnerRef).toBe('ZTSQ20250630000001');
      if (ours === 'rejected') expect(s.reason).toBe('材料不全');
      if (ours === 'approved') expect(s.accountCreated).toBe(true);
    }
    expect(await adapter.fetchStatus({ transferId: 'unknown' })).toEqual({ status: 'not_found' });
  });

  it('withdraws by request id', async () => {
    const seen = capture(
      withToken()
        .post(`/api/v1/transfer-applications/${request.transferId}/withdraw`)
        .reply(200, app({ status: 'WITHDRAWN' })),
    );
    await new NationalAdapter(config).withdraw({
      transferId: request.transferId,
      partnerRef: 'ZTSQ20250630000001',
    });
    expect(seen[1]).toMatchObject({ method: 'POST', body: '{}' });
  });
});

describe('national adapter: token handling', () => {
  it('caches the token across calls', async () => {
    withToken().get('/api/v1/orgs').query(true).times(3).reply(200, { items: [], total: 0 });
    const adapter = new NationalAdapter(config);
    await Promise.all([adapter.searchOrgs('37', 'a'), adapter.searchOrgs('37', 'b')]);
    await adapter.searchOrgs('37', 'c');
  });

  it('refreshes the token shortly before it expires', async () => {
    let now = 1_000_000;
    const scope = withToken({ ...TOKEN, expires_in: 600 })
      .post('/oauth/token')
      .reply(200, { ...TOKEN, access_token: 'tok-2' });
    scope.get('/api/v1/orgs').query(true).times(3).reply(200, { items: [], total: 0 });
    const seen = capture(scope);
    const adapter = new NationalAdapter({ ...config, tokenRefreshMarginMs: 60_000 }, undefined, () => now);
    await adapter.searchOrgs('37', 'a');
    now += 530_000; // 70 s before expiry: still used
    await adapter.searchOrgs('37', 'a');
    now += 20_000; // inside the margin: refreshed
    await adapter.searchOrgs('37', 'a');
    expect(seen.filter((r) => r.path.startsWith('/api')).map((r) => r.headers.authorization)).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
  });

  it('refreshes once on 401 INVALID_TOKEN and retries the call', async () => {
    const scope = withToken()
      .get('/api/v1/orgs')
      .query(true)
      .reply(401, { error: { code: 'INVALID_TOKEN', message: 'token revoked' } })
      .post('/oauth/token')
      .reply(200, { ...TOKEN, access_token: 'tok-2' })
      .get('/api/v1/orgs')
      .query(true)
      .reply(200, { items: [], total: 0 });
    const seen = capture(scope);
    expect(await new NationalAdapter(config).searchOrgs('37', 'a')).toEqual([]);
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer tok-2');
  });

  it('gives up with AUTH_FAILED when the fresh token is refused too', async () => {
    withToken()
      .get('/api/v1/orgs')
      .query(true)
      .times(2)
      .reply(401, { error: { code: 'INVALID_TOKEN', message: 'no' } })
      .post('/oauth/token')
      .reply(200, TOKEN);
    const err = await rejection(new NationalAdapter(config).searchOrgs('37', 'a'));
    expect(err).toBeInstanceOf(RetryablePartnerError);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', status: 401 });
  });

  it('maps refused client credentials to AUTH_FAILED', async () => {
    nock(BASE).post('/oauth/token').reply(401, { error: 'invalid_client' });
    expect(await rejection(new NationalAdapter(config).searchOrgs('37', 'a'))).toMatchObject({
      code: 'AUTH_FAILED',
      retryable: true,
    });
  });
});

describe('national adapter: answers and errors', () => {
  const submitAnswering = (status: number, body: unknown, headers?: Record<string, string>) => {
    withToken()
      .post('/api/v1/transfer-applications')
      .reply(status, body as nock.Body, headers);
    return new NationalAdapter(config).submit(request);
  };

  it('treats 409 DUPLICATE_REQUEST as success with the existing ref', async () => {
    const body = {
      error: {
        code: 'DUPLICATE_REQUEST',
        message: '重复的请求',
        details: { applicationId: 'ZTSQ20250629000042' },
      },
    };
    expect(await submitAnswering(409, body)).toEqual({ partnerRef: 'ZTSQ20250629000042', duplicate: true });
  });

  it.each([
    [429, { 'retry-after': '30' }, 'RATE_LIMITED', 30_000],
    [503, {}, 'PARTNER_UNAVAILABLE', undefined],
    [500, {}, 'PARTNER_UNAVAILABLE', undefined],
    [502, {}, 'PARTNER_UNAVAILABLE', undefined],
  ])('HTTP %i → retryable %s', async (status, headers, code, retryAfterMs) => {
    const err = await rejection(submitAnswering(status, 'busy', headers));
    expect(err).toBeInstanceOf(RetryablePartnerError);
    expect(err).toMatchObject({ code, status, retryAfterMs });
  });

  it('reads Retry-After as an HTTP date too', async () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    const err = (await rejection(submitAnswering(429, '', { 'retry-after': at }))) as RetryablePartnerError;
    expect(err.retryAfterMs).toBeGreaterThan(110_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it.each([
    [400, 'INVALID_REQUEST', 'INVALID_DATA'],
    [422, 'PROVINCE_NOT_SERVED', 'INVALID_DATA'],
    [422, 'APPLICATION_REJECTED', 'REJECTED'],
    [409, 'DECISION_ALREADY_MADE', 'DECISION_ALREADY_MADE'],
    [409, 'WITHDRAW_NOT_ALLOWED', 'WITHDRAW_NOT_ALLOWED'],
  ])('HTTP %i %s → permanent %s with the partner reason', async (status, wire, code) => {
    const err = await rejection(submitAnswering(status, { error: { code: wire, message: '原因' } }));
    expect(err).toBeInstanceOf(PermanentPartnerError);
    expect(err).toMatchObject({ code, status, partnerReason: '原因', retryable: false });
  });

  it('carries suggestions on ORG_NOT_FOUND', async () => {
    const suggestions = [{ orgId: 'ZT3700000040', fullName: ORG, provinceCode: '37' }];
    const err = await rejection(
      submitAnswering(404, {
        error: { code: 'ORG_NOT_FOUND', message: '未查询到该组织', details: { suggestions } },
      }),
    );
    expect(err).toMatchObject({
      code: 'ORG_NOT_FOUND',
      suggestions: [{ orgId: 'ZT3700000040', fullName: ORG }],
    });
  });

  it.each([
    ['not JSON', 201, '<html>oops</html>', 'MALFORMED_RESPONSE'],
    ['the wrong shape', 201, { id: 1 }, 'SCHEMA_MISMATCH'],
    ['an error body of the wrong shape', 400, { message: 'bad' }, 'SCHEMA_MISMATCH'],
    ['an undocumented error code', 418, { error: { code: 'TEAPOT', message: '?' } }, 'UNKNOWN_CODE'],
    [
      'a duplicate without its id',
      409,
      { error: { code: 'DUPLICATE_REQUEST', message: 'dup' } },
      'SCHEMA_MISMATCH',
    ],
  ])('an answer that is %s → PartnerProtocolError', async (_what, status, body, code) => {
    const err = await rejection(submitAnswering(status, body));
    expect(err).toBeInstanceOf(PartnerProtocolError);
    expect(err).toMatchObject({ code, retryable: true });
  });

  it('times out, retryably, when the partner is slow', async () => {
    withToken().post('/api/v1/transfer-applications').delay(1000).reply(201, app());
    const err = await rejection(new NationalAdapter(config).submit(request));
    expect(err).toMatchObject({ code: 'TIMEOUT', timeout: true, retryable: true });
  });

  it('maps a reset connection to NETWORK_ERROR and an abort to ABORTED', async () => {
    withToken().post('/api/v1/transfer-applications').replyWithError(connectionReset());
    expect(await rejection(new NationalAdapter(config).submit(request))).toMatchObject({
      code: 'NETWORK_ERROR',
      retryable: true,
    });
    nock.cleanAll();
    withToken().post('/api/v1/transfer-applications').delay(200).reply(201, app());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const err = await rejection(
      new NationalAdapter({ ...config, timeoutMs: 2000 }).submit(request, { signal: controller.signal }),
    );
    expect(err).toMatchObject({ code: 'ABORTED', retryable: true });
  });
});

describe('national adapter: callbacks', () => {
  const adapter = new NationalAdapter(config);
  const cb = (type: string, data: object = {}) => ({
    type,
    data: { transferId: 'trf_1', partnerRef: 'ZTSQ1', ...data },
  });

  it.each([
    ['transfer.approved', 'approved'],
    ['transfer.rejected', 'rejected'],
    ['transfer.expired', 'expired'],
    ['member.account_created', 'account_created'],
  ])('%s → %s', (type, ours) => {
    expect(
      adapter.parseCallback(
        cb(type, { decidedAt: '2025-06-30T02:00:00Z', reason: '理由', toOrgFullName: ORG }),
      ),
    ).toEqual({
      type: ours,
      transferId: 'trf_1',
      partnerRef: 'ZTSQ1',
      reason: '理由',
      at: '2025-06-30T02:00:00Z',
    });
  });

  it('answers types national never sends as unsupported, and refuses malformed bodies', () => {
    expect(adapter.parseCallback(cb('member.local_report_completed'))).toMatchObject({ type: 'unsupported' });
    expect(() => adapter.parseCallback({ type: 'transfer.approved', data: {} })).toThrow(
      PartnerProtocolError,
    );
    expect(() => adapter.parseCallback(cb('transfer.approved', { decidedAt: 'yesterday' }))).toThrow(
      PartnerProtocolError,
    );
    expect(() => adapter.parseCallback(null)).toThrow(PartnerProtocolError);
  });
});
