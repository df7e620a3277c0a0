/**
 * Fuzz: the paths and queries of every route. Each generated request takes a route (or a random or
 * hostile path), a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS and the rarer ones Node
 * accepts), path parameters (real transfers in every state, unknown ids, malformed ids, good and
 * malformed percent-encodings, encoded slashes, NUL, huge values), the path's case and trailing slash,
 * query parameters valid or invalid by construction (unknown keys, repeated keys, bad values, huge
 * values, malformed percent-encodings), credentials (none, each API key, garbage, the dashboard's Basic
 * login right and wrong) and a body where the route takes one.
 *
 * What must hold: never a 5xx (the partners are the simulators, so 503 is a failure too); every 4xx is
 * problem+json with a stable code, except the dashboard's own answers behind its login; where the
 * request is clean enough to say, the exact status (401 without a key, 403 without the scope, 404 for
 * no route, 422 for a query invalid by construction, 200 for a valid one …); transfers change only
 * through a cancel or retry that answered 2xx; nothing is logged at level error or fatal.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from '../../src/domain/ids.js';
import { STATES } from '../../src/domain/transfer.js';
import { TARGETS } from '../helpers/partners.js';
import { KEYS } from '../helpers/gateway.js';
import { startWorld, type World } from '../helpers/world.js';
import { DESTINATION_CODES, text } from './intake-bodies.js';
import {
  announce,
  errorLogLines,
  fixtureMatrix,
  header,
  makeFixture,
  pool,
  portOf,
  problemCode,
  Report,
  RUNS,
  SEED,
  send,
  snapshot,
  universalIssues,
  type Fixture,
  type RawRequest,
} from './support.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Scope = 'transfers:write' | 'transfers:read' | 'ops';

// --- credentials -------------------------------------------------------------------------------

type Auth = 'none' | 'beijing' | 'ops' | 'reader' | 'garbage' | 'basic' | 'basic-wrong' | 'bearer-basic';
const SCOPES: Record<Auth, readonly Scope[] | null> = {
  none: null,
  beijing: ['transfers:write', 'transfers:read'],
  ops: ['ops', 'transfers:read'],
  reader: ['transfers:read'],
  garbage: null,
  basic: null,
  'basic-wrong': null,
  'bearer-basic': null,
};
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
function authHeader(a: Auth): string | undefined {
  switch (a) {
    case 'none':
      return undefined;
    case 'beijing':
      return `Bearer ${KEYS.beijing}`;
    case 'ops':
      return `Bearer ${KEYS.ops}`;
    case 'reader':
      return `Bearer ${KEYS.reader}`;
    case 'garbage':
      return 'Bearer 0000000000000000000000000';
    case 'basic':
      return basic('ops', 'demo-ops-password');
    case 'basic-wrong':
      return basic('ops', 'demo-ops-passwore');
    case 'bearer-basic':
      return `Bearer ${Buffer.from('ops:demo-ops-password').toString('base64')}`;
  }
}
const AUTH = fc.constantFrom<Auth>(
  'beijing',
  'beijing',
  'ops',
  'ops',
  'reader',
  'none',
  'garbage',
  'basic',
  'basic-wrong',
  'bearer-basic',
);

// --- path parameters -----------------------------------------------------------------------------

/** A path parameter: how it is written, and what it names once decoded (null: it cannot be decoded). */
type Param =
  | { kind: 'real'; which: number; encode: boolean }
  | { kind: 'job'; which: number; exists: boolean }
  | { kind: 'missing' }
  | { kind: 'target'; target: string; encode: boolean }
  | { kind: 'plain'; raw: string }
  | { kind: 'malformed'; raw: string };

const malformed = fc
  .constantFrom('%', '%zz', '%E4%B8', 'a%2', '%C0%AF%', '%FF', 'trf_%G1', '%u0041')
  .map((raw): Param => ({ kind: 'malformed', raw }));
const plainOdd = fc
  .oneof(
    fc.constantFrom(
      'trf_123',
      'TRF_01J',
      'abc',
      '0',
      '-1',
      'null',
      'undefined',
      '..',
      '.',
      '%2F',
      '%00',
      'a%2Fb',
      '%E5%BC%A0%E4%B8%89',
      '%20',
      'x%3Fy',
      ';',
      '@',
      '~',
    ),
    fc.constant(`trf_${'Z'.repeat(3000)}`),
    fc.constant('%41'.repeat(1500)),
    fc.stringMatching(/^[A-Za-z0-9_~.-]{1,40}$/),
  )
  .map((raw): Param => ({ kind: 'plain', raw }));

