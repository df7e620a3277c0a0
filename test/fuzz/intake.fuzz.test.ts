/**
 * Fuzz: POST /v1/transfers. Each generated request takes a body (valid by construction, one valid body
 * with exactly one documented rule broken, arbitrary JSON, text that is not JSON, or nothing) and a
 * value for every header dimension (Authorization, Idempotency-Key, Content-Type and its charset,
 * Content-Encoding, size, chunked transfer), each valid or invalid. What must hold:
 * - a request valid in every dimension gets 202 (and the transfer it names); any invalid dimension gets
 *   the 4xx of that check (the exact status when it is the only one, one of theirs when several are),
 *   as problem+json with a stable code, never a 202 and never a 5xx;
 * - a reused Idempotency-Key answers the same transfer for the same body, 409 for another;
 * - the store holds exactly as many new transfers as there were first-time 202s;
 * - the gateway logs nothing at level error or fatal.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  arbitraryJson,
  mutatedBody,
  shuffledJson,
  targetOf,
  validBody,
  type Body,
  type Mutated,
} from './intake-bodies.js';
import {
  announce,
  errorLogLines,
  fieldErrorPaths,
  header,
  jsonOf,
  portOf,
  problemCode,
  Report,
  RUNS,
  SEED,
  send,
  pool,
  transferCount,
  universalIssues,
  type RawRequest,
  type RawResponse,
} from './support.js';

type Json = Mutated['body'];

// --- the dimensions of a request ------------------------------------------------------------

type BodySpec =
  | { kind: 'valid'; body: Body }
  | { kind: 'mutated'; m: Mutated }
  | { kind: 'arbitrary'; body: Json }
  | { kind: 'raw'; text: string }
  | { kind: 'empty' };

/** Each dimension: the value, and the status its check answers when the value is invalid. */
interface Dim<T> {
  value: T;
  fails?: number;
}

const ok = <T>(value: T): Dim<T> => ({ value });
const bad = <T>(value: T, fails: number): Dim<T> => ({ value, fails });

type Auth = 'beijing' | 'none' | 'unknown' | 'basic' | 'bare' | 'extra' | 'long' | 'tab' | 'ops' | 'reader';
const AUTH_OK = fc.constant(ok<Auth>('beijing'));
const AUTH_BAD = fc.oneof(
  fc.constantFrom<Auth>('none', 'unknown', 'basic', 'bare', 'extra', 'long', 'tab').map((a) => bad(a, 401)),
  fc.constantFrom<Auth>('ops', 'reader').map((a) => bad(a, 403)),
);
function authHeader(a: Auth): string | undefined {
  switch (a) {
    case 'beijing':
      return `Bearer ${KEYS.beijing}`;
    case 'none':
      return undefined;
    case 'unknown':
      return 'Bearer not-a-key-of-this-gateway-000';
    case 'basic':
      return `Basic ${Buffer.from('ops:demo-ops-password').toString('base64')}`;
    case 'bare':
      return 'Bearer';
    case 'extra':
      return `Bearer ${KEYS.beijing} ${KEYS.beijing}`;
    case 'long':
      return `Bearer ${'k'.repeat(600)}`;
    case 'tab':
      return `Bearer\t${KEYS.beijing}`;
    case 'ops':
      return `Bearer ${KEYS.ops}`;
    case 'reader':
      return `Bearer ${KEYS.reader}`;
  }
}

type Idem = 'fresh' | 'max' | 'missing' | 'empty' | 'long' | 'space' | 'latin1' | 'tab';
const IDEM_OK = fc.constantFrom<Idem>('fresh', 'fresh', 'fresh', 'max').map(ok);
const IDEM_BAD = fc
  .constantFrom<Idem>('missing', 'empty', 'long', 'space', 'latin1', 'tab')
  .map((v) => bad(v, 400));
function idemHeader(v: Idem, unique: string): string | undefined {
  const pad = (n: number) => (unique + '-' + 'Kx9!~'.repeat(60)).slice(0, n);
  switch (v) {
    case 'fresh':
      return unique;
    case 'max':
      return pad(255);
    case 'missing':
      return undefined;
    case 'empty':
      return '';
    case 'long':
      return pad(256);
    case 'space':
      return `${unique} x`;
    case 'latin1':
      return `${unique}-\u00e9`;
    case 'tab':
      return `${unique}\tx`;
  }
}

