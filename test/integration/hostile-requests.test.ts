/**
 * The HTTP edge against hostile requests, over real sockets against the real test Redis: malformed
 * paths, compressed bodies that do not inflate, foreign charsets and bytes that are not UTF-8, text no
 * partner can use, bodies nested to the limit, clients that stall, and callbacks naming odd transfers.
 * Every refusal is a 4xx problem+json with its stable code, changes nothing, and logs no error.
 */
import { Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGuangdongSimulator } from '../../adapters/guangdong/simulator.js';
import { webhookHeaders } from '../../src/webhooks/standard-webhooks.js';
import { transferBody } from '../helpers/bodies.js';
import { testEnv } from '../helpers/env.js';
import { callbackSecret, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { testRedisClient } from '../helpers/redis.js';

type Guangdong = Awaited<ReturnType<typeof startGuangdongSimulator>>;

let gw: TestGateway;
let guangdong: Guangdong;
let redis: Redis;

beforeAll(async () => {
  const env = testEnv();
  // A real Guangdong partner on loopback, so the org search can be shown to reach it (or not).
  guangdong = await startGuangdongSimulator({
    host: '127.0.0.1',
    port: 0,
    gatewayUrl: 'http://127.0.0.1:9', // ROLE=api: nothing is delivered, so no callback is ever sent
    callbackSecret: env.CALLBACK_SECRETS_GUANGDONG!,
    credentials: { appId: env.GUANGDONG_APP_ID!, appSecret: env.GUANGDONG_APP_SECRET! },
    decision: { mode: 'never' },
    logger: { warn: () => undefined },
  });
  gw = await startTestGateway({ ROLE: 'api', GUANGDONG_BASE_URL: guangdong.url });
  redis = testRedisClient();
});
afterAll(async () => {
  await gw.close();
  await guangdong.close();
  await redis.quit();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown> & { code?: string; errors?: { path: string; code?: string }[] };
}

interface SendOptions {
  key?: string;
  basic?: [string, string];
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A request with exactly these headers and body bytes. */
async function send(method: string, path: string, o: SendOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  if (o.basic) headers.authorization = `Basic ${Buffer.from(o.basic.join(':')).toString('base64')}`;
  const res = await fetch(`${gw.url}${path}`, { method, headers, body: o.body });
  const text = await res.text();
  let body: Answer['body'] = {};
  try {
    body = text ? (JSON.parse(text) as Answer['body']) : {};
  } catch {
    // HTML or plain text: left to the assertions on `text`.
  }
  return { status: res.status, headers: res.headers, text, body };
}

function expectProblem(res: Answer, status: number, code: string, label = ''): void {
  expect(res.status, `${label} status (${res.text.slice(0, 300)})`).toBe(status);
  expect(res.headers.get('content-type'), `${label} content-type`).toMatch(/^application\/problem\+json/);
  expect(res.body.code, `${label} code`).toBe(code);
  expect(res.body.status, `${label} status in body`).toBe(status);
}

const pathsOf = (res: Answer): string[] => (res.body.errors ?? []).map((e) => e.path);

let seq = 0;
const nextKey = (what: string) => `hostile-${what}-${++seq}`;

/** POST /v1/transfers with these exact bytes. */
const postRaw = (body: string | Buffer, headers: Record<string, string> = {}) =>
  send('POST', '/v1/transfers', {
    key: KEYS.beijing,
    body,
    headers: { 'content-type': 'application/json', 'idempotency-key': nextKey('raw'), ...headers },
  });

/** A valid body as JSON text, numbered so each accepted one is a new transfer. */
const validJson = (n: number, overrides: Record<string, unknown> = {}) =>
  JSON.stringify(transferBody({ externalRef: `BJ-HOSTILE-${n}`, ...overrides }, n));

/** Transfers in the store (summed over its per-state-and-target indexes). */
const storedCount = () => gw.store.count();

const nationalSecret = () => callbackSecret(gw, 'national');
let msg = 0;
/** A national callback signed with the gateway's own secret over exactly `body`. */
const signedCallback = (body: string | Buffer, headers: Record<string, string> = {}, target = 'national') =>
  send('POST', `/v1/callbacks/${target}`, {
    body,
    headers: {
      'content-type': 'application/json',
      ...webhookHeaders(nationalSecret(), `msg_hostile_${++msg}`, body),
      ...headers,
    },
  });

/** Writes `text` on a raw socket to `base` and resolves with all the server sent once it closes. */
function exchange(base: string, text: string | Buffer): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; received: ${received.slice(0, 200)}`));
    }, 5_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(received);
    });
    socket.connect(Number(port), '127.0.0.1', () => socket.write(text));
  });
}

describe('a malformed percent-encoding in a path parameter: 400 MALFORMED_PATH', () => {
  // `:p` stands for the parameter; the credentials each route asks for; a body where it takes one.
  const routes: [string, string, string | undefined, string | undefined][] = [
    ['GET', '/v1/transfers/:p', KEYS.beijing, undefined],
    ['POST', '/v1/transfers/:p/cancel', KEYS.beijing, '{"reason":"x"}'],
    ['POST', '/v1/transfers/:p/retry', KEYS.ops, undefined],
    ['POST', '/v1/callbacks/:p', undefined, '{"type":"transfer.approved","data":{}}'],
    ['POST', '/v1/ops/targets/:p/pause', KEYS.ops, undefined],
    ['POST', '/v1/ops/targets/:p/resume', KEYS.ops, undefined],
    ['POST', '/v1/notifications/:p/replay', KEYS.ops, undefined],
  ];
  const malformed = ['%', '%ZZ', 'trf_%E0%A4%A', '%C0%AF', '%FF', '%ED%A0%80', 'national%'];

  it.each(routes)('%s %s', async (method, route, key, body) => {
    const path = (p: string) => route.replace(':p', p);
    for (const bad of malformed) {
      const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
      const anonymous = await send(method, path(bad), { headers, ...(body ? { body } : {}) });
      expectProblem(anonymous, 400, 'MALFORMED_PATH', `${method} ${path(bad)} without credentials`);
      const withKey = key
        ? await send(method, path(bad), { key, headers, ...(body ? { body } : {}) })
        : // A callback's credentials are its signature.
          await send(method, path(bad), {
            body: body ?? '',
            headers: { ...headers, ...webhookHeaders(nationalSecret(), `msg_path_${++msg}`, body ?? '') },
          });
      expectProblem(withKey, 400, 'MALFORMED_PATH', `${method} ${path(bad)} with credentials`);
    }
    // A well-formed encoding of an odd value is no path problem: the route answers for itself.
    const fine = await send(method, path('%E5%BC%A0'), {
      ...(key ? { key } : {}),
      ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    expect(fine.status, `${method} ${path('%E5%BC%A0')}`).toBeGreaterThanOrEqual(401);
    expect(fine.status).toBeLessThan(500);
    expect(fine.body.code).not.toBe('MALFORMED_PATH');
  });

  it('under /admin/queues, with the operator login: 400 MALFORMED_PATH, never 5xx', async () => {
    const login: [string, string] = [gw.config.OPS_USER, gw.config.OPS_PASSWORD];
    const paths = [
      '/admin/queues/queue/%ZZ',
      '/admin/queues/queue/deliver-national/%E0%A4%A',
      '/admin/queues/api/queues/%ZZ/metrics',
      '/admin/queues/api/queues/deliver-national/%C0%AF',
      '/admin/queues/api/queues/%FF/%FF/logs',
      '/admin/queues/static/%ZZ',
    ];
    for (const path of paths) {
      const res = await send('GET', path, { basic: login });
      expectProblem(res, 400, 'MALFORMED_PATH', `GET ${path}`);
      const anonymous = await send('GET', path);
      expect(anonymous.status, `GET ${path} without login`).toBe(401);
    }
    // A change (same-origin, so it passes the CSRF guard) to a malformed queue name.
    const put = await send('PUT', '/admin/queues/api/queues/%ZZ/pause', {
      basic: login,
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expectProblem(put, 400, 'MALFORMED_PATH', 'PUT pause');
    // The dashboard itself still answers.
    const page = await send('GET', '/admin/queues/queue/deliver-national', { basic: login });
    expect(page.status).toBe(200);
  });
});

describe('compressed bodies', () => {
  const valid = (n: number) => Buffer.from(validJson(n));
  const gz = gzipSync(valid(1));
  const br = brotliCompressSync(valid(1));
  const corrupt: [string, string, Buffer][] = [
    ['gzip: not gzip at all', 'gzip', Buffer.from('this is not gzip')],
    ['gzip: truncated', 'gzip', gz.subarray(0, gz.length - 6)],
    ['gzip: bad checksum', 'gzip', Buffer.concat([gz.subarray(0, -8), Buffer.alloc(4), gz.subarray(-4)])],
    ['deflate: not deflate', 'deflate', Buffer.from('this is not deflate')],
    ['deflate: raw deflate without its zlib header', 'deflate', deflateSync(valid(1)).subarray(2)],
    ['br: not brotli', 'br', Buffer.from('this is not brotli at all, no')],
    ['br: truncated', 'br', br.subarray(0, br.length - 4)],
    ['GZIP (upper case): not gzip', 'GZIP', Buffer.from('nope')],
  ];

  it.each(corrupt)(
    'POST /v1/transfers, %s → 400 MALFORMED_BODY, nothing stored',
    async (_what, enc, bytes) => {
      const before = await storedCount();
      expectProblem(await postRaw(bytes, { 'content-encoding': enc }), 400, 'MALFORMED_BODY');
      expect(await storedCount()).toBe(before);
    },
  );

  it.each(corrupt)('POST /v1/callbacks/national, %s → 400 MALFORMED_BODY', async (_what, enc, bytes) => {
    expectProblem(await signedCallback(bytes, { 'content-encoding': enc }), 400, 'MALFORMED_BODY');
  });

  it('the cancel route refuses a corrupt body the same way', async () => {
    const res = await send('POST', '/v1/transfers/trf_01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel', {
      key: KEYS.beijing,
      body: Buffer.from('definitely not brotli'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    });
    expectProblem(res, 400, 'MALFORMED_BODY');
  });

  it.each(['compress', 'x-custom', 'gzip, gzip', 'identity, br', 'zip'])(
    'an unknown Content-Encoding (%s) → 415 UNSUPPORTED_MEDIA_TYPE, on intake and on a callback',
    async (enc) => {
      const before = await storedCount();
      expectProblem(await postRaw(gz, { 'content-encoding': enc }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await storedCount()).toBe(before);
      expectProblem(
        await signedCallback(gz, { 'content-encoding': enc }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'callback',
      );
    },
  );

  it('a body that does inflate is accepted: gzip, deflate and br', async () => {
    const cases: [string, Buffer][] = [
      ['gzip', gzipSync(valid(11))],
      ['deflate', deflateSync(valid(12))],
      ['br', brotliCompressSync(valid(13))],
    ];
    for (const [enc, bytes] of cases) {
      const res = await postRaw(bytes, { 'content-encoding': enc });
      expect(res.status, enc).toBe(202);
    }
  });
});

describe('charsets and UTF-8', () => {
  it.each(['utf-7', 'utf-16', 'UTF-16LE', 'iso-8859-1', 'gbk', 'gb2312', 'big5', '"gbk"', 'bogus'])(
    'charset=%s → 415 UNSUPPORTED_MEDIA_TYPE, nothing stored',
    async (charset) => {
      const before = await storedCount();
      const res = await postRaw(validJson(20), { 'content-type': `application/json; charset=${charset}` });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await storedCount()).toBe(before);
    },
  );

  it('a UTF-16 body is refused whether it says so or not', async () => {
    const utf16 = Buffer.from(`\uFEFF${validJson(21)}`, 'utf16le');
    expectProblem(
      await postRaw(utf16, { 'content-type': 'application/json; charset=utf-16' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'declared',
    );
    // Undeclared, its bytes (FF FE …) are not UTF-8.
    expectProblem(await postRaw(utf16), 415, 'UNSUPPORTED_MEDIA_TYPE', 'undeclared');
  });

  it.each(['utf-8', 'UTF-8', 'utf8', '"utf-8"', 'Utf-8'])('charset=%s is accepted', async (charset) => {
    const res = await postRaw(validJson(22 + seq), {
      'content-type': `application/json; charset=${charset}`,
    });
    expect(res.status).toBe(202);
  });

  it('accepts application/*+json with UTF-8', async () => {
    const res = await postRaw(validJson(40), {
      'content-type': 'application/merge-patch+json;charset=utf-8',
    });
    expect(res.status).toBe(202);
  });

  const json = Buffer.from(validJson(30));
  const at = json.indexOf(Buffer.from('张三'));
  const withBytes = (bytes: number[]) =>
    Buffer.concat([json.subarray(0, at), Buffer.from(bytes), json.subarray(at)]);
  const invalid: [string, number[]][] = [
    ['a lone continuation byte', [0x80]],
    ['a lead byte without its continuation', [0xc3, 0x28]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a UTF-8-encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ['a byte that never occurs in UTF-8', [0xff]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['GBK bytes for 张', [0xd5, 0xc5]],
  ];

  it.each(invalid)('invalid UTF-8 (%s) with no charset → 415, nothing stored', async (_what, bytes) => {
    const before = await storedCount();
    expectProblem(await postRaw(withBytes(bytes)), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await storedCount()).toBe(before);
  });

  it('invalid UTF-8 truncated at the very end of the body → 415', async () => {
    expectProblem(
      await postRaw(Buffer.concat([json, Buffer.from([0xe5, 0xbc])])),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('a UTF-8 byte order mark is fine, and is not part of the first field', async () => {
    const res = await postRaw(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(validJson(31))]));
    expect(res.status).toBe(202);
    expect(res.body.externalRef).toBe('BJ-HOSTILE-31');
  });

  describe('on a signed callback (after the signature check)', () => {
    const unsupported = JSON.stringify({ type: 'transfer.something_new', data: { transferId: 'x' } });

    it.each(['utf-16', 'iso-8859-1', 'gbk', 'utf-7'])('charset=%s → 415', async (charset) => {
      const res = await signedCallback(unsupported, {
        'content-type': `application/json; charset=${charset}`,
      });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('an unsigned callback with a foreign charset is 401: the signature comes first', async () => {
      const res = await send('POST', '/v1/callbacks/national', {
        body: unsupported,
        headers: { 'content-type': 'application/json; charset=gbk' },
      });
      expectProblem(res, 401, 'INVALID_SIGNATURE');
    });

    it('invalid UTF-8 bytes → 415', async () => {
      const bytes = Buffer.from(unsupported.replace('"x"', '"\u0000"'));
      bytes[bytes.indexOf(0)] = 0xff;
      expectProblem(await signedCallback(bytes), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('UTF-8 (declared or not, with a BOM or not) is read: an unknown type is acknowledged', async () => {
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(unsupported)]);
      expect((await signedCallback(bom)).status).toBe(204);
      const declared = await signedCallback(unsupported, {
        'content-type': 'application/json; charset="UTF-8"',
      });
      expect(declared.status).toBe(204);
      expect((await signedCallback(unsupported, { 'content-type': 'application/json' })).status).toBe(204);
    });
  });
});

describe('text no partner can use: 422 VALIDATION_FAILED naming the field, nothing stored', () => {
  const BAD_TEXT: [string, string][] = [
    ['zero-width space only', '\u200B'],
    ['zero-width joiner inside', '张\u200D三'],
    ['combining marks only', '\u0301\u0301'],
    ['a leading combining mark', '\u0308张三'],
    ['a C0 control (BEL)', '张\u0007三'],
    ['a NUL', '张\u0000三'],
    ['DEL', '张\u007F三'],
    ['a C1 control (NEL)', '张\u0085三'],
    ['U+2028', '张\u2028三'],
    ['U+2029', '张\u2029三'],
    ['ALM U+061C', '张\u061C三'],
    ['LRM U+200E', '张\u200E三'],
    ['RLM U+200F', '张\u200F三'],
    ['LRE U+202A', '张\u202A三'],
    ['RLE U+202B', '张\u202B三'],
    ['PDF U+202C', '张\u202C三'],
    ['LRO U+202D', '张\u202D三'],
    ['RLO U+202E', '张\u202E三'],
    ['LRI U+2066', '张\u2066三'],
    ['RLI U+2067', '张\u2067三'],
    ['FSI U+2068', '张\u2068三'],
    ['PDI U+2069', '张\u2069三'],
    ['a BOM inside', '张\uFEFF三'],
    ['a soft hyphen', '张\u00AD三'],
    ['an unpaired high surrogate', '张\uD800三'],
    ['an unpaired low surrogate', '张\uDC00三'],
    ['U+FFFD', '张\uFFFD三'],
    ['a noncharacter', '张\uFDD0三'],
    ['ideographic spaces only', '\u3000\u3000'],
    ['a Hangul filler only', '\u3164'],
  ];

  const base = transferBody({}, 50) as {
    member: Record<string, unknown>;
    source: Record<string, unknown>;
    destination: Record<string, unknown>;
  };
  const abroad = {
    kind: 'abroad',
    purpose: 'study',
    countryOrRegion: '日本',
    departureDate: '2026-09-01',
    domesticContact: { name: '李四', phone: '13900000000', relationship: '父亲' },
  };
  const FIELDS: [string, (v: string) => Record<string, unknown>][] = [
    ['member.name', (v) => transferBody({ member: { ...base.member, name: v } }, 50)],
    [
      'destination.orgFullName',
      (v) => transferBody({ destination: { ...base.destination, orgFullName: v } }, 50),
    ],
    ['source.orgFullName', (v) => transferBody({ source: { ...base.source, orgFullName: v } }, 50)],
    [
      'reason.employerName',
      (v) => transferBody({ reason: { kind: 'employed_with_org', employerName: v } }, 50),
    ],
    [
      'reason.domesticContact.name',
      (v) =>
        transferBody({ reason: { ...abroad, domesticContact: { ...abroad.domesticContact, name: v } } }, 50),
    ],
    [
      'reason.domesticContact.relationship',
      (v) =>
        transferBody(
          { reason: { ...abroad, domesticContact: { ...abroad.domesticContact, relationship: v } } },
          50,
        ),
    ],
    ['reason.countryOrRegion', (v) => transferBody({ reason: { ...abroad, countryOrRegion: v } }, 50)],
    ['reason.explanation', (v) => transferBody({ reason: { kind: 'other', explanation: v } }, 50)],
    [
      'initiator.operatorId',
      (v) => transferBody({ initiator: { kind: 'branch', branchOrgId: 'b-1', operatorId: v } }, 50),
    ],
  ];

  it.each(FIELDS)('%s', async (path, bodyWith) => {
    // The same body with an ordinary value is fine (so each refusal below is the text's doing).
    const control = await send('POST', '/v1/transfers', {
      key: KEYS.beijing,
      body: JSON.stringify(bodyWith('某某')),
      headers: { 'content-type': 'application/json', 'idempotency-key': nextKey('control') },
    });
    expect(control.status, `${path} with ordinary text`).toBe(202);
    const before = await storedCount();
    for (const [what, value] of BAD_TEXT) {
      // JSON.stringify writes a lone surrogate as a \ud800 escape: valid JSON, valid UTF-8 on the wire.
      const res = await send('POST', '/v1/transfers', {
        key: KEYS.beijing,
        body: JSON.stringify(bodyWith(value)),
        headers: { 'content-type': 'application/json', 'idempotency-key': nextKey('text') },
      });
      expectProblem(res, 422, 'VALIDATION_FAILED', `${path} with ${what}`);
      expect(pathsOf(res), `${path} with ${what}`).toEqual([path]);
      expect(res.body.errors?.[0]?.code).toBe('VALIDATION_FAILED');
    }
    expect(await storedCount()).toBe(before);
  });

  it('every problem is listed, each under its own field', async () => {
    const res = await send('POST', '/v1/transfers', {
      key: KEYS.beijing,
      body: JSON.stringify(
        transferBody({
          member: { ...base.member, name: '张\u202E三' },
          destination: { ...base.destination, orgFullName: '\u200B' },
          reason: { kind: 'other', explanation: '\uFFFD' },
        }),
      ),
      headers: { 'content-type': 'application/json', 'idempotency-key': nextKey('many') },
    });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(pathsOf(res).sort()).toEqual(['destination.orgFullName', 'member.name', 'reason.explanation']);
  });

  describe('queries', () => {
    const refused: [string, string][] = [
      ['a zero-width space', '%E2%80%8B'],
      ['a right-to-left override', '%E5%A4%A9%E2%80%AE%E6%B2%B3'],
      ['a NUL', '%00'],
      ['a C0 control', '%07'],
      ['DEL', '%7F'],
      ['a C1 control', '%C2%85'],
      ['U+FFFD', '%EF%BF%BD'],
      ['a byte that is not UTF-8 (decoded to U+FFFD)', '%FF'],
      ['an encoded surrogate (decoded to U+FFFD)', '%ED%A0%80'],
      ['a noncharacter', '%EF%B7%90'],
      ['ideographic spaces only', '%E3%80%80%E3%80%80'],
      ['combining marks only', '%CC%81'],
    ];

    it.each(refused)(
      'GET /v1/orgs/search with q holding %s → 422 query.q, the partner never called',
      async (_w, q) => {
        const calls = guangdong.state.counts.requests;
        const res = await send('GET', `/v1/orgs/search?provinceCode=44&q=${q}`, { key: KEYS.beijing });
        expectProblem(res, 422, 'VALIDATION_FAILED');
        expect(pathsOf(res)).toEqual(['query.q']);
        expect(guangdong.state.counts.requests).toBe(calls);
      },
    );

    it('an ordinary search does reach the partner', async () => {
      const calls = guangdong.state.counts.requests;
      const res = await send('GET', `/v1/orgs/search?provinceCode=44&q=${encodeURIComponent(' 天河 ')}`, {
        key: KEYS.beijing,
      });
      expect(res.status).toBe(200);
      expect(guangdong.state.counts.requests).toBe(calls + 1);
    });

    it('other queries: orgs/check fullName, the transfer list externalRef', async () => {
      const check = await send('GET', '/v1/orgs/check?provinceCode=31&fullName=%E5%85%B1%E2%80%8B', {
        key: KEYS.beijing,
      });
      expectProblem(check, 422, 'VALIDATION_FAILED');
      expect(pathsOf(check)).toEqual(['query.fullName']);
      const list = await send('GET', '/v1/transfers?externalRef=BJ%E2%80%AE1', { key: KEYS.beijing });
      expectProblem(list, 422, 'VALIDATION_FAILED');
      expect(pathsOf(list)).toEqual(['query.externalRef']);
    });
  });

  it('a cancel reason: 422 at reason, the transfer unchanged; an ordinary reason cancels', async () => {
    const created = await postRaw(validJson(60));
    expect(created.status).toBe(202);
    const id = String(created.body.id);
    for (const [what, value] of BAD_TEXT) {
      const res = await send('POST', `/v1/transfers/${id}/cancel`, {
        key: KEYS.beijing,
        body: JSON.stringify({ reason: value }),
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(res, 422, 'VALIDATION_FAILED', what);
      expect(pathsOf(res), what).toEqual(['reason']);
    }
    expect((await gw.store.get(id))?.state).toBe('accepted');
    const ok = await send('POST', `/v1/transfers/${id}/cancel`, {
      key: KEYS.beijing,
      body: JSON.stringify({ reason: ' 本人不再转出\u3000' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(200);
    const t = await gw.store.get(id);
    expect(t?.state).toBe('cancelled');
    expect(t?.events.find((e) => e.type === 'cancelled')?.detail?.reason).toBe('本人不再转出');
  });

  it('nothing stored by any refusal: one valid transfer adds exactly one', async () => {
    const before = await storedCount();
    const refused = await postRaw(
      Buffer.from(JSON.stringify(transferBody({ member: { ...base.member, name: '\u200B' } }, 70))),
    );
    expectProblem(refused, 422, 'VALIDATION_FAILED');
    expect(await storedCount()).toBe(before);
    expect((await postRaw(validJson(71))).status).toBe(202);
    expect(await storedCount()).toBe(before + 1);
  });
});

describe('accepted text is stored NFC-normalised and trimmed', () => {
  it('answers and stores Café and 张三, a compatibility ideograph as its unified form', async () => {
    const base = transferBody({}, 80) as { member: Record<string, unknown> };
    const raw = JSON.stringify(
      transferBody(
        {
          externalRef: 'BJ-NFC-1',
          member: { ...base.member, name: ' 张三 ' },
          // 北 written as the CJK compatibility ideograph U+F963: the same character once normalised.
          source: { orgId: 'bj-00042', orgFullName: '\u3000共青团\uF963京某某大学委员会 ' },
          reason: { kind: 'employed_with_org', employerName: 'Cafe\u0301 ' },
        },
        80,
      ),
    );
    const key = nextKey('nfc');
    const first = await postRaw(raw, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const id = String(first.body.id);
    expect(first.body).toMatchObject({
      member: { name: '张*' },
      source: { orgFullName: '共青团北京某某大学委员会' },
      reason: { employerName: 'Caf\u00E9' },
    });
    const stored = await gw.store.get(id);
    expect(stored?.doc.reason).toMatchObject({ employerName: 'Caf\u00E9' });
    expect(stored?.doc.source.orgFullName).toBe('共青团北京某某大学委员会');
    const pii = JSON.parse(gw.cipher.open(stored!.piiSealed, id)) as { name: string };
    expect(pii.name).toBe('张三');

    const got = await send('GET', `/v1/transfers/${id}`, { key: KEYS.beijing });
    expect(got.body).toMatchObject({ reason: { employerName: 'Caf\u00E9' }, member: { name: '张*' } });

    // The identical raw body with the same key is the same transfer.
    const again = await postRaw(raw, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ reason: { employerName: 'Caf\u00E9' }, member: { name: '张*' } });
  });

  it('a country written as Hangul jamo is composed, and a contact name in decomposed pinyin', async () => {
    const res = await postRaw(
      JSON.stringify(
        transferBody(
          {
            externalRef: 'BJ-NFC-2',
            reason: {
              kind: 'abroad',
              purpose: 'study',
              countryOrRegion: '\u1112\u1161\u11AB\uAD6D ', // 한국, as jamo
              departureDate: '2026-09-01',
              domesticContact: { name: 'Lu\u0308 Zha\u0304ng', phone: '13900000000' },
            },
          },
          81,
        ),
      ),
    );
    expect(res.status).toBe(202);
    expect(res.body.reason).toMatchObject({ countryOrRegion: '한국' });
    const id = String(res.body.id);
    const t = await gw.store.get(id);
    const pii = JSON.parse(gw.cipher.open(t!.piiSealed, id)) as { domesticContact: { name: string } };
    expect(pii.domesticContact.name).toBe('L\u00FC Zh\u0101ng');
  });
});

describe('deeply nested bodies (60 KB): a 4xx, no crash', () => {
  const DEPTH = 30_000;
  const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
  const deepObject = `${'{"a":'.repeat(10_000)}"\\u200b"${'}'.repeat(10_000)}`;

  const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('POST /v1/transfers', async () => {
    const before = await storedCount();
    expect(Buffer.byteLength(deepArray)).toBe(60_000);
    expectProblem(await postRaw(deepArray), 422, 'VALIDATION_FAILED', 'array');
    expect(Buffer.byteLength(deepObject)).toBeGreaterThan(60_000);
    const obj = await postRaw(deepObject);
    expectProblem(obj, 422, 'VALIDATION_FAILED', 'object');
    const member = validJson(92).replace(/"member":\{[^}]*\}/, `"member":${nest(25_000)}`);
    const m = await postRaw(member);
    expectProblem(m, 422, 'VALIDATION_FAILED', 'member');
    expect(pathsOf(m)).toEqual(['member']);
    expectProblem(await postRaw('['.repeat(DEPTH * 2)), 400, 'MALFORMED_JSON', 'unbalanced');
    expect(await storedCount()).toBe(before);
  });

  it('cancel, notification replay and a signed callback', async () => {
    const cancel = (body: string) =>
      send('POST', '/v1/transfers/trf_01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel', {
        key: KEYS.beijing,
        body,
        headers: { 'content-type': 'application/json' },
      });
    expectProblem(await cancel(`{"reason":${nest(25_000)}}`), 422, 'VALIDATION_FAILED', 'cancel');
    expectProblem(await cancel(deepObject), 422, 'VALIDATION_FAILED', 'cancel object');
    expectProblem(
      await cancel(`{"reason":${'['.repeat(50_000)}`),
      400,
      'MALFORMED_JSON',
      'cancel unbalanced',
    );
    const replay = (body: string) =>
      send('POST', '/v1/notifications/replay', {
        key: KEYS.ops,
        body,
        headers: { 'content-type': 'application/json' },
      });
    expectProblem(await replay(`{"ids":${nest(25_000)}}`), 422, 'VALIDATION_FAILED', 'replay');
    expectProblem(await replay(deepObject), 422, 'VALIDATION_FAILED', 'replay object');
    expectProblem(await signedCallback(deepArray), 400, 'MALFORMED_CALLBACK', 'callback array');
    expectProblem(await signedCallback(deepObject), 400, 'MALFORMED_CALLBACK', 'callback object');
    const extra = `{"type":"transfer.approved","data":{"transferId":"trf_x","extra":${nest(25_000)}}}`;
    expectProblem(await signedCallback(extra), 404, 'UNKNOWN_TRANSFER', 'callback extra');
    expect((await send('GET', '/healthz')).status).toBe(200);
  });

  it('a body over the limit is 413, not parsed', async () => {
    expectProblem(await postRaw(`${'['.repeat(40_000)}${']'.repeat(40_000)}`), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('signed callbacks naming transfers this gateway never issued', () => {
  const approved = (transferId: unknown) =>
    JSON.stringify({ type: 'transfer.approved', data: { transferId } });

  it.each([
    ['a path', '../../x'],
    ['5000 characters', 'trf_'.padEnd(5000, 'A')],
    ['non-ASCII', '转移-张三'],
    ['a lower-case id', 'trf_01arz3ndektsv4rrffq69g5fav'],
    ['an id with a newline', 'trf_01ARZ3NDEKTSV4RRFFQ69G5FAV\n'],
    ['a Redis key pattern', 'trf_*'],
    ['a bidi override', 'trf_\u202E01ARZ3NDEKTSV4RRFFQ69G5FAV'],
  ])('%s → 404 UNKNOWN_TRANSFER, without a lookup', async (_what, transferId) => {
    const get = vi.spyOn(gw.store, 'get');
    try {
      expectProblem(await signedCallback(approved(transferId)), 404, 'UNKNOWN_TRANSFER');
      expect(get).not.toHaveBeenCalled();
    } finally {
      get.mockRestore();
    }
  });

  it.each([
    ['empty', ''],
    ['a number', 42],
    ['null', null],
    ['an object', { $ne: 1 }],
  ])('%s → 400 MALFORMED_CALLBACK', async (_what, transferId) => {
    expectProblem(await signedCallback(approved(transferId)), 400, 'MALFORMED_CALLBACK');
  });

  it('a well-formed id is looked up (and is unknown here)', async () => {
    const get = vi.spyOn(gw.store, 'get');
    try {
      expectProblem(
        await signedCallback(approved('trf_01ARZ3NDEKTSV4RRFFQ69G5FAV')),
        404,
        'UNKNOWN_TRANSFER',
      );
      expect(get).toHaveBeenCalledWith('trf_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    } finally {
      get.mockRestore();
    }
  });
});

describe('requests that are not well-formed HTTP, and odd headers', () => {
  const head = (lines: string[]) =>
    [
      'POST /v1/transfers HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${KEYS.beijing}`,
      'Content-Type: application/json',
      ...lines,
      '',
      '',
    ].join('\r\n');
  const body = validJson(110);
  const length = Buffer.byteLength(body);

  // Node's parser refuses these before the application sees a request: a bare 400 and a closed socket
  // (no problem+json: the server's clientError default answers them).
  it.each([
    [
      'Content-Length and Transfer-Encoding together (request smuggling)',
      `${head(['Idempotency-Key: smuggle-1', `Content-Length: ${length}`, 'Transfer-Encoding: chunked'])}0\r\n\r\n`,
    ],
    [
      'two different Content-Lengths',
      `${head(['Idempotency-Key: smuggle-2', `Content-Length: ${length}`, `Content-Length: ${length + 1}`])}${body}`,
    ],
    [
      'a chunk size that is not hex, mid-body',
      `${head(['Idempotency-Key: smuggle-3', 'Transfer-Encoding: chunked'])}4\r\n{"ex\r\nzz\r\n`,
    ],
    ['a header name with a space', `${head(['Idempotency-Key: smuggle-4', 'Bad Header: x'])}`],
    ['a request target without a slash', 'GET v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ])('%s → 400, socket closed, nothing stored', async (_what, text) => {
    const before = await storedCount();
    const received = await exchange(gw.url, text);
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    expect(received).not.toMatch(/HTTP\/1\.1 (2|5)\d\d/);
    // Refused by Node's parser before Express, yet answered like every other refusal.
    const [headers = '', payload = ''] = received.split('\r\n\r\n');
    expect(headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(payload)).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST' });
    expect(await storedCount()).toBe(before);
  });

  it.each([
    ['an unbalanced quote', 'application/json; charset="utf-8', 415],
    ['an empty charset', 'application/json; charset=', 415],
    ['a charset listed twice, the first foreign', 'application/json; charset=gbk; charset=utf-8', 415],
    ['a charset listed twice, the second foreign', 'application/json; charset=utf-8; charset=gbk', 415],
    ['utf-8 listed twice', 'application/json; charset=utf-8; charset=UTF8', 202],
    ['no subtype', 'application', 415],
    ['text/plain', 'text/plain; charset=utf-8', 415],
    ['form data', 'multipart/form-data; boundary=x', 415],
    ['empty parameters', 'application/json;;;', 202],
  ] as const)('Content-Type with %s → %i', async (_what, type, status) => {
    const res = await postRaw(validJson(120 + seq), { 'content-type': type });
    expect(res.status, res.text.slice(0, 200)).toBe(status);
    if (status !== 202) expectProblem(res, status, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('query keys that name Object.prototype are unknown fields, not properties', async () => {
    const res = await send('GET', '/v1/transfers?__proto__=x&constructor=y&toString=z', {
      key: KEYS.beijing,
    });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(pathsOf(res).sort()).toEqual(['query.__proto__', 'query.constructor', 'query.toString']);
  });

  it('a repeated query parameter is a type problem, not a crash', async () => {
    const res = await send('GET', '/v1/orgs/search?provinceCode=44&q=a&q=b', { key: KEYS.beijing });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(pathsOf(res)).toEqual(['query.q']);
  });
});

describe('the whole-request deadline (REQUEST_TIMEOUT_MS=1500)', () => {
  let slow: TestGateway;
  beforeAll(async () => {
    slow = await startTestGateway({ ROLE: 'api', REQUEST_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await slow.close();
  });

  interface Stalled {
    /** From the first write (flushed) to the socket's close. */
    ms: number;
    received: string;
  }

  /** Opens a raw socket, writes `first`, then `drip.text` every `drip.everyMs` (if any), until the server closes. */
  function stall(first: string, drip?: { text: string; everyMs: number }): Promise<Stalled> {
    const { port } = new URL(slow.url);
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      let received = '';
      let timer: NodeJS.Timeout | undefined;
      let start = 0;
      const giveUp = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server kept the socket open for 8 s; it sent: ${received.slice(0, 200)}`));
      }, 8_000);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined); // a reset is a close too
      socket.on('close', () => {
        clearTimeout(giveUp);
        clearInterval(timer);
        resolve({ ms: Date.now() - start, received });
      });
      socket.connect(Number(port), '127.0.0.1', () => {
        socket.write(first, () => (start = Date.now()));
        if (drip) timer = setInterval(() => socket.write(drip.text), drip.everyMs);
      });
    });
  }

  it('a body that stops arriving: the socket is closed within the deadline plus a check interval', async () => {
    const head = [
      'POST /v1/transfers HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${KEYS.beijing}`,
      'Content-Type: application/json',
      'Idempotency-Key: stalled-body-1',
      'Content-Length: 1000',
      '',
      '',
    ].join('\r\n');
    const before = await slow.store.count();
    const { ms, received } = await stall(`${head}{"externalR`);
    expect(ms).toBeLessThan(5_000);
    expect(ms).toBeGreaterThanOrEqual(1_000); // closed by the deadline, not at once
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toMatch(/content-type: application\/problem\+json/i);
    expect(received).toContain('"code":"REQUEST_TIMEOUT"');
    expect(await slow.store.count()).toBe(before);
  });

  it('a body that trickles in too slowly to finish in time is cut off as well', async () => {
    const head = [
      'POST /v1/transfers HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${KEYS.beijing}`,
      'Content-Type: application/json',
      'Idempotency-Key: stalled-body-2',
      'Content-Length: 1000',
      '',
      '{',
    ].join('\r\n');
    const { ms, received } = await stall(head, { text: ' ', everyMs: 200 });
    expect(ms).toBeLessThan(5_000);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('headers that never finish: the socket is closed', async () => {
    const { ms, received } = await stall('POST /v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\n', {
      text: 'X-Slow: a\r\n',
      everyMs: 300,
    });
    expect(ms).toBeLessThan(5_000);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('an ordinary request on the same gateway is unaffected', async () => {
    const res = await fetch(`${slow.url}/v1/transfers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.beijing}`,
        'content-type': 'application/json',
        'idempotency-key': 'after-stalls',
      },
      body: validJson(100),
    });
    expect(res.status).toBe(202);
  });

  it('the stalls logged no error', () => {
    expect(slow.logs.length).toBeGreaterThan(0);
    const errors = slow.logs.filter((l) => /"level":"(error|fatal)"/.test(l));
    expect(errors).toEqual([]);
  });
});

describe('the log', () => {
  it('holds the refusals, and no error or fatal line', () => {
    // The log is being captured (so an error line would be seen): the refusals are in it.
    expect(gw.logs.some((l) => l.includes('"status":400'))).toBe(true);
    expect(gw.logs.some((l) => l.includes('"status":415'))).toBe(true);
    const errors = gw.logs.filter((l) => /"level":"(error|fatal)"/.test(l));
    expect(errors).toEqual([]);
  });
});