const idParam: fc.Arbitrary<Param> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(), fc.boolean())
      .map(([which, e]): Param => ({ kind: 'real', which, encode: e && which % 3 === 0 })),
  },
  { weight: 2, arbitrary: fc.constant<Param>({ kind: 'missing' }) },
  { weight: 2, arbitrary: plainOdd },
  { weight: 1, arbitrary: malformed },
);
const jobParam: fc.Arbitrary<Param> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.nat(), fc.boolean())
      .map(([which, exists]): Param => ({ kind: 'job', which, exists })),
  },
  { weight: 2, arbitrary: plainOdd },
  { weight: 1, arbitrary: malformed },
);
const targetParam: fc.Arbitrary<Param> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...TARGETS), fc.boolean())
      .map(([target, e]): Param => ({ kind: 'target', target, encode: e && target === 'fujian' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('mars', 'National', 'beijing', 'national%20', '%00', 'guangdong.json')
      .map((raw): Param => ({ kind: 'plain', raw })),
  },
  { weight: 1, arbitrary: malformed },
);

// --- queries -------------------------------------------------------------------------------------

/** Query pairs, already encoded; `valid` says whether the route's schema accepts them by construction. */
interface Query {
  pairs: [string, string][];
  validity: 'valid' | 'invalid' | 'unknown';
  /** For /v1/orgs/check: the province code, which decides the answer. */
  province?: string;
}
const enc = encodeURIComponent;
const q = (pairs: [string, string][], validity: Query['validity'], province?: string): Query => ({
  pairs: pairs.map(([k, v]) => [enc(k), enc(v)]),
  validity,
  ...(province ? { province } : {}),
});
const visible = (min: number, max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: max,
  });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const pairsOf = (o: Record<string, string | undefined>): [string, string][] =>
  Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined);

const inv = (pairs: [string, string][]): Query => ({ pairs, validity: 'invalid' });

/** Shared ways to break any query: each is invalid for a strict schema whatever the route. */
const breakQuery = (valid: fc.Arbitrary<Query>, keys: readonly string[]): fc.Arbitrary<Query> =>
  fc.oneof(
    fc
      .tuple(
        valid,
        fc.constantFrom('foo', 'STATE', 'limit[]', '__proto__', 'constructor', 'state ', ''),
        fc.constantFrom('1', '', 'x'),
      )
      .map(([v, k, x]) =>
        k === '' && x === '' ? { ...v, validity: 'unknown' as const } : inv([...v.pairs, [enc(k), enc(x)]]),
      ),
    fc
      .tuple(valid, fc.constantFrom(...keys))
      .map(([v, k]) => inv([...v.pairs, [enc(k), 'a'], [enc(k), 'b']])),
    fc
      .tuple(valid, fc.constantFrom(...keys), fc.integer({ min: 4000, max: 12_000 }))
      .map(([v, k, n]) => inv([...v.pairs.filter(([x]) => x !== k), [enc(k), 'x'.repeat(n)]])),
    fc
      .tuple(
        valid,
        fc.constantFrom(...keys),
        fc.constantFrom('\u0000', '\u202e', '\u200b', '\ufffd', '\u0007'),
      )
      .map(([v, k, c]) => inv([...v.pairs.filter(([x]) => x !== k), [enc(k), enc(`a${c}b`)]])),
    // Encodings the query parser must survive; what they decode to is not decided here.
    fc
      .tuple(
        valid,
        fc.constantFrom(...keys),
        fc.constantFrom('%', '%zz', '%E4%B8', '%FF%FE', '%00', '+', '%2B', '%u0041'),
      )
      .map(([v, k, raw]): Query => ({
        pairs: [...v.pairs.filter(([x]) => x !== k), [enc(k), raw]],
        validity: 'unknown',
      })),
  );

const listValid = fc
  .record({
    state: opt(fc.constantFrom(...STATES)),
    target: opt(fc.constantFrom(...TARGETS)),
    externalRef: opt(visible(1, 64)),
    overdue: opt(fc.constantFrom('true', 'false')),
    cursor: opt(fc.constant('')).map((c) => (c === undefined ? undefined : `trf_${ulid(Date.now())}`)),
    limit: opt(fc.integer({ min: 1, max: 100 }).map(String)),
  })
  .map((o) => q(pairsOf(o), 'valid'));
const listInvalid = fc.oneof(
  breakQuery(listValid, ['state', 'target', 'limit', 'cursor', 'overdue']),
  fc
    .tuple(
      listValid,
      fc.constantFrom<[string, string]>(
        ['state', 'open'],
        ['state', 'ACCEPTED'],
        ['target', 'beijing'],
        ['limit', '0'],
        ['limit', '101'],
        ['limit', 'ten'],
        ['limit', '1.5'],
        ['limit', '-1'],
        ['overdue', 'yes'],
        ['overdue', '1'],
        ['cursor', 'abc'],
        ['externalRef', ''],
        ['externalRef', 'x'.repeat(65)],
      ),
    )
    .map(([v, [k, x]]) => inv([...v.pairs.filter(([y]) => y !== k), [k, enc(x)]])),
);

const NATIONAL_CODES = DESTINATION_CODES.filter((c) => c !== '44' && c !== '35');
const checkValid = fc
  .tuple(
    fc.constantFrom(...DESTINATION_CODES, '11'),
    fc.oneof(
      text(100),
      fc.constantFrom('共青团上海国际港务 (集团) 股份有限公司委员会', '共青团广州市天河区委员会'),
    ),
  )
  .map(([provinceCode, fullName]) =>
    q(
      [
        ['provinceCode', provinceCode],
        ['fullName', fullName],
      ],
      'valid',
      provinceCode,
    ),
  );
