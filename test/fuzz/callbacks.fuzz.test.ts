/**
 * Fuzz: POST /v1/callbacks/{target}. Each generated callback names a transfer of some target in some
 * state (every target × every state × the partner facts it may already hold), or one that does not
 * exist, and varies the path, the signature (valid, several, wrong secret, another partner's, stale,
 * future, tampered, malformed), the bytes (JSON, BOM, not JSON, not UTF-8, empty, too large, bad
 * Content-Encoding, charset), the envelope and each partner's own data fields.
 *
 * A model of the route (its checks in order, then src/usecases/apply-partner-event.ts's rules) says
 * what each callback must answer and whether it changes the transfer:
 * - callbacks that change nothing go to long-lived fixtures, whose state and version must be exactly
 *   as they were after the whole run;
 * - callbacks that apply go each to a throwaway transfer in the named state, and the resulting state,
 *   version and recorded facts are checked against the rules; some are then replayed, or their
 *   webhook-id reused for another transfer, which must change nothing.
 * Nothing may answer 5xx, every 4xx is problem+json, nothing is logged at level error or fatal.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from '../../src/domain/ids.js';
import { STATES, type TransferState } from '../../src/domain/transfer.js';
import { TARGETS, type BuiltInTarget as Target } from '../helpers/partners.js';
import { signWebhook } from '../../src/webhooks/standard-webhooks.js';
import { startTestGateway, type TestGateway, callbackSecret } from '../helpers/gateway.js';
import {
  announce,
  errorLogLines,
  fixtureMatrix,
  flagVariants,
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
  type Flags,
  type RawRequest,
} from './support.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The callback types each adapter parses (adapters/<target>/index.ts parseCallback). */
const SUPPORTED: Readonly<Record<Target, readonly string[]>> = {
  national: ['transfer.approved', 'transfer.rejected', 'transfer.expired', 'member.account_created'],
  guangdong: ['transfer.approved', 'transfer.rejected', 'member.local_report_completed'],
  fujian: ['transfer.approved', 'transfer.rejected', 'transfer.expired', 'member.local_report_completed'],
};
const KNOWN_TYPES = [
  'transfer.approved',
  'transfer.rejected',
  'transfer.expired',
  'member.account_created',
  'member.local_report_completed',
];
type Word = 'approved' | 'rejected' | 'expired' | 'account_created' | 'local_report_completed';
const WORD: Record<string, Word> = {
  'transfer.approved': 'approved',
  'transfer.rejected': 'rejected',
  'transfer.expired': 'expired',
  'member.account_created': 'account_created',
  'member.local_report_completed': 'local_report_completed',
};

// --- the rules, restated from src/usecases/apply-partner-event.ts -------------------------------

interface Rule {
  from: readonly TransferState[];
  to?: TransferState;
  once?: keyof Flags;
}

function ruleFor(target: Target, word: Word): Rule | null {
  const local = target !== 'national';
  switch (word) {
    case 'approved':
      return local
        ? { from: ['accepted', 'awaiting_local_report'], to: 'awaiting_local_report', once: 'approved' }
        : { from: ['accepted', 'submitted'], to: 'completed', once: 'approved' };
    case 'rejected':
      return { from: ['accepted', 'submitted', 'awaiting_local_report'], to: 'rejected' };
    case 'expired':
      return { from: ['accepted', 'submitted', 'awaiting_local_report'], to: 'expired' };
    case 'account_created':
      return local ? null : { from: ['accepted', 'submitted', 'completed'], once: 'accountCreated' };
    case 'local_report_completed':
      return local ? { from: ['accepted', 'awaiting_local_report'], to: 'completed' } : null;
  }
}

type Outcome =
  | { status: 204; change: false }
  | { status: 204; change: true; to: TransferState }
  | { status: 409; change: false };

function applyOutcome(target: Target, state: TransferState, flags: Flags, word: Word): Outcome {
  const rule = ruleFor(target, word);
  if (!rule) return { status: 409, change: false };
  if (!rule.from.includes(state))
    return rule.to === state ? { status: 204, change: false } : { status: 409, change: false };
  if (rule.once && flags[rule.once]) return { status: 204, change: false };
  return { status: 204, change: true, to: rule.to ?? state };
}

// --- generated cases ---------------------------------------------------------------------------