const CT_OK = fc
  .tuple(
    fc.constantFrom(
      'application/json',
      'APPLICATION/JSON',
      'Application/Json',
      'application/merge-patch+json',
      'application/vnd.tgw.transfer+json',
    ),
    fc.constantFrom(
      '',
      '; charset=utf-8',
      '; charset=UTF-8',
      ';charset=utf-8',
      '; charset="utf-8"',
      '; charset=utf8',
    ),
  )
  .map(([t, p]) => ok(t + p));
const CT_BAD = fc
  .constantFrom<string | null>(
    null,
    '',
    'text/plain',
    'text/json',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=zz',
    'application/octet-stream',
    'application/jsonx',
    'json',
    '*/*',
    'application/xml',
    'application/json-seq',
  )
  .map((v) => bad(v, 415));

type Charset = { kind: 'utf8' } | { kind: 'declared'; name: string } | { kind: 'bytes'; bytes: number[] };
const CHARSET_OK = fc.constant(ok<Charset>({ kind: 'utf8' }));
const CHARSET_BAD = fc.oneof(
  fc
    .constantFrom(
      'utf-16',
      'utf-16le',
      'latin1',
      'iso-8859-1',
      'gbk',
      'gb18030',
      'utf-7',
      'us-ascii',
      'utf-32',
      'utf8mb4',
      'x-user-defined',
    )
    .map((name) => bad<Charset>({ kind: 'declared', name }, 415)),
  fc
    .constantFrom<number[]>(
      [0xff],
      [0x80],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xe4, 0xb8],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xe9],
      [0xf4, 0x90, 0x80, 0x80],
    )
    .map((bytes) => bad<Charset>({ kind: 'bytes', bytes }, 415)),
);

type Encoding =
  | 'none'
  | 'identity'
  | 'gzip'
  | 'GZIP'
  | 'deflate'
  | 'br'
  | 'compress'
  | 'zstd'
  | 'x-gzip'
  | 'gzip, gzip'
  | 'bogus'
  | 'truncated';
const ENC_OK = fc
  .constantFrom<Encoding>('none', 'none', 'none', 'identity', 'gzip', 'GZIP', 'deflate', 'br')
  .map(ok);
const ENC_BAD = fc.oneof(
  fc.constantFrom<Encoding>('compress', 'zstd', 'x-gzip', 'gzip, gzip').map((v) => bad(v, 415)),
  fc.constantFrom<Encoding>('bogus', 'truncated').map((v) => bad(v, 400)),
);

type Size = { kind: 'normal' } | { kind: 'near'; under: number } | { kind: 'over'; by: number };
const SIZE_OK = fc.oneof(
  { weight: 12, arbitrary: fc.constant(ok<Size>({ kind: 'normal' })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 3000 }).map((under) => ok<Size>({ kind: 'near', under })),
  },
);
const SIZE_BAD = fc.integer({ min: 1, max: 30_000 }).map((by) => bad<Size>({ kind: 'over', by }, 413));

type Format = 'compact' | 'pretty' | 'tabs' | 'shuffled' | 'bom' | 'escaped';
const FORMAT = fc.constantFrom<Format>('compact', 'compact', 'pretty', 'tabs', 'shuffled', 'bom', 'escaped');

type Reuse = 'same' | 'reformatted' | 'different' | 'invalid';

interface IntakeCase {
  profile: 'valid' | 'body' | 'header' | 'combo';
  body: BodySpec;
  format: Format;
  auth: Dim<Auth>;
  idem: Dim<Idem>;
  ct: Dim<string | null>;
  charset: Dim<Charset>;
  enc: Dim<Encoding>;
  size: Dim<Size>;
  chunked: boolean;
  shuffleSeed: number;
  reuse?: { kind: Reuse; second: Body; mutated: Mutated };
}