const checkInvalid = fc.oneof(
  breakQuery(checkValid, ['provinceCode', 'fullName']),
  fc
    .constantFrom<[string, string][]>(
      [['provinceCode', '31']],
      [['fullName', '共青团']],
      [],
      [
        ['provinceCode', '3'],
        ['fullName', 'x'],
      ],
      [
        ['provinceCode', '31'],
        ['fullName', ''],
      ],
      [
        ['provinceCode', '31'],
        ['fullName', 'x'.repeat(101)],
      ],
      [
        ['provinceCode', '99'],
        ['fullName', 'x'],
      ],
      [
        ['provinceCode', '71'],
        ['fullName', 'x'],
      ],
    )
    .map((p) => q(p, 'invalid')),
);
const searchValid = fc
  .tuple(fc.constantFrom(...DESTINATION_CODES), text(100), opt(fc.integer({ min: 1, max: 50 })))
  .map(([provinceCode, qq, limit]) =>
    q(
      pairsOf({ provinceCode, q: qq, limit: limit === undefined ? undefined : String(limit) }),
      'valid',
      provinceCode,
    ),
  );
const searchInvalid = fc.oneof(
  breakQuery(searchValid, ['provinceCode', 'q', 'limit']),
  fc
    .constantFrom<[string, string][]>(
      [['provinceCode', '44']],
      [['q', '天河']],
      [
        ['provinceCode', '44'],
        ['q', ''],
      ],
      [
        ['provinceCode', '44'],
        ['q', '天河'],
        ['limit', '51'],
      ],
      [
        ['provinceCode', '44'],
        ['q', '天河'],
        ['limit', '0'],
      ],
      [
        ['provinceCode', '11'],
        ['q', '北京'],
      ],
      [
        ['provinceCode', '83'],
        ['q', 'x'],
      ],
    )
    .map((p) => q(p, 'invalid')),
);
const notifValid = fc
  .record({
    status: opt(fc.constantFrom('failed', 'waiting', 'delayed', 'active', 'completed')),
    limit: opt(fc.integer({ min: 1, max: 100 }).map(String)),
    cursor: opt(fc.integer({ min: 0, max: 999_999_999 }).map(String)),
  })
  .map((o) => q(pairsOf(o), 'valid'));
const notifInvalid = fc.oneof(
  breakQuery(notifValid, ['status', 'limit', 'cursor']),
  fc
    .constantFrom<[string, string][]>(
      [['status', 'paused']],
      [['status', 'FAILED']],
      [['limit', '0']],
      [['limit', '101']],
      [['cursor', '-1']],
      [['cursor', '1234567890']],
      [['cursor', 'x']],
    )
    .map((p) => q(p, 'invalid')),
);
/** GET /v1/ops/finished-transfers: a terminal state, a partner, an instant range, a cursor. */
const instant = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const finishedValid = fc
  .record({
    state: opt(fc.constantFrom('completed', 'rejected', 'failed', 'cancelled', 'expired')),
    target: opt(fc.constantFrom('national', 'guangdong', 'fujian')),
    since: opt(fc.constant('2000-01-01T00:00:00.000Z')),
    until: opt(instant.filter((d) => d > '2000-01-02')),
    limit: opt(fc.integer({ min: 1, max: 500 }).map(String)),
    cursor: opt(
      fc.integer({ min: 0, max: 9_999_999_999_999 }).map((n) => `${n}:trf_01J9Z3Q4R5S6T7V8W9X0Y1Z2A3`),
    ),
  })
  .map((o) => q(pairsOf(o), 'valid'));
const finishedInvalid = fc.oneof(
  breakQuery(finishedValid, ['state', 'target', 'since', 'until', 'limit', 'cursor']),
  fc
    .constantFrom<[string, string][]>(
      [['state', 'accepted']],
      [['state', 'submitted']],
      [['target', 'hainan']],
      [['target', 'NATIONAL']],
      [['since', '2026-13-01T00:00:00Z']],
      [['since', 'yesterday']],
      [
        ['since', '2027-01-01T00:00:00.000Z'],
        ['until', '2026-01-01T00:00:00.000Z'],
      ],
      [['limit', '0']],
      [['limit', '501']],
      [['cursor', 'trf_01J9Z3Q4R5S6T7V8W9X0Y1Z2A3']],
      [['cursor', '-5:trf_01J9Z3Q4R5S6T7V8W9X0Y1Z2A3']],
    )
    .map((p) => q(p, 'invalid')),
);
/** A route without query parameters ignores any. */
const junkQuery = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Query>({ pairs: [], validity: 'valid' }) },
  {
    weight: 1,
    arbitrary: fc.webQueryParameters().map((s): Query => ({ pairs: s ? [[s, '']] : [], validity: 'valid' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('%', 'a=%zz', 'a=1&a=2&a=3', 'x='.concat('y'.repeat(9000)), '__proto__=1', 'limit=0')
      .map((s): Query => ({ pairs: [[s, '']], validity: 'valid' })),
  },
);

// --- bodies ------------------------------------------------------------------------------------

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: Json; valid: boolean }
  | { kind: 'not-json' }
  | { kind: 'wrong-type' }
  /** POST /v1/notifications/replay naming real notification jobs (waiting: not replayable) or unknown ones. */
  | { kind: 'replay-ids'; which: number[]; exists: boolean };
const cancelBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  {
    weight: 3,
    arbitrary: fc
      .option(text(500), { nil: undefined })
      .map((reason): Body => ({ kind: 'json', value: reason === undefined ? {} : { reason }, valid: true })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<Json>(
        { reason: '' },
        { reason: 5 },
        { reason: 'x'.repeat(501) },
        { why: 'x' },
        [],
        'cancel',
        { reason: 'a\u0000b' },
      )
      .map((value): Body => ({ kind: 'json', value, valid: false })),
  },
  { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: 'not-json' }, { kind: 'wrong-type' }) },
);
const replayBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  { weight: 2, arbitrary: fc.constant<Body>({ kind: 'json', value: {}, valid: true }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([which, exists]): Body => ({ kind: 'replay-ids', which, exists })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<Json>(
        { ids: [] },
        { ids: ['x'] },
        { ids: 'trf' },
        { all: true },
        [],
        { ids: [5] },
        {
          ids: Array.from({ length: 501 }, (_, i) => `trf_01J0000000000000000000000${i % 10}-n1`),
        },
      )
      .map((value): Body => ({ kind: 'json', value, valid: false })),
  },
  { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: 'not-json' }, { kind: 'wrong-type' }) },
);