type PathKind =
  | { kind: 'plain' }
  | { kind: 'encoded' }
  | { kind: 'unknown'; segment: string }
  | { kind: 'malformed'; segment: string };

type Subject =
  | { kind: 'transfer'; target: Target; state: TransferState; flags: Flags }
  | { kind: 'missing' }
  | { kind: 'bad'; id: string };

type Sig =
  | 'valid'
  | 'multi'
  | 'none'
  | 'no-id'
  | 'no-ts'
  | 'no-sig'
  | 'empty-sig'
  | 'wrong-secret'
  | 'other-target'
  | 'tampered'
  | 'old'
  | 'future'
  | 'ts-ms'
  | 'ts-text'
  | 'v2'
  | 'not-base64'
  | 'short'
  | 'id-swapped';

type TimeValue = { v: Json; problem?: 'format' | 'impossible' };

interface Extras {
  /** Partner-specific fields of `data`, each with whether it breaks the adapter's schema. */
  fields: Record<string, TimeValue>;
}

interface CallbackCase {
  path: PathKind;
  target: Target;
  subject: Subject;
  type: Json;
  transferId: { kind: 'subject' } | { kind: 'override'; v: Json | undefined };
  partnerRef: { v: Json | undefined; bad: boolean };
  reason: { v: Json | undefined; bad: boolean };
  extras: Extras;
  envelope:
    | 'ok'
    | 'no-type'
    | 'no-data'
    | 'data-array'
    | 'data-string'
    | 'data-null'
    | 'array'
    | 'string'
    | 'extra-top';
  bytes: 'json' | 'bom' | 'pretty' | 'not-json' | 'invalid-utf8' | 'empty';
  contentType: { v: string | null; badCharset: boolean };
  encoding: 'none' | 'unsupported' | 'bogus';
  oversize: boolean;
  sig: Sig;
  webhookId: string;
  followUp?: 'replay' | 'reuse-id';
  extraHeaders: [string, string][];
}

const VALID_SIG: fc.Arbitrary<Sig> = fc.constantFrom<Sig>('valid', 'valid', 'valid', 'multi');
const BAD_SIG: fc.Arbitrary<Sig> = fc.constantFrom<Sig>(
  'none',
  'no-id',
  'no-ts',
  'no-sig',
  'empty-sig',
  'wrong-secret',
  'other-target',
  'tampered',
  'old',
  'future',
  'ts-ms',
  'ts-text',
  'v2',
  'not-base64',
  'short',
  'id-swapped',
);

const flagsArb = (target: Target) => fc.constantFrom(...flagVariants(target));

const subjectArb = (target: Target, mismatch: boolean): fc.Arbitrary<Subject> =>
  fc.oneof(
    {
      weight: 20,
      arbitrary: fc
        .tuple(
          mismatch ? fc.constantFrom(...TARGETS.filter((t) => t !== target)) : fc.constant(target),
          fc.constantFrom(...STATES),
        )
        .chain(([t, state]) =>
          flagsArb(t).map((flags): Subject => ({ kind: 'transfer', target: t, state, flags })),
        ),
    },
    { weight: 1, arbitrary: fc.constant<Subject>({ kind: 'missing' }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            'trf_123',
            'TRF_01J0000000000000000000000',
            `trf_${'0'.repeat(25)}`,
            `trf_${'I'.repeat(26)}`,
            'x',
            ' trf_01J',
            '../../etc',
          ),
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.constant(`trf_${'A'.repeat(5000)}`),
        )
        .map((id): Subject => ({ kind: 'bad', id })),
    },
  );

const gdTime = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d): TimeValue => ({
        v: new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 19).replace('T', ' '),
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Json>('2024/05/01 10:00:00', '2024-05-01T10:00:00', 'yesterday', 20240501, '', null)
      .map((v): TimeValue => ({ v, problem: 'format' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '2024-13-01 00:00:00',
        '2024-01-01 25:00:00',
        '2024-01-32 10:00:00',
        '2024-00-10 10:00:00',
        '2024-05-01 10:61:00',
      )
      .map((v): TimeValue => ({ v, problem: 'impossible' })),
  },
);
const fjTime = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d): TimeValue => ({
        v: new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 19).replace(/[-T:]/g, ''),
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Json>('2024', '2024-05-01', 'abcdefghijklmn', 20240501100000, '', null)
      .map((v): TimeValue => ({ v, problem: 'format' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('20241301000000', '20240101250000', '20240132100000', '20240001100000', '20240501106100')
      .map((v): TimeValue => ({ v, problem: 'impossible' })),
  },
);
const isoTime = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d): TimeValue => ({ v: d.toISOString() })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Json>(
        '2024-05-01 10:00:00',
        '2024-13-01T00:00:00Z',
        '2024-02-30T00:00:00Z',
        'yesterday',
        12345,
        '2024-05-01T10:00:00+08:00',
        '',
        null,
      )
      .map((v): TimeValue => ({ v, problem: 'format' })),
  },
);