const notJson = validBody.chain((b) => {
  const s = JSON.stringify(b);
  return fc.constantFrom(
    s.slice(0, Math.floor(s.length / 2)),
    `${s}x`,
    `${s}${s}`,
    s.replaceAll('"', "'"),
    `${s.slice(0, -1)},}`,
    `// a comment\n${s}`,
    'NaN',
    'undefined',
    '{"a":1,}',
    '[1,2',
    '\u0000',
    '{',
    'nul',
    '{"externalRef": 0x10}',
  );
});

const bodySpec = (kind: 'valid' | 'invalid'): fc.Arbitrary<BodySpec> =>
  kind === 'valid'
    ? validBody.map((body) => ({ kind: 'valid', body }))
    : fc.oneof(
        { weight: 20, arbitrary: mutatedBody.map((m): BodySpec => ({ kind: 'mutated', m })) },
        { weight: 3, arbitrary: arbitraryJson.map((body): BodySpec => ({ kind: 'arbitrary', body })) },
        { weight: 3, arbitrary: notJson.map((text): BodySpec => ({ kind: 'raw', text })) },
        { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'empty' }) },
      );

const headerDims = {
  auth: [AUTH_OK, AUTH_BAD],
  idem: [IDEM_OK, IDEM_BAD],
  ct: [CT_OK, CT_BAD],
  charset: [CHARSET_OK, CHARSET_BAD],
  enc: [ENC_OK, ENC_BAD],
  size: [SIZE_OK, SIZE_BAD],
} as const;
type DimName = keyof typeof headerDims;
const DIM_NAMES = Object.keys(headerDims) as DimName[];

function caseArb(profile: IntakeCase['profile'], broken: DimName | 'none' | 'all'): fc.Arbitrary<IntakeCase> {
  const pick = (d: DimName) => {
    const [good, wrong] = headerDims[d] as unknown as [
      fc.Arbitrary<Dim<unknown>>,
      fc.Arbitrary<Dim<unknown>>,
    ];
    if (broken === 'all') return fc.oneof({ weight: 2, arbitrary: good }, { weight: 1, arbitrary: wrong });
    return d === broken ? wrong : good;
  };
  const body =
    profile === 'valid' || profile === 'header'
      ? bodySpec('valid')
      : profile === 'body'
        ? bodySpec('invalid')
        : fc.oneof(bodySpec('valid'), bodySpec('invalid'));
  return fc
    .record({
      body,
      format: FORMAT,
      auth: pick('auth'),
      idem: pick('idem'),
      ct: pick('ct'),
      charset: pick('charset'),
      enc: pick('enc'),
      size: pick('size'),
      chunked: fc.boolean(),
      shuffleSeed: fc.nat(),
      reuseKind: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom<Reuse>('same', 'reformatted', 'different', 'invalid') },
      ),
      second: validBody,
      mutated: mutatedBody,
    })
    .map((r) => ({
      profile,
      body: r.body,
      format: r.format,
      auth: r.auth as Dim<Auth>,
      idem: r.idem as Dim<Idem>,
      ct: r.ct as Dim<string | null>,
      charset: r.charset as Dim<Charset>,
      enc: r.enc as Dim<Encoding>,
      size: r.size as Dim<Size>,
      chunked: r.chunked,
      shuffleSeed: r.shuffleSeed,
      ...(profile === 'valid' && r.reuseKind
        ? { reuse: { kind: r.reuseKind, second: r.second, mutated: r.mutated } }
        : {}),
    }));
}

const intakeCase: fc.Arbitrary<IntakeCase> = fc.oneof(
  { weight: 35, arbitrary: caseArb('valid', 'none') },
  { weight: 30, arbitrary: caseArb('body', 'none') },
  { weight: 25, arbitrary: fc.constantFrom(...DIM_NAMES).chain((d) => caseArb('header', d)) },
  { weight: 10, arbitrary: caseArb('combo', 'all') },
);

// --- from a case to bytes -----------------------------------------------------------------------

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function jsonText(value: Json, format: Format, seed: number): string {
  switch (format) {
    case 'compact':
    case 'bom':
      return JSON.stringify(value);
    case 'pretty':
      return JSON.stringify(value, null, 2);
    case 'tabs':
      return spaced(value);
    case 'shuffled':
      return shuffledJson(value, mulberry(seed));
    case 'escaped':
      return JSON.stringify(value).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
  }
}

