/** Intake over real HTTP against the real test Redis: acceptance, idempotency, refusals, listing. */
import { deliveryQueue } from '../helpers/partners.js';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryJobId } from '../../queues/names.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { testRedisClient } from '../helpers/redis.js';

let gw: TestGateway;
let redis: Redis;
let seq = 100;
const post = (body: unknown, key = `idem-${++seq}`, extra: Record<string, string> = {}) =>
  api(gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body,
    headers: { 'idempotency-key': key, ...extra },
  });

async function keyCount(): Promise<number> {
  const keys = await redis.keys(`${gw.config.REDIS_PREFIX}:*`);
  return keys.length;
}

beforeAll(async () => {
  gw = await startTestGateway({ ROLE: 'api' });
  redis = testRedisClient();
});
afterAll(async () => {
  await gw.close();
  await redis.quit();
});

describe('POST /v1/transfers', () => {
  it('stores a valid transfer, queues its job on the target queue and answers 202 with Location', async () => {
    const res = await post(transferBody({}, 1));
    expect(res.status).toBe(202);
    const id = String(res.body.id);
    expect(id).toMatch(/^trf_[0-9A-Z]{26}$/);
    expect(res.headers.get('location')).toBe(`/v1/transfers/${id}`);
    expect(res.body).toMatchObject({
      target: 'guangdong',
      state: 'accepted',
      member: {
        name: '张*',
        idNumber: expect.stringMatching(/^110105\*{8}\d{3}[\dX]$/),
      },
      destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
      attempts: 0,
      irreversible: false,
    });
    expect(res.body.member).toMatchObject({ phone: '138****0000' });
    const queue = new Queue(deliveryQueue('guangdong'), {
      connection: redis,
      prefix: gw.config.REDIS_PREFIX,
    });
    const job = await queue.getJob(deliveryJobId(id, 1));
    expect(job?.data).toEqual({ transferId: id }); // ids only: no personal data in job data
    expect(await gw.store.inOutbox(id)).toBe(false);
    const got = await api(gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, state: 'accepted', events: [{ type: 'accepted', source: 'api' }] });
  });

  it('routes by province code: 35 → fujian, other provinces and national sectors → national', async () => {
    const cases = [
      ['35', 'fujian'],
      ['31', 'national'],
      ['93', 'national'],
      ['44', 'guangdong'],
    ] as const;
    for (const [code, target] of cases) {
      const res = await post(
        transferBody({ destination: { provinceCode: code, orgFullName: '共青团某某委员会' } }, 2),
      );
      expect(res.status, code).toBe(202);
      expect(res.body.target, code).toBe(target);
    }
  });

  it('answers the same transfer for the same key and body, even with keys reordered', async () => {
    const body = transferBody({}, 3);
    const first = await post(body, 'same-key');
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const second = await post(reordered, 'same-key');
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBe('false');
  });

  it('refuses the same key with a different body: 409 IDEMPOTENCY_KEY_REUSED, nothing changed', async () => {
    await post(transferBody({}, 4), 'reused-key');
    const before = await keyCount();
    const res = await post(transferBody({ externalRef: 'OTHER' }, 4), 'reused-key');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await keyCount()).toBe(before);
  });

  it('creates one transfer when the same request arrives many times at once', async () => {
    const body = transferBody({ externalRef: 'BJ-CONCURRENT' }, 5);
    const results = await Promise.all(Array.from({ length: 12 }, () => post(body, 'concurrent-key')));
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const list = await api<{ items: unknown[] }>(gw.url, 'GET', '/v1/transfers?externalRef=BJ-CONCURRENT', {
      key: KEYS.beijing,
    });
    expect(list.body.items).toHaveLength(1);
  });

  it('scopes idempotency keys per caller', async () => {
    const a = await post(transferBody({}, 6), 'per-caller');
    const other = await api(gw.url, 'POST', '/v1/transfers', {
      key: KEYS.ops, // lacks transfers:write → refused before idempotency is looked at
      body: transferBody({}, 6),
      headers: { 'idempotency-key': 'per-caller' },
    });
    expect(a.status).toBe(202);
    expect(other.status).toBe(403);
  });
});