function extrasArb(target: Target): fc.Arbitrary<Extras> {
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 2, nil: undefined });
  const build = (o: Record<string, TimeValue | undefined>): Extras => ({
    fields: Object.fromEntries(Object.entries(o).filter((e): e is [string, TimeValue] => e[1] !== undefined)),
  });
  switch (target) {
    case 'national':
      return fc
        .record({
          decidedAt: opt(isoTime),
          toOrgFullName: opt(
            fc.oneof(
              { weight: 4, arbitrary: fc.string().map((v): TimeValue => ({ v })) },
              {
                weight: 1,
                arbitrary: fc
                  .constantFrom<Json>(5, null, [])
                  .map((v): TimeValue => ({ v, problem: 'format' })),
              },
            ),
          ),
        })
        .map(build);
    case 'guangdong':
      return fc
        .record({
          applyStatus: opt(
            fc.oneof(
              { weight: 4, arbitrary: fc.integer({ min: -2, max: 9 }).map((v): TimeValue => ({ v })) },
              {
                weight: 1,
                arbitrary: fc
                  .constantFrom<Json>(1.5, '1', null)
                  .map((v): TimeValue => ({ v, problem: 'format' })),
              },
            ),
          ),
          auditTime: opt(gdTime),
          reportTime: opt(gdTime),
        })
        .map((r) =>
          // Only the time the adapter reads (reportTime, else auditTime) may be impossible: the other is never parsed.
          r.reportTime && r.auditTime?.problem === 'impossible'
            ? build({ ...r, auditTime: undefined })
            : build(r),
        );
    case 'fujian':
      return fc
        .record({
          zt: opt(
            fc.oneof(
              {
                weight: 4,
                arbitrary: fc.constantFrom('0', '1', '2', '3', '4', 'x').map((v): TimeValue => ({ v })),
              },
              {
                weight: 1,
                arbitrary: fc.constantFrom<Json>(3, null).map((v): TimeValue => ({ v, problem: 'format' })),
              },
            ),
          ),
          clsj: opt(fjTime),
        })
        .map(build);
  }
}

const textish = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.constantFrom('GD-2024-0001', '审核通过', '材料不全，请补充', 'N-1'),
);

