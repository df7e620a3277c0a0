/**
 * Hainan's league system (海南共青团, a partner that lives in the tests) wire contract, shared by the
 * adapter and its simulator.
 *
 * Transport: every call is `POST <path>` with an `application/x-www-form-urlencoded; charset=utf-8`
 * body (UTF-8, keys and values RFC 3986 percent-encoded; `+` is also read as a space). One path per
 * operation, under /hnqn/v3 (see PATHS). Every body carries three fields besides the operation's own:
 *   ak     the access key                    ts     Unix time in seconds (±120 s of the partner's clock)
 *   nonce  16–40 of [0-9a-z], never reused within the clock window
 * A field may appear once only.
 *
 * Signature (OAuth-1.0a-style base string, HMAC-SHA256, base64), in the header
 * `X-HN-Signature: v1=<base64 HMAC-SHA256(secretKey, BASE)>`, where
 *   BASE  = "POST" & enc(PATH) & enc(PARAMS)
 *   PARAMS = every form field as enc(key)=enc(value), sorted by encoded key then encoded value, joined by &
 *   enc   = RFC 3986 percent-encoding (unreserved A-Z a-z 0-9 - . _ ~ left alone)
 * Refusals come in this order: unknown `ak` (AUTH.KEY), clock (AUTH.CLOCK), nonce (AUTH.REPLAY),
 * signature (AUTH.SIGNATURE).
 *
 * Answers: HTTP 200 with JSON, `{"success": true, "result": {…}}` or
 * `{"success": false, "error": {"code": "ORG.NOT_FOUND", "message": "…", "ticket"?, "retryIn"?}}`;
 * ERRORS lists the codes and which are transient. 429 and 5xx come only from in front of it.
 *
 * Vocabulary: `serial` our transfer id (the idempotency key: resubmitting it answers APP.DUPLICATE with
 * the existing `ticket`), `ticket` the partner's application number, `state` one of WAITING, PASSED,
 * REFUSED, RECALLED, LAPSED; `remark` the reason of a refusal; `changed_at` Unix seconds of the latest
 * change. No local reporting: PASSED is the end. No "does this name exist" call: org search is a literal
 * substring match on the partner's exact names (no width, space or bracket folding), and a submission
 * whose `to_org_name` is not exactly one of its names is refused with ORG.NOT_FOUND. Withdrawal
 * (`chehui`) until the decision, never for ARMY or SECRET causes (`irrevocable=Y`).
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { encodeRfc3986 } from '../../../adapters/http.js';

export const PATHS = {
  submit: '/hnqn/v3/zhuanjie/tijiao',
  status: '/hnqn/v3/zhuanjie/chaxun',
  withdraw: '/hnqn/v3/zhuanjie/chehui',
  orgSearch: '/hnqn/v3/zuzhi/sousuo',
} as const;

export const SIGNATURE_HEADER = 'x-hn-signature';
export const MAX_CLOCK_SKEW_S = 120;
/** Most rows one org search answers. */
export const MAX_ROWS = 50;
export const PROVINCE = '46';

// --- Form bodies ----------------------------------------------------------------------------------
export type FormPairs = readonly (readonly [string, string])[];