describe('refusals change nothing', () => {
  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] =
    [
      [
        'bad check digit',
        () => post(transferBody({ member: { name: '李四', idNumber: '110105200106150010' } })),
        422,
        'INVALID_ID_NUMBER',
      ],
      [
        '15-digit legacy id',
        () => post(transferBody({ member: { name: '李四', idNumber: '110105491231002' } })),
        422,
        'INVALID_ID_NUMBER',
      ],
      [
        'Beijing destination',
        () =>
          post(transferBody({ destination: { provinceCode: '11', orgFullName: '共青团北京市某区委员会' } })),
        422,
        'DESTINATION_IS_INTERNAL',
      ],
      [
        'unknown province',
        () => post(transferBody({ destination: { provinceCode: '99', orgFullName: 'x' } })),
        422,
        'INVALID_PROVINCE_CODE',
      ],
      [
        'enlistment by member',
        () =>
          post(
            transferBody({
              reason: { kind: 'enlistment', reviewingProvinceCode: '37' },
              confirmedWithMember: true,
            }),
          ),
        422,
        'ENLISTMENT_REQUIRES_BRANCH',
      ],
      [
        'classified without confirmation',
        () => post(transferBody({ reason: { kind: 'classified_unit' } })),
        422,
        'CONFIRMATION_REQUIRED',
      ],
      ['unknown field', () => post(transferBody({ favouriteColour: 'red' })), 422, 'VALIDATION_FAILED'],
      [
        'missing reason detail',
        () => post(transferBody({ reason: { kind: 'employed_without_org', employerName: 'x' } })),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'bad phone',
        () => post(transferBody({ member: { name: '李四', idNumber: validIdNumber(7), phone: '12345' } })),
        422,
        'INVALID_PHONE',
      ],
      [
        'malformed JSON',
        () =>
          api(gw.url, 'POST', '/v1/transfers', {
            key: KEYS.beijing,
            raw: '{"a":',
            headers: { 'content-type': 'application/json', 'idempotency-key': 'm1' },
          }),
        400,
        'MALFORMED_JSON',
      ],
      [
        'not JSON',
        () =>
          api(gw.url, 'POST', '/v1/transfers', {
            key: KEYS.beijing,
            raw: 'a=b',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'm2' },
          }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'too large',
        () => post({ ...transferBody(), externalRef: 'x'.repeat(70_000) }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'no idempotency key',
        () => api(gw.url, 'POST', '/v1/transfers', { key: KEYS.beijing, body: transferBody() }),
        400,
        'IDEMPOTENCY_KEY_REQUIRED',
      ],
      [
        'idempotency key too long',
        () => post(transferBody(), 'k'.repeat(256)),
        400,
        'IDEMPOTENCY_KEY_REQUIRED',
      ],
      ['array body', () => post([transferBody()]), 422, 'VALIDATION_FAILED'],
      [
        'no key',
        () =>
          api(gw.url, 'POST', '/v1/transfers', {
            body: transferBody(),
            headers: { 'idempotency-key': 'n1' },
          }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'wrong key',
        () =>
          api(gw.url, 'POST', '/v1/transfers', {
            key: 'not-a-real-key-at-all',
            body: transferBody(),
            headers: { 'idempotency-key': 'n2' },
          }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'read-only key',
        () =>
          api(gw.url, 'POST', '/v1/transfers', {
            key: KEYS.reader,
            body: transferBody(),
            headers: { 'idempotency-key': 'n3' },
          }),
        403,
        'FORBIDDEN',
      ],
    ];
  it.each(cases)('%s → %i %s', async (_name, call, status, code) => {
    const before = await keyCount();
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({
      status,
      code,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(await keyCount()).toBe(before);
  });

  it('lists every problem with its field path', async () => {
    const res = await post(
      transferBody({
        member: { name: '李四', idNumber: '110105200106150010' },
        destination: { provinceCode: '11', orgFullName: 'x' },
        extra: 1,
      }),
    );
    expect(res.status).toBe(422);
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['destination.provinceCode', 'extra', 'member.idNumber']);
  });
});

describe('reading', () => {
  it('authenticates with a key configured as a sha256 hash; 404 for unknown ids', async () => {
    const res = await api(gw.url, 'GET', '/v1/transfers/trf_01ARZ3NDEKTSV4RRFFQ69G5FAV', {
      key: KEYS.reader,
    });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('TRANSFER_NOT_FOUND');
    const bad = await api(gw.url, 'GET', '/v1/transfers/nonsense', { key: KEYS.reader });
    expect(bad.status).toBe(404);
  });

  it('lists newest first with a cursor, filtered by state and target', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await post(
        transferBody(
          {
            externalRef: 'BJ-PAGE',
            destination: { provinceCode: '35', orgFullName: '共青团福州市鼓楼区委员会' },
          },
          20 + i,
        ),
      );
      ids.push(String(r.body.id));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/transfers?externalRef=BJ-PAGE&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api<{ items: { id: string }[]; nextCursor: string | null }>(gw.url, 'GET', q, {
        key: KEYS.reader,
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((t) => t.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const fujian = await api<{ items: { id: string; target: string; state: string }[] }>(
      gw.url,
      'GET',
      '/v1/transfers?target=fujian&state=accepted&limit=100',
      { key: KEYS.reader },
    );
    expect(fujian.body.items.every((t) => t.target === 'fujian' && t.state === 'accepted')).toBe(true);
    expect(fujian.body.items.map((t) => t.id)).toEqual(expect.arrayContaining(ids));
    const none = await api<{ items: unknown[] }>(gw.url, 'GET', '/v1/transfers?state=completed', {
      key: KEYS.reader,
    });
    expect(none.body.items).toHaveLength(0);
    const badQuery = await api(gw.url, 'GET', '/v1/transfers?state=bogus', { key: KEYS.reader });
    expect(badQuery.status).toBe(422);
  });
});