// --- routes ------------------------------------------------------------------------------------

/** A literal segment, or ID, JOB or TARGET for a parameter. */
type Seg = string;
interface RouteDef {
  name: string;
  method: 'GET' | 'POST';
  segs: Seg[];
  scope: Scope | null;
  query: fc.Arbitrary<Query>;
  body?: fc.Arbitrary<Body>;
}

const ROUTES: RouteDef[] = [
  {
    name: 'list',
    method: 'GET',
    segs: ['v1', 'transfers'],
    scope: 'transfers:read',
    query: fc.oneof(listValid, listInvalid),
  },
  { name: 'intake', method: 'POST', segs: ['v1', 'transfers'], scope: 'transfers:write', query: junkQuery },
  { name: 'get', method: 'GET', segs: ['v1', 'transfers', 'ID'], scope: 'transfers:read', query: junkQuery },
  {
    name: 'cancel',
    method: 'POST',
    segs: ['v1', 'transfers', 'ID', 'cancel'],
    scope: 'transfers:write',
    query: junkQuery,
    body: cancelBody,
  },
  { name: 'retry', method: 'POST', segs: ['v1', 'transfers', 'ID', 'retry'], scope: 'ops', query: junkQuery },
  {
    name: 'check',
    method: 'GET',
    segs: ['v1', 'orgs', 'check'],
    scope: 'transfers:read',
    query: fc.oneof(checkValid, checkInvalid),
  },
  {
    name: 'search',
    method: 'GET',
    segs: ['v1', 'orgs', 'search'],
    scope: 'transfers:read',
    query: fc.oneof(searchValid, searchInvalid),
  },
  {
    name: 'notifications',
    method: 'GET',
    segs: ['v1', 'notifications'],
    scope: 'ops',
    query: fc.oneof(notifValid, notifInvalid),
  },
  {
    name: 'replay-all',
    method: 'POST',
    segs: ['v1', 'notifications', 'replay'],
    scope: 'ops',
    query: junkQuery,
    body: replayBody,
  },
  {
    name: 'replay-one',
    method: 'POST',
    segs: ['v1', 'notifications', 'JOB', 'replay'],
    scope: 'ops',
    query: junkQuery,
  },
  { name: 'targets', method: 'GET', segs: ['v1', 'ops', 'targets'], scope: 'ops', query: junkQuery },
  { name: 'retention', method: 'GET', segs: ['v1', 'ops', 'retention'], scope: 'ops', query: junkQuery },
  {
    name: 'finished',
    method: 'GET',
    segs: ['v1', 'ops', 'finished-transfers'],
    scope: 'ops',
    query: fc.oneof(finishedValid, finishedInvalid),
  },
  {
    name: 'pause',
    method: 'POST',
    segs: ['v1', 'ops', 'targets', 'TARGET', 'pause'],
    scope: 'ops',
    query: junkQuery,
  },
  {
    name: 'resume',
    method: 'POST',
    segs: ['v1', 'ops', 'targets', 'TARGET', 'resume'],
    scope: 'ops',
    query: junkQuery,
  },
  { name: 'callback', method: 'POST', segs: ['v1', 'callbacks', 'TARGET'], scope: null, query: junkQuery },
  { name: 'healthz', method: 'GET', segs: ['healthz'], scope: null, query: junkQuery },
  { name: 'readyz', method: 'GET', segs: ['readyz'], scope: null, query: junkQuery },
  { name: 'metrics', method: 'GET', segs: ['metrics'], scope: null, query: junkQuery },
  { name: 'openapi', method: 'GET', segs: ['openapi.json'], scope: null, query: junkQuery },
  { name: 'docs', method: 'GET', segs: ['docs'], scope: null, query: junkQuery },
];