function caseArb(profile: 'valid' | 'one-bad' | 'combo'): fc.Arbitrary<CallbackCase> {
  return fc.constantFrom(...TARGETS).chain((target) => {
    const mix = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, weightBad: number) =>
      profile === 'valid'
        ? good
        : fc.oneof({ weight: 12, arbitrary: good }, { weight: weightBad, arbitrary: bad });
    return fc
      .record({
        path: mix(
          fc.oneof(
            { weight: 9, arbitrary: fc.constant<PathKind>({ kind: 'plain' }) },
            { weight: 1, arbitrary: fc.constant<PathKind>({ kind: 'encoded' }) },
          ),
          fc.oneof(
            fc
              .constantFrom(
                'mars',
                'National',
                'NATIONAL',
                `${target}%20`,
                `${target}.json`,
                '%00national',
                'beijing',
                `${target}/x`,
                '',
              )
              .map((segment): PathKind => ({ kind: 'unknown', segment })),
            fc
              .constantFrom('%E4%B8', '%zz', 'nat%ional', '%', `${target}%C0`)
              .map((segment): PathKind => ({ kind: 'malformed', segment })),
          ),
          1,
        ),
        subject: mix(subjectArb(target, false), subjectArb(target, true), 2),
        type: mix(
          fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom<Json>(...SUPPORTED[target]) },
            { weight: 1, arbitrary: fc.constantFrom<Json>(...KNOWN_TYPES) },
          ),
          fc.oneof(
            fc.constantFrom<Json>(
              'transfer.unknown',
              'TRANSFER.APPROVED',
              'approved',
              ' transfer.approved',
              'transfer.approved\u0000',
            ),
            fc.constantFrom<Json>('', 5, null, [], {}),
          ),
          2,
        ),
        transferId: mix(
          fc.constant<CallbackCase['transferId']>({ kind: 'subject' }),
          fc
            .constantFrom<Json | undefined>(undefined, '', 5, null, ['trf_x'], {})
            .map((v): CallbackCase['transferId'] => ({ kind: 'override', v })),
          1,
        ),
        partnerRef: mix(
          fc
            .option(textish, { nil: undefined })
            .map((v): { v: Json | undefined; bad: boolean } => ({ v, bad: false })),
          fc.constantFrom<Json>('', 5, null, false, {}).map((v) => ({ v, bad: true })),
          1,
        ),
        reason: mix(
          fc
            .option(fc.oneof(textish, fc.constant('')), { nil: undefined })
            .map((v): { v: Json | undefined; bad: boolean } => ({ v, bad: false })),
          fc.constantFrom<Json>(5, null, [], { text: 'x' }).map((v) => ({ v, bad: true })),
          1,
        ),
        extras: extrasArb(target),
        envelope: mix(
          fc.constantFrom<CallbackCase['envelope']>('ok', 'ok', 'ok', 'extra-top'),
          fc.constantFrom<CallbackCase['envelope']>(
            'no-type',
            'no-data',
            'data-array',
            'data-string',
            'data-null',
            'array',
            'string',
          ),
          1,
        ),
        bytes: mix(
          fc.constantFrom<CallbackCase['bytes']>('json', 'json', 'json', 'bom', 'pretty'),
          fc.constantFrom<CallbackCase['bytes']>('not-json', 'invalid-utf8', 'empty'),
          1,
        ),
        contentType: mix(
          fc
            .constantFrom<string | null>(
              'application/json',
              'application/json',
              'application/json; charset=utf-8',
              null,
              'text/plain',
              'application/webhook+json',
            )
            .map((v) => ({ v, badCharset: false })),
          fc
            .constantFrom(
              'application/json; charset=latin1',
              'application/json; charset=utf-16',
              'text/plain; charset=gbk',
            )
            .map((v) => ({ v, badCharset: true })),
          1,
        ),
        encoding: mix(
          fc.constant<CallbackCase['encoding']>('none'),
          fc.constantFrom<CallbackCase['encoding']>('unsupported', 'bogus'),
          1,
        ),
        oversize: mix(fc.constant(false), fc.constant(true), 1),
        sig: mix(VALID_SIG, BAD_SIG, 4),
        webhookId: fc.oneof(
          { weight: 8, arbitrary: fc.constant('') },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              'msg with spaces',
              'msg_\u00e9\u00e8',
              'x'.repeat(900),
              'msg_2QZ7',
              '../../msg',
              'msg:1:2',
            ),
          },
        ),
        followUp: fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom<'replay' | 'reuse-id'>('replay', 'reuse-id') },
        ),
        extraHeaders: fc.subarray<[string, string]>([
          ['User-Agent', 'partner-sim/1.0'],
          ['X-Request-Id', 'cb-fuzz'],
          ['Accept', '*/*'],
          ['Authorization', 'Bearer nonsense'],
          ['Idempotency-Key', 'irrelevant'],
        ]),
      })
      .map((r) => ({ ...r, target, followUp: r.followUp }));
  });
}

/** One dimension broken at a time, or several, or none. */
const callbackCase: fc.Arbitrary<CallbackCase> = fc.oneof(
  { weight: 45, arbitrary: caseArb('valid') },
  { weight: 40, arbitrary: caseArb('one-bad') },
  { weight: 15, arbitrary: caseArb('combo') },
);

// --- the model: what a case must answer ---------------------------------------------------------

interface Prediction {
  /** Statuses of the checks that fail before the adapter looks at the type, in route order. */
  early: { status: number; codes: string[]; why: string }[];
  /** With no early failure: the answer. */
  final?: { status: number; codes: string[]; why: string; change?: TransferState };
}