/** JSON with every kind of insignificant whitespace JSON allows around its tokens. */
function spaced(v: Json): string {
  if (Array.isArray(v)) return `[\r\n\t${v.map(spaced).join(' ,\n ')}\t]`;
  if (typeof v === 'object' && v !== null)
    return `{\r\n${Object.entries(v)
      .map(([k, x]) => `\t${JSON.stringify(k)} :\t${spaced(x)}`)
      .join(' ,\n')}\n}`;
  return JSON.stringify(v);
}

const LIMIT = 65_536;

function bodyText(spec: BodySpec, format: Format, seed: number): string | null {
  switch (spec.kind) {
    case 'valid':
      return jsonText(spec.body, format, seed);
    case 'mutated':
      return jsonText(spec.m.body, format, seed);
    case 'arbitrary':
      return jsonText(spec.body, format, seed);
    case 'raw':
      return spec.text;
    case 'empty':
      return null;
  }
}

function bytesOf(c: IntakeCase, spec: BodySpec, seed: number): Buffer | undefined {
  const text = bodyText(spec, c.format, seed);
  if (text === null) return undefined;
  let bytes = Buffer.from(text, 'utf8');
  if (c.format === 'bom' && spec.kind !== 'raw')
    bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  const cs = c.charset.value;
  if (cs.kind === 'bytes') {
    const q = bytes.indexOf(0x22); // inside the first string literal, or at the start
    const at = q < 0 ? 0 : q + 1;
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(cs.bytes), bytes.subarray(at)]);
  } else if (cs.kind === 'declared' && cs.name.startsWith('utf-16')) {
    bytes = Buffer.from(bytes.toString('utf8'), 'utf16le');
  }
  const size = c.size.value;
  if (size.kind === 'near' && bytes.length < LIMIT - size.under)
    bytes = Buffer.concat([bytes, Buffer.alloc(LIMIT - size.under - bytes.length, 0x20)]);
  if (size.kind === 'over')
    bytes = Buffer.concat([bytes, Buffer.alloc(Math.max(0, LIMIT + size.by - bytes.length), 0x20)]);
  switch (c.enc.value) {
    case 'gzip':
    case 'GZIP':
    case 'x-gzip':
      return gzipSync(bytes);
    case 'gzip, gzip':
      return gzipSync(gzipSync(bytes));
    case 'deflate':
      return deflateSync(bytes);
    case 'br':
      return brotliCompressSync(bytes);
    case 'truncated': {
      const z = gzipSync(bytes);
      return z.subarray(0, Math.max(11, Math.floor(z.length / 2)));
    }
    default:
      return bytes;
  }
}

function contentType(c: IntakeCase): string | null {
  const cs = c.charset.value;
  if (cs.kind !== 'declared') return c.ct.value;
  const base = (c.ct.value ?? 'application/json').split(';')[0]!;
  return `${base}; charset=${cs.name}`;
}

function requestOf(c: IntakeCase, spec: BodySpec, idemKey: string, seed: number): RawRequest {
  const headers: [string, string][] = [];
  const auth = authHeader(c.auth.value);
  if (auth !== undefined) headers.push(['Authorization', auth]);
  const key = idemHeader(c.idem.value, idemKey);
  if (key !== undefined) headers.push(['Idempotency-Key', key]);
  const ct = contentType(c);
  if (ct !== null) headers.push(['Content-Type', ct]);
  const body = bytesOf(c, spec, seed);
  if (body && c.enc.value !== 'none')
    headers.push([
      'Content-Encoding',
      c.enc.value === 'bogus' ? 'gzip' : c.enc.value === 'truncated' ? 'gzip' : c.enc.value,
    ]);
  headers.push(['Accept', 'application/json']);
  return {
    method: 'POST',
    path: '/v1/transfers',
    headers,
    ...(body ? { body } : {}),
    chunked: Boolean(body) && c.chunked,
  };
}

// --- what each case must answer -------------------------------------------------------------------