const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const RARE_METHODS = ['TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'SEARCH', 'LOCK', 'REPORT', 'LINK', 'QUERY'];

type DashPath = { sub: string; fake: boolean };
const DASH_SUBPATHS: DashPath[] = [
  { sub: '', fake: false },
  { sub: '/', fake: false },
  { sub: '/api/queues', fake: false },
  { sub: '/api/queues?activeQueue=deliver-national&status=latest&page=1&jobsPerPage=10', fake: false },
  { sub: '/api/queues?page=-1&jobsPerPage=99999999&status=%zz', fake: false },
  { sub: '/api/redis/stats', fake: false },
  { sub: '/api/queues/deliver-national/1', fake: false },
  { sub: '/api/queues/nope/1', fake: true },
  { sub: '/api/queues/nope/1/logs', fake: true },
  { sub: '/api/queues/deliver-guangdong/%zz', fake: false },
  { sub: '/api/queues/nope/pause', fake: true },
  { sub: '/api/queues/nope/clean/failed', fake: true },
  { sub: '/api/queues/nope/add', fake: true },
  { sub: '/queue/deliver-fujian', fake: false },
  { sub: '/static/nope.js', fake: false },
  { sub: '/%E4%B8', fake: false },
  { sub: `/${'a'.repeat(3000)}`, fake: true },
];

interface RouteCase {
  target:
    | { kind: 'route'; route: number; params: Param[]; upper: boolean; slash: boolean }
    | { kind: 'dashboard'; path: DashPath; sameOrigin: boolean }
    | { kind: 'random'; path: string; known404: boolean };
  method: string;
  query: Query;
  auth: Auth;
  body: Body;
  requestId: 'none' | 'ok' | 'spaces' | 'long';
  hugeHeader: boolean;
  /** Message framing Node's parser refuses before any route: both Transfer-Encoding and Content-Length, … */
  framing: 'ok' | 'te+cl' | 'cl-text' | 'cl-dup';
}

const routeTarget = fc.integer({ min: 0, max: ROUTES.length - 1 }).chain((route) => {
  const r = ROUTES[route]!;
  const params = r.segs
    .filter((s) => s === 'ID' || s === 'JOB' || s === 'TARGET')
    .map((s) => (s === 'ID' ? idParam : s === 'JOB' ? jobParam : targetParam));
  return fc.record({
    target: fc.record({
      kind: fc.constant('route' as const),
      route: fc.constant(route),
      params: fc.tuple<Param[]>(...params),
      upper: fc.boolean().map((b) => b && route % 4 === 0),
      slash: fc.boolean().map((b) => b && route % 3 === 0),
    }),
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant(r.method) },
      { weight: 6, arbitrary: fc.constantFrom(...COMMON_METHODS) },
      { weight: 1, arbitrary: fc.constantFrom(...RARE_METHODS) },
    ),
    query: r.query,
    body:
      r.body ??
      fc.oneof(
        { weight: 4, arbitrary: fc.constant<Body>({ kind: 'none' }) },
        {
          weight: 1,
          arbitrary: fc
            .jsonValue({ maxDepth: 2 })
            .map((value): Body => ({ kind: 'json', value: value as Json, valid: false })),
        },
      ),
  });
});

const dashboardTarget = fc.record({
  target: fc.record({
    kind: fc.constant('dashboard' as const),
    path: fc.constantFrom(...DASH_SUBPATHS),
    sameOrigin: fc.boolean(),
  }),
  method: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD') },
    { weight: 2, arbitrary: fc.constantFrom('PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS') },
  ),
  query: fc.constant<Query>({ pairs: [], validity: 'valid' }),
  body: fc.constant<Body>({ kind: 'none' }),
});

const HOSTILE_PATHS = [
  '/',
  '//',
  '/%',
  '/%zz',
  '/%00',
  '/..%2F..%2Fetc%2Fpasswd',
  '/v1/transfers/../healthz',
  '/v1//transfers',
  '/v1/transfers;jsessionid=1',
  '/v1/transfers%2F',
  '/%2e%2e/%2e%2e/',
  '/*',
  '/v1/%74ransfers',
  '/V1/Orgs/Check',
  '/v1/transfers/trf_1/cancel/extra',
  '/admin/queues/../../v1/transfers',
  '/admin/queue',
  '/adminqueues',
  '/healthz/',
  '/HEALTHZ',
  '/metrics.txt',
  '/openapi.json/',
  '/docs/../openapi.json',
  '/v1/callbacks',
  '/v1/callbacks/',
  '/v1/notifications/replay/extra',
  '/v1/ops/targets/national',
  '/v1/ops/targets/national/pause/now',
  `/${'x'.repeat(12_000)}`,
  `/v1/transfers/${'%41'.repeat(3800)}`,
  'http://127.0.0.1/healthz',
  '*',
];
const randomTarget = fc.record({
  target: fc.oneof(
    fc.webPath().map((p) => ({
      kind: 'random' as const,
      path: `/fz${p.startsWith('/') ? p : `/${p}`}`,
      known404: true,
    })),
    fc.constantFrom(...HOSTILE_PATHS).map((path) => ({ kind: 'random' as const, path, known404: false })),
  ),
  method: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...COMMON_METHODS) },
    { weight: 1, arbitrary: fc.constantFrom(...RARE_METHODS) },
  ),
  query: junkQuery,
  body: fc.constant<Body>({ kind: 'none' }),
});

const routeCase: fc.Arbitrary<RouteCase> = fc
  .tuple(
    fc.oneof(
      { weight: 14, arbitrary: routeTarget },
      { weight: 3, arbitrary: dashboardTarget },
      { weight: 3, arbitrary: randomTarget },
    ),
    AUTH,
    fc.constantFrom<RouteCase['requestId']>('none', 'none', 'ok', 'spaces', 'long'),
    fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 300, arbitrary: fc.constant(false) }),
    fc.oneof(
      { weight: 300, arbitrary: fc.constant<RouteCase['framing']>('ok') },
      { weight: 3, arbitrary: fc.constantFrom<RouteCase['framing']>('te+cl', 'cl-text', 'cl-dup') },
    ),
  )
  .map(([t, auth, requestId, hugeHeader, framing]) => ({
    ...(t as Pick<RouteCase, 'target' | 'method' | 'query' | 'body'>),
    auth,
    requestId,
    hugeHeader,
    // A HEAD answer carries no body; the framing cases are about the request, so they use GET.
    framing,
    ...(framing !== 'ok' && t.method === 'HEAD' ? { method: 'GET' } : {}),
  }));