function envelopeProblems(c: CallbackCase): string | null {
  if (c.envelope !== 'ok' && c.envelope !== 'extra-top') return `envelope ${c.envelope}`;
  if (typeof c.type !== 'string' || c.type === '') return 'type not a string';
  if (c.transferId.kind === 'override') {
    const v = c.transferId.v;
    if (typeof v !== 'string' || v === '') return 'transferId not a string';
  }
  if (c.partnerRef.bad) return 'partnerRef not a non-empty string';
  if (c.reason.bad) return 'reason not a string';
  return null;
}

function predict(c: CallbackCase): Prediction {
  const early: Prediction['early'] = [];
  if (c.path.kind === 'malformed') early.push({ status: 400, codes: ['MALFORMED_PATH'], why: 'path' });
  // Content-Length is always sent, so even an empty body is one to decode (an empty gzip does not inflate).
  if (c.encoding === 'unsupported')
    early.push({ status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'], why: 'encoding' });
  if (c.encoding === 'bogus') early.push({ status: 400, codes: ['MALFORMED_BODY'], why: 'inflate' });
  if (c.oversize) early.push({ status: 413, codes: ['PAYLOAD_TOO_LARGE'], why: 'size' });
  if (c.path.kind === 'unknown')
    early.push({ status: 404, codes: ['UNKNOWN_TARGET', 'NOT_FOUND'], why: 'target' });
  if (c.sig !== 'valid' && c.sig !== 'multi')
    early.push({ status: 401, codes: ['INVALID_SIGNATURE'], why: `signature ${c.sig}` });
  if (c.contentType.badCharset)
    early.push({ status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'], why: 'charset' });
  if (c.bytes === 'invalid-utf8')
    early.push({ status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'], why: 'utf-8' });
  if (c.bytes === 'not-json' || c.bytes === 'empty')
    early.push({ status: 400, codes: ['MALFORMED_CALLBACK'], why: 'json' });
  const env = envelopeProblems(c);
  if (env && c.bytes !== 'not-json' && c.bytes !== 'empty')
    early.push({ status: 400, codes: ['MALFORMED_CALLBACK'], why: env });
  if (early.length) return { early };
  if (!SUPPORTED[c.target].includes(c.type as string))
    return { early, final: { status: 204, codes: [], why: 'unsupported type' } };
  const extraProblem = Object.entries(c.extras.fields).find(([, f]) => f.problem);
  if (extraProblem)
    return {
      early,
      final: {
        status: 400,
        codes: ['MALFORMED_CALLBACK'],
        why: `${extraProblem[0]} ${extraProblem[1].problem}`,
      },
    };
  const s = c.subject;
  if (s.kind !== 'transfer' || s.target !== c.target || c.transferId.kind === 'override')
    return { early, final: { status: 404, codes: ['UNKNOWN_TRANSFER'], why: 'unknown transfer' } };
  const o = applyOutcome(c.target, s.state, s.flags, WORD[c.type as string]!);
  if (o.status === 409)
    return {
      early,
      final: { status: 409, codes: ['INVALID_TRANSITION'], why: `${c.type as string} on ${s.state}` },
    };
  return {
    early,
    final: {
      status: 204,
      codes: [],
      why: o.change ? 'applies' : 'already applied',
      ...(o.change ? { change: o.to } : {}),
    },
  };
}

// --- from a case to bytes -----------------------------------------------------------------------

interface Secrets {
  of: Record<Target, string>;
}

function payloadOf(c: CallbackCase, subjectId: string): Json {
  const data: { [k: string]: Json } = {};
  if (c.transferId.kind === 'subject') data.transferId = subjectId;
  else if (c.transferId.v !== undefined) data.transferId = c.transferId.v;
  if (c.partnerRef.v !== undefined) data.partnerRef = c.partnerRef.v;
  if (c.reason.v !== undefined) data.reason = c.reason.v;
  for (const [k, f] of Object.entries(c.extras.fields)) data[k] = f.v;
  switch (c.envelope) {
    case 'ok':
      return { type: c.type, data };
    case 'extra-top':
      return { id: 'evt_1', type: c.type, timestamp: new Date().toISOString(), data };
    case 'no-type':
      return { data };
    case 'no-data':
      return { type: c.type };
    case 'data-array':
      return { type: c.type, data: [data] };
    case 'data-string':
      return { type: c.type, data: JSON.stringify(data) };
    case 'data-null':
      return { type: c.type, data: null };
    case 'array':
      return [{ type: c.type, data }];
    case 'string':
      return JSON.stringify({ type: c.type, data });
  }
}

function bodyBytes(c: CallbackCase, subjectId: string): Buffer {
  const payload = payloadOf(c, subjectId);
  let bytes: Buffer;
  switch (c.bytes) {
    case 'json':
      bytes = Buffer.from(JSON.stringify(payload));
      break;
    case 'pretty':
      bytes = Buffer.from(JSON.stringify(payload, null, 2));
      break;
    case 'bom':
      bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(payload))]);
      break;
    case 'not-json': {
      const s = JSON.stringify(payload);
      bytes = Buffer.from(`${s.slice(0, Math.max(1, Math.floor(s.length / 2)))}`);
      break;
    }
    case 'invalid-utf8': {
      const s = Buffer.from(JSON.stringify(payload));
      const q = s.indexOf(0x22);
      bytes = Buffer.concat([s.subarray(0, q + 1), Buffer.from([0xc3, 0x28, 0xff]), s.subarray(q + 1)]);
      break;
    }
    case 'empty':
      bytes = Buffer.alloc(0);
      break;
  }
  if (c.oversize) bytes = Buffer.concat([bytes, Buffer.alloc(65_537 - Math.min(bytes.length, 65_536), 0x20)]);
  return bytes;
}

const wrongSecret = `whsec_${randomBytes(24).toString('base64')}`;

function requestOf(c: CallbackCase, subjectId: string, webhookId: string, secrets: Secrets): RawRequest {
  const segment =
    c.path.kind === 'plain'
      ? c.target
      : c.path.kind === 'encoded'
        ? c.target.replace(/^(.)/, (ch) => `%${ch.charCodeAt(0).toString(16)}`)
        : c.path.segment;
  const body = bodyBytes(c, subjectId);
  const now = Math.floor(Date.now() / 1000);
  const secret =
    c.sig === 'wrong-secret'
      ? wrongSecret
      : c.sig === 'other-target'
        ? secrets.of[TARGETS.find((t) => t !== c.target)!]
        : secrets.of[c.target];
  const ts = c.sig === 'old' ? now - 400 : c.sig === 'future' ? now + 400 : now;
  const signed = c.sig === 'tampered' ? Buffer.concat([body, Buffer.from(' ')]) : body;
  const sig = signWebhook({
    secret,
    id: c.sig === 'id-swapped' ? `${webhookId}x` : webhookId,
    timestamp: ts,
    body: signed,
  });
  const headers: [string, string][] = [];
  if (c.contentType.v !== null) headers.push(['Content-Type', c.contentType.v]);
  if (c.sig !== 'none' && c.sig !== 'no-id') headers.push(['webhook-id', webhookId]);
  if (c.sig !== 'none' && c.sig !== 'no-ts')
    headers.push([
      'webhook-timestamp',
      c.sig === 'ts-ms' ? String(ts * 1000) : c.sig === 'ts-text' ? 'now' : String(ts),
    ]);
  const sigValue: Partial<Record<Sig, string>> = {
    multi: `v1,${Buffer.alloc(32).toString('base64')} v1a,zzz ${sig}`,
    'empty-sig': '',
    v2: sig.replace(/^v1,/, 'v2,'),
    'not-base64': 'v1,###not-base64###',
    short: `v1,${Buffer.from(sig.slice(3), 'base64').subarray(0, 16).toString('base64')}`,
  };
  if (c.sig !== 'none' && c.sig !== 'no-sig') headers.push(['webhook-signature', sigValue[c.sig] ?? sig]);
  if (c.encoding !== 'none')
    headers.push(['Content-Encoding', c.encoding === 'unsupported' ? 'compress' : 'gzip']);
  headers.push(...c.extraHeaders);
  const sent =
    c.encoding === 'bogus' && body.length > 0
      ? Buffer.concat([body.subarray(0, 1), gzipSync(body).subarray(1, 6), body])
      : body;
  return {
    method: 'POST',
    path: `/v1/callbacks/${segment}`,
    headers,
    ...(sent.length ? { body: sent } : {}),
  };
}

// --- the run -----------------------------------------------------------------------------------

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ ROLE: 'api', LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await gw?.close();
});

const key = (t: Target, s: TransferState, f: Flags) =>
  `${t}|${s}|${f.approved ? 'a' : ''}${f.accountCreated ? 'c' : ''}`;

describe('fuzz: POST /v1/callbacks/{target}', () => {
  it(`answers ${RUNS} generated callbacks as the rules say, and only valid ones change anything`, async () => {
    announce('callbacks');
    const report = new Report('callbacks');
    const secrets: Secrets = {
      of: {
        national: callbackSecret(gw, 'national'),
        guangdong: callbackSecret(gw, 'guangdong'),
        fujian: callbackSecret(gw, 'fujian'),
      },
    };
    const cases = fc.sample(callbackCase, { seed: SEED + 1, numRuns: RUNS });
    const predictions = cases.map(predict);

    // Long-lived fixtures for everything that must change nothing; a throwaway per callback that applies.
    const fixtures = await fixtureMatrix(gw, 2);
    const fixtureOf = new Map<string, Fixture[]>();
    for (const f of fixtures)
      fixtureOf.set(key(f.target, f.state, f.flags), [
        ...(fixtureOf.get(key(f.target, f.state, f.flags)) ?? []),
        f,
      ]);
    const throwawaySpecs: { i: number; role: 'main' | 'reuse'; t: Target; s: TransferState; f: Flags }[] = [];
    cases.forEach((c, i) => {
      const s = c.subject;
      if (s.kind !== 'transfer' || !predictions[i]!.final?.change) return;
      throwawaySpecs.push({ i, role: 'main', t: s.target, s: s.state, f: s.flags });
      if (c.followUp === 'reuse-id')
        throwawaySpecs.push({ i, role: 'reuse', t: s.target, s: s.state, f: s.flags });
    });
    const throwaway = new Map<string, Fixture>();
    await pool(throwawaySpecs, async (spec) => {
      throwaway.set(`${spec.i}:${spec.role}`, await makeFixture(gw, spec.t, spec.s, spec.f));
    });
    const fixtureIds = fixtures.map((f) => f.id);
    const throwawayIds = [...throwaway.values()].map((f) => f.id);
    const fixturesBefore = await snapshot(gw, fixtureIds);
    const throwawayBefore = await snapshot(gw, throwawayIds);
    const missingId = () => `trf_${ulid(Date.now())}`;
    console.log(
      `callbacks: ${fixtures.length} fixtures (every target × state × partner facts, twice), ${throwaway.size} throwaway transfers`,
    );

    const to = { port: portOf(gw.url) };
    const seen = new Map<string, number>();
    let applied = 0;
    await pool(cases, async (c, i) => {
      const p = predictions[i]!;
      const s = c.subject;
      let subjectId: string;
      if (s.kind === 'missing') subjectId = missingId();
      else if (s.kind === 'bad') subjectId = s.id;
      else if (p.final?.change) subjectId = throwaway.get(`${i}:main`)!.id;
      else {
        const list = fixtureOf.get(key(s.target, s.state, s.flags))!;
        subjectId = list[i % list.length]!.id;
      }
      const webhookId = c.webhookId ? `${c.webhookId}_${i}` : `msg_${SEED}_${i}`;
      const req = requestOf(c, subjectId, webhookId, secrets);
      const res = await send(to, req);
      report.count(res);
      const issues = universalIssues(req, res);
      const code = problemCode(res);
      const label = p.early.length
        ? `early: ${p.early.map((e) => e.why.split(' ')[0]).join('+')}`
        : `final: ${p.final!.why}`;
      seen.set(label, (seen.get(label) ?? 0) + 1);
      if (res.status !== 0) {
        if (p.early.length) {
          const allowed = p.early.map((e) => e.status);
          if (!allowed.includes(res.status))
            issues.push(
              `expected ${allowed.join(' or ')} (${p.early.map((e) => e.why).join(', ')}), got ${res.status}`,
            );
          else if (p.early.length === 1 && code && !p.early[0]!.codes.includes(code))
            issues.push(`code ${code}, expected ${p.early[0]!.codes.join(' or ')}`);
        } else {
          const f = p.final!;
          if (res.status !== f.status) issues.push(`expected ${f.status} (${f.why}), got ${res.status}`);
          else if (f.codes.length && code && !f.codes.includes(code))
            issues.push(`code ${code}, expected ${f.codes.join(' or ')}`);
        }
      }
      // A callback that applies: the throwaway moved exactly as the rules say.
      const change = p.final?.change;
      if (change && s.kind === 'transfer' && res.status === 204) {
        const before = throwawayBefore.get(subjectId)!;
        const t = (await gw.store.get(subjectId))!;
        if (t.state !== change || t.version !== before.version + 1)
          issues.push(
            `applied: ${before.state} v${before.version} → ${t.state} v${t.version}, expected ${change} v${before.version + 1}`,
          );
        const word = WORD[c.type as string]!;
        if (typeof c.partnerRef.v === 'string' && t.facts.partnerRef !== c.partnerRef.v)
          issues.push(`partnerRef ${t.facts.partnerRef} not recorded`);
        if (word === 'account_created' && !t.facts.nationalAccountCreated)
          issues.push('account creation not recorded');
        if (word === 'approved' && !t.facts.partnerApprovedAt) issues.push('approval not recorded');
        if (word === 'local_report_completed' && t.facts.localReport?.status !== 'completed')
          issues.push('local report not recorded as completed');
        if (
          word === 'rejected' &&
          typeof c.reason.v === 'string' &&
          c.reason.v !== '' &&
          t.facts.rejectionReason !== c.reason.v
        )
          issues.push('rejection reason not recorded');
        if (change === 'awaiting_local_report' && !t.facts.localReport)
          issues.push('awaiting a local report with no due date');
        applied += 1;
        // The same callback again, or its webhook-id on another transfer: nothing more happens.
        if (c.followUp) {
          const other = c.followUp === 'reuse-id' ? throwaway.get(`${i}:reuse`)! : null;
          const again = requestOf(c, other ? other.id : subjectId, webhookId, secrets);
          const res2 = await send(to, again);
          report.count(res2);
          const issues2 = universalIssues(again, res2);
          if (res2.status !== 204) issues2.push(`${c.followUp} answered ${res2.status}, expected 204`);
          const id2 = other ? other.id : subjectId;
          const after = (await gw.store.get(id2))!;
          const expected = other ? throwawayBefore.get(other.id)! : { state: t.state, version: t.version };
          if (after.state !== expected.state || after.version !== expected.version)
            issues2.push(
              `${c.followUp} changed ${id2}: ${expected.state} v${expected.version} → ${after.state} v${after.version}`,
            );
          if (issues2.length)
            report.fail({ index: i, what: c.followUp, issues: issues2, request: again, response: res2 });
        }
      }
      if (issues.length) report.fail({ index: i, what: label, issues, request: req, response: res });
    });

    // Nothing sent to a fixture changed it.
    const fixturesAfter = await snapshot(gw, fixtureIds);
    const changed: string[] = [];
    for (const f of fixtures) {
      const b = fixturesBefore.get(f.id)!;
      const a = fixturesAfter.get(f.id)!;
      if (a.state !== b.state || a.version !== b.version) {
        const t = await gw.store.get(f.id);
        changed.push(
          `${f.id} (${f.target} ${b.state} v${b.version} → ${a.state} v${a.version}; last events ${JSON.stringify(t?.events.slice(-2))})`,
        );
      }
    }
    report.print();
    console.log(
      `callbacks: outcomes predicted ${JSON.stringify(Object.fromEntries([...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)))}`,
    );
    console.log(`callbacks: ${applied} applied to throwaways, ${fixtures.length} fixtures checked unchanged`);
    if (changed.length)
      console.log(
        `callbacks: fixtures changed by callbacks that should change nothing:\n${changed.slice(0, 10).join('\n')}`,
      );
    const errors = errorLogLines(gw.logs);
    if (errors.length) console.log(`callbacks: error log lines:\n${errors.slice(0, 10).join('\n')}`);

    expect(report.requests).toBeGreaterThanOrEqual(RUNS);
    report.assertClean();
    expect(changed, 'fixtures changed by callbacks that must change nothing').toEqual([]);
    expect(applied, 'too few callbacks applied to mean anything').toBeGreaterThan(RUNS / 20);
    expect(errors, 'the gateway logged at level error or fatal').toEqual([]);
  });
});