export function formEncode(pairs: FormPairs): string {
  return pairs.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`).join('&');
}

/** The fields of a form body, or null when one is malformed or repeated. */
export function formDecode(raw: string): [string, string][] | null {
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  if (raw === '') return pairs;
  for (const part of raw.split('&')) {
    const i = part.indexOf('=');
    if (i < 1) return null;
    try {
      const decode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
      const [k, v] = [decode(part.slice(0, i)), decode(part.slice(i + 1))];
      if (seen.has(k)) return null;
      seen.add(k);
      pairs.push([k, v]);
    } catch {
      return null;
    }
  }
  return pairs;
}

// --- Signing --------------------------------------------------------------------------------------
export function baseString(path: string, pairs: FormPairs): string {
  const params = pairs
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return ['POST', encodeRfc3986(path), encodeRfc3986(params)].join('&');
}

/** The X-HN-Signature header value. */
export function sign(secretKey: string, path: string, pairs: FormPairs): string {
  return `v1=${createHmac('sha256', secretKey).update(baseString(path, pairs), 'utf8').digest('base64')}`;
}

// --- Answers and codes ----------------------------------------------------------------------------
export const ERRORS = {
  ARG_INVALID: 'ARG.INVALID',
  AUTH_KEY: 'AUTH.KEY',
  AUTH_CLOCK: 'AUTH.CLOCK',
  AUTH_REPLAY: 'AUTH.REPLAY',
  AUTH_SIGNATURE: 'AUTH.SIGNATURE',
  /** `ticket`: the application already held for this serial. */
  DUPLICATE: 'APP.DUPLICATE',
  ORG_NOT_FOUND: 'ORG.NOT_FOUND',
  /** A business refusal; `message` says why, e.g. 该团员已有进行中的转接申请. */
  REFUSED: 'APP.REFUSED',
  APP_NOT_FOUND: 'APP.NOT_FOUND',
  /** Withdrawal after the decision. */
  DECIDED: 'APP.DECIDED',
  /** Withdrawal of an ARMY or SECRET application. */
  IRREVOCABLE: 'APP.IRREVOCABLE',
  /** `retryIn`: seconds to wait. */
  THROTTLED: 'SYS.THROTTLED',
  BUSY: 'SYS.BUSY',
  FAULT: 'SYS.FAULT',
} as const;
export type ErrorName = keyof typeof ERRORS;

/** Codes worth retrying: auth problems are partner-wide (clock, rotated key), the rest transient. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  ERRORS.AUTH_KEY,
  ERRORS.AUTH_CLOCK,
  ERRORS.AUTH_REPLAY,
  ERRORS.AUTH_SIGNATURE,
  ERRORS.THROTTLED,
  ERRORS.BUSY,
  ERRORS.FAULT,
]);

export const errorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  ticket: z.string().min(1).optional(),
  retryIn: z.number().int().min(0).optional(),
});
export type WireError = z.infer<typeof errorSchema>;

export const answerSchema = z.discriminatedUnion('success', [
  z.object({ success: z.literal(true), result: z.unknown() }),
  z.object({ success: z.literal(false), error: errorSchema }),
]);
export type Answer = z.infer<typeof answerSchema>;

export const ok = (result: unknown): Answer => ({ success: true, result });
export const failure = (name: ErrorName, message: string, extra: Partial<WireError> = {}): Answer => ({
  success: false,
  error: { code: ERRORS[name], message, ...extra },
});

// --- Requests -------------------------------------------------------------------------------------
const text = z.string().min(1);
const ymd = z.string().regex(/^\d{8}$/);

/** Fields of every request. */
export const authFieldsSchema = z.object({
  ak: text,
  ts: z.string().regex(/^\d{1,12}$/),
  nonce: z.string().regex(/^[0-9a-z]{16,40}$/),
});

export const SCHOOL_KINDS = [
  'SENIOR_HIGH',
  'SECONDARY_VOCATIONAL',
  'UNDERGRADUATE',
  'HIGHER_VOCATIONAL',
] as const;
export const BASES = ['HUKOU', 'SHENGYUAN', 'JUZHUDI'] as const;
export const PURPOSES = ['LIUXUE', 'GONGPAI', 'SIREN'] as const;

/** 转出原因 (`cause`) and the `c_*` fields each needs. */
export const causeSchema = z.discriminatedUnion('cause', [
  z.object({
    cause: z.literal('STUDY'),
    c_school_kind: z.enum(SCHOOL_KINDS),
    c_school: text,
    c_school_addr: text,
  }),
  z.object({ cause: z.literal('JOB_ORG'), c_employer: text }),
  z.object({ cause: z.literal('JOB_NO_ORG'), c_employer: text, c_employer_addr: text }),
  z.object({ cause: z.literal('UNPLACED'), c_basis: z.enum(BASES), c_addr: text }),
  z.object({
    cause: z.literal('ABROAD'),
    c_purpose: z.enum(PURPOSES),
    c_country: text,
    c_leave: ymd,
    c_return: ymd.optional(),
    c_contact: text,
    c_contact_phone: text,
    c_contact_rel: text.optional(),
  }),
  z.object({ cause: z.literal('ARMY'), c_review_province: z.string().regex(/^\d{2}$/) }),
  z.object({ cause: z.literal('SECRET') }),
  z.object({ cause: z.literal('OTHER'), c_note: text }),
]);
export type WireCause = z.infer<typeof causeSchema>;

export const submitFieldsSchema = z.intersection(
  z.object({
    serial: text,
    bj_ref: text,
    name: text,
    id_card: z.string().regex(/^\d{17}[\dX]$/),
    phone: text.optional(),
    by: z.enum(['MEMBER', 'BRANCH']),
    branch: text.optional(),
    operator: text.optional(),
    from_org: text,
    from_org_name: text,
    to_province: z.literal(PROVINCE),
    to_org_name: text,
    to_org: text.optional(),
    irrevocable: z.enum(['Y', 'N']),
  }),
  causeSchema,
);
export type SubmitFields = z.infer<typeof submitFieldsSchema>;

export const statusFieldsSchema = z.object({ serial: text });
export const withdrawFieldsSchema = z.object({ serial: text, ticket: text });
export const searchFieldsSchema = z.object({
  province: z.string().regex(/^\d{2}$/),
  kw: text,
  rows: z.coerce.number().int().min(1).max(MAX_ROWS).default(20),
});

// --- Results --------------------------------------------------------------------------------------
export const STATES = ['WAITING', 'PASSED', 'REFUSED', 'RECALLED', 'LAPSED'] as const;
export type WireState = (typeof STATES)[number];

/** Unix seconds, bounded so that every value is a real time (up to 9999-12-31). */
const unixSeconds = z.number().int().min(0).max(253_402_300_799);

export const ticketSchema = z.object({ ticket: text });

export const statusSchema = z.object({
  ticket: text,
  serial: text,
  state: z.enum(STATES),
  remark: z.string().nullish(),
  changed_at: unixSeconds.nullish(),
});
export type WireStatus = z.infer<typeof statusSchema>;

export const searchResultSchema = z.object({
  orgs: z.array(z.object({ code: text, title: text, province: z.string() })),
  hits: z.number().int().min(0),
});

// --- Callbacks ------------------------------------------------------------------------------------
/** Hainan's own fields inside a callback's `data`. */
export const callbackDataSchema = z.object({
  state: z.enum(STATES).optional(),
  changed_at: unixSeconds.optional(),
});

// --- Time -----------------------------------------------------------------------------------------
export const toHnTime = (d: Date): number => Math.floor(d.getTime() / 1000);
export const fromHnTime = (s: number): string => new Date(s * 1000).toISOString();