// --- building requests and predicting answers ------------------------------------------------------

interface World2 {
  fixtures: Fixture[];
  jobIds: string[];
}

const pct = (s: string) => s.replace(/^(.)/, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/** The raw segment, and the fixture it names (or null), and whether it decodes at all. */
function paramOf(
  p: Param,
  w: World2,
): {
  raw: string;
  fixture: Fixture | null;
  job: 'exists' | 'missing' | null;
  target: string | null;
  decodes: boolean;
} {
  switch (p.kind) {
    case 'real': {
      const f = w.fixtures[p.which % w.fixtures.length]!;
      return { raw: p.encode ? pct(f.id) : f.id, fixture: f, job: null, target: null, decodes: true };
    }
    case 'job': {
      const id = p.exists ? w.jobIds[p.which % w.jobIds.length]! : `trf_${ulid(Date.now())}-n2`;
      return { raw: id, fixture: null, job: p.exists ? 'exists' : 'missing', target: null, decodes: true };
    }
    case 'missing':
      return { raw: `trf_${ulid(Date.now())}`, fixture: null, job: null, target: null, decodes: true };
    case 'target':
      return {
        raw: p.encode ? pct(p.target) : p.target,
        fixture: null,
        job: null,
        target: p.target,
        decodes: true,
      };
    case 'plain': {
      let decodes = true;
      try {
        decodeURIComponent(p.raw);
      } catch {
        decodes = false;
      }
      return { raw: p.raw, fixture: null, job: null, target: null, decodes };
    }
    case 'malformed':
      return { raw: p.raw, fixture: null, job: null, target: null, decodes: false };
  }
}

interface Built {
  req: RawRequest;
  /** Acceptable statuses, when the request is clean enough to say. */
  expect: number[] | null;
  codes?: string[];
  /** The dashboard's own answer: exempt from the problem+json rule. */
  exempt: boolean;
  /** The fixture a cancel or retry names. */
  acts?: string;
}

function queryString(query: Query): string {
  if (query.pairs.length === 0) return '';
  return `?${query.pairs.map(([k, v]) => (v === '' && /[=&%]|^$/.test(k) ? k : `${k}=${v}`)).join('&')}`;
}

function bodyBytes(b: Body, w: World2): { headers: [string, string][]; body?: Buffer } {
  switch (b.kind) {
    case 'replay-ids': {
      const ids = b.which.map((n) =>
        b.exists ? w.jobIds[n % w.jobIds.length]! : `trf_${ulid(Date.now())}-n${n + 1}`,
      );
      return { headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ ids })) };
    }
    case 'none':
      return { headers: [] };
    case 'json':
      return { headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify(b.value)) };
    case 'not-json':
      return { headers: [['Content-Type', 'application/json']], body: Buffer.from('{"reason": ') };
    case 'wrong-type':
      return { headers: [['Content-Type', 'text/plain']], body: Buffer.from('reason=x') };
  }
}