/** Statuses of the checks this request fails, in the order the gateway runs them; empty: it is valid. */
function failingChecks(c: IntakeCase, spec: BodySpec): number[] {
  const out: number[] = [];
  if (c.auth.fails) out.push(c.auth.fails);
  const hasBody = spec.kind !== 'empty';
  if (hasBody) {
    for (const d of [c.ct, c.enc, c.size, c.charset]) if (d.fails) out.push(d.fails);
    if (spec.kind === 'raw') out.push(400, 415);
  }
  if (c.idem.fails) out.push(c.idem.fails);
  if (spec.kind === 'mutated' || spec.kind === 'arbitrary' || spec.kind === 'empty') out.push(422);
  return out;
}

const codeFor: Record<number, string[]> = {
  401: ['UNAUTHENTICATED'],
  403: ['FORBIDDEN'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};

function pathRelated(paths: string[], p: string): boolean {
  return paths.some(
    (x) => x === p || p.startsWith(`${x}.`) || x.startsWith(`${p}.`) || (x === '' && p === ''),
  );
}

// --- the run -----------------------------------------------------------------------------------

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ ROLE: 'api', LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await gw?.close();
});

describe('fuzz: POST /v1/transfers', () => {
  it(`answers ${RUNS} generated requests within the contract`, async () => {
    announce('intake');
    const report = new Report('intake');
    const cases = fc.sample(intakeCase, { seed: SEED, numRuns: RUNS });
    const before = await transferCount(gw);
    const created = new Set<string>();
    const to = { port: portOf(gw.url) };
    let sent = 0;
    const profileCounts = new Map<string, number>();
    const fail = (
      index: number,
      what: string,
      issues: string[],
      request: RawRequest,
      response?: RawResponse,
    ) => {
      if (issues.length) report.fail({ index, what, issues, request, ...(response ? { response } : {}) });
    };

    /** Sends one request of case `c` and checks it; returns the answer. */
    const one = async (
      i: number,
      c: IntakeCase,
      spec: BodySpec,
      key: string,
      what: string,
      expectStatus?: number,
    ) => {
      const req = requestOf(c, spec, key, c.shuffleSeed);
      const res = await send(to, req);
      sent += 1;
      report.count(res);
      const issues = universalIssues(req, res);
      const failing =
        expectStatus === undefined ? failingChecks(c, spec) : expectStatus === 202 ? [] : [expectStatus];
      const valid = failing.length === 0;
      if (valid) {
        if (res.status !== 202) issues.push(`valid by construction but answered ${res.status}`);
      } else if (res.status === 202) {
        issues.push('invalid by construction but accepted (202)');
      } else if (res.status !== 0 && !failing.includes(res.status)) {
        issues.push(`expected ${[...new Set(failing)].join(' or ')}, got ${res.status}`);
      }
      // The exact code when one check alone fails.
      if (!valid && failing.length === 1 && res.status < 500) {
        const code = problemCode(res);
        const allowed = codeFor[res.status];
        if (allowed && code && !allowed.includes(code)) issues.push(`code ${code} for ${res.status}`);
        if (c.idem.fails && res.status === 400 && code !== 'IDEMPOTENCY_KEY_REQUIRED')
          issues.push(`code ${code} for a bad Idempotency-Key`);
        if (c.enc.fails === 400 && res.status === 400 && code !== 'MALFORMED_BODY')
          issues.push(`code ${code} for a body that does not inflate`);
        if (spec.kind === 'mutated' && res.status === 422) {
          const paths = fieldErrorPaths(res);
          if (spec.m.path !== undefined && !pathRelated(paths, spec.m.path))
            issues.push(`errors ${JSON.stringify(paths)} do not name ${spec.m.path} (${spec.m.rule})`);
          if (spec.m.code && code !== spec.m.code)
            issues.push(`code ${code}, the contract says ${spec.m.code} (${spec.m.rule})`);
        }
      }
      if (res.status === 202) {
        const t = jsonOf(res) as
          { id?: string; state?: string; target?: string; member?: { idNumber?: string } } | undefined;
        const replayed = header(res, 'idempotent-replayed');
        if (!t?.id || header(res, 'location') !== `/v1/transfers/${t.id}`)
          issues.push('202 without the transfer and its Location');
        if (spec.kind === 'valid' && t) {
          const b = spec.body as { destination: { provinceCode: string }; member: { idNumber: string } };
          if (t.target !== targetOf(b.destination.provinceCode)) issues.push(`routed to ${t.target}`);
          if (t.member?.idNumber === b.member.idNumber.toUpperCase())
            issues.push('ID number not masked in the answer');
        }
        if (replayed === 'false' && t?.id) {
          if (created.has(t.id)) issues.push(`a first answer named ${t.id} twice`);
          created.add(t.id);
        }
      }
      fail(i, what, issues, req, res);
      return res;
    };

    await pool(cases, async (c, i) => {
      const what =
        c.profile === 'body' && c.body.kind === 'mutated'
          ? `body: ${c.body.m.rule.replace(/U\+\w+/, 'U+…').replace(/ at .*| in .*/, '')}`
          : c.profile === 'header'
            ? `header: ${DIM_NAMES.find((d) => c[d].fails) ?? '?'}`
            : c.profile === 'body'
              ? `body: ${c.body.kind}`
              : c.profile;
      profileCounts.set(c.profile, (profileCounts.get(c.profile) ?? 0) + 1);
      const key = `fz-${SEED}-${i}`;
      const first = await one(i, c, c.body, key, what);
      if (!c.reuse || first.status !== 202 || c.body.kind !== 'valid') return;
      // The same key again: the same transfer for the same body (however written), 409 for another.
      const firstId = (jsonOf(first) as { id: string }).id;
      const again: IntakeCase = {
        ...c,
        format: c.reuse.kind === 'reformatted' ? 'shuffled' : c.format,
        shuffleSeed: c.shuffleSeed + 1,
      };
      const spec: BodySpec =
        c.reuse.kind === 'different'
          ? {
              kind: 'valid',
              body: {
                ...c.reuse.second,
                externalRef: `R2-${JSON.stringify(c.body.body.externalRef).slice(1, 61)}`,
              },
            }
          : c.reuse.kind === 'invalid'
            ? { kind: 'mutated', m: c.reuse.mutated }
            : c.body;
      const expectStatus = { same: 202, reformatted: 202, different: 409, invalid: 422 }[c.reuse.kind];
      const res = await one(i, again, spec, key, `reuse: ${c.reuse.kind}`, expectStatus);
      const issues: string[] = [];
      if (c.reuse.kind === 'same' || c.reuse.kind === 'reformatted') {
        const t = jsonOf(res) as { id?: string } | undefined;
        if (t?.id !== firstId) issues.push(`a replay named ${t?.id}, not ${firstId}`);
        if (header(res, 'idempotent-replayed') !== 'true')
          issues.push('a replay without Idempotent-Replayed: true');
      } else if (
        c.reuse.kind === 'different' &&
        (res.status !== 409 || problemCode(res) !== 'IDEMPOTENCY_KEY_REUSED')
      ) {
        issues.push(`the same key with another body answered ${res.status} ${problemCode(res)}`);
      }
      fail(i, `reuse: ${c.reuse.kind}`, issues, requestOf(again, spec, key, again.shuffleSeed), res);
    });

    const after = await transferCount(gw);
    report.print();
    console.log(
      `intake: cases by profile ${JSON.stringify(Object.fromEntries(profileCounts))}; ${sent} requests sent; ${created.size} transfers created, store grew by ${after - before}`,
    );
    const errors = errorLogLines(gw.logs);
    if (errors.length) console.log(`intake: error log lines:\n${errors.slice(0, 10).join('\n')}`);

    expect(sent).toBeGreaterThanOrEqual(RUNS);
    report.assertClean();
    expect(after - before, 'transfers stored ≠ first-time 202s').toBe(created.size);
    // Enough of each kind to mean something: both accepted and refused requests.
    expect(created.size).toBeGreaterThan(RUNS / 10);
    expect(report.statusOf(422)).toBeGreaterThan(RUNS / 10);
    expect(errors, 'the gateway logged at level error or fatal').toEqual([]);
  });
});