function build(c: RouteCase, w: World2, port: number): Built {
  const headers: [string, string][] = [];
  const auth = authHeader(c.auth);
  if (auth) headers.push(['Authorization', auth]);
  if (c.requestId === 'ok') headers.push(['X-Request-Id', 'fz-route-1']);
  if (c.requestId === 'spaces') headers.push(['X-Request-Id', 'has spaces\tand tabs']);
  if (c.requestId === 'long') headers.push(['X-Request-Id', 'r'.repeat(200)]);
  if (c.hugeHeader) headers.push(['X-Padding', 'p'.repeat(20_000)]);
  const { headers: bh, body: given } = bodyBytes(c.body, w);
  headers.push(...bh);
  let body = given;
  let chunked = false;
  if (c.framing === 'te+cl') {
    body ??= Buffer.from('{}');
    headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', String(body.length)]);
    chunked = true;
  } else if (c.framing === 'cl-text') headers.push(['Content-Length', 'abc']);
  else if (c.framing === 'cl-dup') {
    body = undefined;
    headers.push(['Content-Length', '0'], ['Content-Length', '1']);
  }
  const qs = queryString(c.query);
  const method = c.method;
  const effective = method === 'HEAD' ? 'GET' : method;
  const t = c.target;
  const req = (path: string): RawRequest => ({
    method,
    path,
    headers,
    ...(body ? { body } : {}),
    ...(chunked ? { chunked } : {}),
  });
  const out = (path: string, expect: number[] | null, extra: Partial<Built> = {}): Built =>
    c.hugeHeader
      ? // Headers over Node's limit are refused before any route: 431, as problem+json.
        { req: req(path), expect: [431], codes: ['HEADERS_TOO_LARGE'], exempt: false }
      : c.framing !== 'ok'
        ? { req: req(path), expect: [400], codes: ['MALFORMED_REQUEST'], exempt: false }
        : { req: req(path), expect, exempt: false, ...extra };

  if (t.kind === 'random') {
    if (!t.known404 || method === 'OPTIONS') return out(t.path + qs, null);
    return out(t.path + qs, [404], { codes: ['NOT_FOUND'] });
  }

  if (t.kind === 'dashboard') {
    if (t.sameOrigin) headers.push(['Sec-Fetch-Site', 'same-origin'], ['Origin', `http://127.0.0.1:${port}`]);
    const path = `/admin/queues${t.path.sub}`;
    if (c.auth !== 'basic') return out(path, [401], { codes: ['UNAUTHENTICATED'] });
    // A malformed percent-encoding is refused as on every other route, before the change guard.
    if (/%(?![0-9a-f]{2})|%E4%B8$/i.test(t.path.sub.split('?')[0]!))
      return out(path, [400], { codes: ['MALFORMED_PATH'] });
    if (method !== 'GET' && method !== 'HEAD' && !t.sameOrigin)
      return out(path, [403], { codes: ['CSRF_REJECTED'] });
    if (method !== 'GET' && method !== 'HEAD' && !t.path.fake) {
      // Changes to real queues are not fuzzed: the same request against a queue that does not exist.
      return out(path.replace('deliver-', 'nope-'), null, { exempt: true });
    }
    return out(path, null, { exempt: true });
  }

  const r = ROUTES[t.route]!;
  const resolved = t.params.map((p) => paramOf(p, w));
  let pi = 0;
  let path = `/${r.segs
    .map((s) => (s === 'ID' || s === 'JOB' || s === 'TARGET' ? resolved[pi++]!.raw : s))
    .join('/')}`;
  if (t.upper) path = path.replace(/^\/[a-z0-9]+/i, (x) => x.toUpperCase());
  if (t.slash) path += '/';
  path += qs;
  const p0 = resolved[0];
  // A parameter that does not decode is refused before anything else, whatever the method.
  if (resolved.some((x) => !x.decodes))
    return out(path, method === 'OPTIONS' ? null : [400], { codes: ['MALFORMED_PATH'] });
  if (method === 'OPTIONS') return out(path, null);
  // A parameter holding an encoded slash or other odd bytes still names a route: it just names nothing.
  if (effective !== r.method) {
    // Another route may own this method on the same path (GET and POST /v1/transfers).
    const sibling = ROUTES.some(
      (o) => o !== r && o.method === effective && o.segs.join('/') === r.segs.join('/'),
    );
    return out(path, sibling ? null : [404], sibling ? {} : { codes: ['NOT_FOUND'] });
  }
  if (r.scope) {
    const scopes = SCOPES[c.auth];
    if (!scopes) return out(path, [401], { codes: ['UNAUTHENTICATED'] });
    if (!scopes.includes(r.scope)) return out(path, [403], { codes: ['FORBIDDEN'] });
  }
  const v = c.query.validity;
  const byQuery = (valid: number[]): number[] | null =>
    v === 'valid' ? valid : v === 'invalid' ? [422] : null;
  switch (r.name) {
    case 'list':
    case 'notifications':
    case 'finished':
      return out(path, byQuery([200]), v === 'invalid' ? { codes: ['VALIDATION_FAILED'] } : {});
    case 'search':
      return out(path, byQuery([200]));
    case 'check': {
      if (v !== 'valid') return out(path, byQuery([]));
      const code = c.query.province!;
      if (code === '11') return out(path, [422], { codes: ['DESTINATION_IS_INTERNAL'] });
      if (!NATIONAL_CODES.includes(code)) return out(path, [422], { codes: ['CHECK_NOT_SUPPORTED'] });
      return out(path, [200]);
    }
    case 'intake':
      return out(path, null);
    case 'get':
      return out(path, p0!.fixture ? [200] : [404], p0!.fixture ? {} : { codes: ['TRANSFER_NOT_FOUND'] });
    case 'cancel': {
      const b = c.body;
      if (b.kind === 'wrong-type') return out(path, [415], { codes: ['UNSUPPORTED_MEDIA_TYPE'] });
      if (b.kind === 'not-json') return out(path, [400], { codes: ['MALFORMED_JSON'] });
      if (b.kind === 'json' && !b.valid) return out(path, [422], { codes: ['VALIDATION_FAILED'] });
      if (!p0!.fixture) return out(path, [404], { codes: ['TRANSFER_NOT_FOUND'] });
      return out(path, [200, 409], { acts: p0!.fixture.id });
    }
    case 'retry':
      if (!p0!.fixture) return out(path, [404], { codes: ['TRANSFER_NOT_FOUND'] });
      return out(path, [202, 409], { acts: p0!.fixture.id });
    case 'replay-all': {
      const b = c.body;
      if (b.kind === 'wrong-type') return out(path, [415], { codes: ['UNSUPPORTED_MEDIA_TYPE'] });
      if (b.kind === 'not-json') return out(path, [400], { codes: ['MALFORMED_JSON'] });
      if (b.kind === 'json' && !b.valid) return out(path, [422], { codes: ['VALIDATION_FAILED'] });
      // Every id is checked before any is replayed: one unknown is 404, else a waiting one is 409.
      if (b.kind === 'replay-ids')
        return b.exists
          ? out(path, [409], { codes: ['NOTIFICATION_NOT_FAILED'] })
          : out(path, [404], { codes: ['NOTIFICATION_NOT_FOUND'] });
      return out(path, [200]);
    }
    case 'replay-one':
      // Notification jobs wait (no worker runs here): an existing one is not failed, so not replayable.
      return out(path, p0!.job === 'exists' ? [409] : [404], {
        codes: p0!.job === 'exists' ? ['NOTIFICATION_NOT_FAILED'] : ['NOTIFICATION_NOT_FOUND'],
      });
    case 'targets':
    case 'retention':
      return out(path, [200]);
    case 'pause':
    case 'resume':
      return out(path, p0!.target ? [200] : [404], p0!.target ? {} : { codes: ['UNKNOWN_TARGET'] });
    case 'callback':
      return out(path, p0!.target ? [401] : [404], {
        codes: p0!.target ? ['INVALID_SIGNATURE'] : ['UNKNOWN_TARGET'],
      });
    default:
      // healthz, readyz, metrics, openapi.json, docs: open, and always there.
      return out(path, [200]);
  }
}

// --- the run -----------------------------------------------------------------------------------

let world: World;

beforeAll(async () => {
  world = await startWorld({
    env: {
      ROLE: 'api',
      LOG_LEVEL: 'info',
      // The fuzz sends valid destination checks by the hundred a second; the partners' real limits
      // (tens a second) would only make them wait. Nothing else changes.
      RATE_LIMIT_NATIONAL: '10000',
      RATE_LIMIT_GUANGDONG: '10000',
      RATE_LIMIT_FUJIAN: '10000',
    },
  });
});
afterAll(async () => {
  await world?.close();
});

describe('fuzz: paths and queries of every route', () => {
  it(`answers ${RUNS} generated requests within the contract`, async () => {
    announce('routes');
    const gw = world.gw;
    const report = new Report('routes');
    const cases = fc.sample(routeCase, { seed: SEED + 2, numRuns: RUNS });

    const fixtures = [
      ...(await fixtureMatrix(gw, 1)),
      // Irreversible ones, for cancel's 409 IRREVERSIBLE.
      await makeFixture(gw, 'national', 'submitted', undefined, {
        reason: { kind: 'classified_unit' },
        confirmedWithMember: true,
      }),
      await makeFixture(gw, 'guangdong', 'accepted', undefined, {
        reason: { kind: 'classified_unit' },
        confirmedWithMember: true,
      }),
    ];
    // Each fixture that changed state has a notification job waiting (seq 2): real job ids.
    const jobIds = fixtures.filter((f) => f.state !== 'accepted').map((f) => `${f.id}-n2`);
    const w: World2 = { fixtures, jobIds };
    const before = await snapshot(
      gw,
      fixtures.map((f) => f.id),
    );
    const port = portOf(gw.url);
    const acted = new Set<string>();
    const kinds = new Map<string, number>();
    const ok2xx = new Map<string, number>();

    await pool(cases, async (c, i) => {
      const b = build(c, w, port);
      const res = await send({ port }, b.req);
      report.count(res, b.req);
      const what =
        c.target.kind === 'route'
          ? `${c.method} ${ROUTES[c.target.route]!.name}`
          : c.target.kind === 'dashboard'
            ? `${c.method} dashboard`
            : `${c.method} random`;
      kinds.set(c.target.kind, (kinds.get(c.target.kind) ?? 0) + 1);
      if (res.status >= 200 && res.status < 300) ok2xx.set(what, (ok2xx.get(what) ?? 0) + 1);
      const issues = universalIssues(b.req, res, b.exempt);
      if (res.status !== 0 && b.expect && !b.expect.includes(res.status))
        issues.push(`expected ${b.expect.join(' or ')}, got ${res.status}`);
      else if (res.status >= 400 && b.codes && !b.exempt) {
        const code = problemCode(res);
        if (b.req.method !== 'HEAD' && (!code || !b.codes.includes(code)))
          issues.push(`code ${code}, expected ${b.codes.join(' or ')}`);
      }
      if (b.acts && res.status >= 200 && res.status < 300) acted.add(b.acts);
      if (res.status === 401 && !header(res, 'www-authenticate')) issues.push('401 without WWW-Authenticate');
      if (issues.length) report.fail({ index: i, what, issues, request: b.req, response: res });
    });

    // Only a cancel or retry that answered 2xx changed a transfer.
    const after = await snapshot(
      gw,
      fixtures.map((f) => f.id),
    );
    const changed = fixtures
      .filter((f) => {
        const x = before.get(f.id)!;
        const y = after.get(f.id)!;
        return (x.state !== y.state || x.version !== y.version) && !acted.has(f.id);
      })
      .map((f) => `${f.id} ${before.get(f.id)!.state} → ${after.get(f.id)!.state}`);
    // Leave the queues running for whoever shares this Redis prefix next (none do; tidy anyway).
    await Promise.all(Object.values(gw.producer.queues).map((queue) => queue.resume()));

    report.print();
    console.log(
      `routes: cases by kind ${JSON.stringify(Object.fromEntries(kinds))}; ${acted.size} fixtures cancelled or retried by a 2xx`,
    );
    console.log(
      `routes: 2xx by request ${JSON.stringify(Object.fromEntries([...ok2xx.entries()].sort((a, b) => b[1] - a[1])))}`,
    );
    if (changed.length)
      console.log(`routes: fixtures changed without a 2xx cancel or retry:\n${changed.join('\n')}`);
    const errors = errorLogLines(gw.logs);
    if (errors.length) console.log(`routes: error log lines:\n${errors.slice(0, 10).join('\n')}`);

    expect(report.requests).toBe(RUNS);
    report.assertClean();
    expect(changed, 'transfers changed by requests that were refused').toEqual([]);
    expect(report.statusOf(200), 'too few requests got through to mean anything').toBeGreaterThan(RUNS / 10);
    expect(errors, 'the gateway logged at level error or fatal').toEqual([]);
  });
});
