/**
 * Guangdong's league system (广东共青团) wire contract, shared by the adapter and its simulator.
 *
 * Every request is signed. Headers: `appId`, `timestamp` (epoch ms), `nonce` (32 hex, never reused
 * within 5 minutes), `sign` = lowercase hex HMAC-SHA256(appSecret, canonical string), where the
 * canonical string is these six lines joined by "\n":
 *
 *   METHOD            upper case, e.g. POST
 *   PATH              without the query, e.g. /open/api/v2/transfer/apply
 *   QUERY             k=v pairs, key and value RFC 3986 encoded, sorted by key then value, joined by &
 *   TIMESTAMP         as in the header
 *   NONCE             as in the header
 *   BODY_SHA256       lowercase hex SHA-256 of the raw body bytes (of "" when there is none)
 *
 * A timestamp more than 5 minutes off is refused. Answers are always HTTP 200 with
 * `{code, msg, data}`: code 0 is success; the table below lists the rest and which are transient.
 * Times are Beijing time (UTC+8) as `yyyy-MM-dd HH:mm:ss`. There is no "does this name exist" call:
 * an unknown org is discovered when apply answers 20002.
 */
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { isRealTimeDigits } from '../wire-time.js';

export const PATHS = {
  apply: '/open/api/v2/transfer/apply',
  query: '/open/api/v2/transfer/query',
  cancel: '/open/api/v2/transfer/cancel',
  orgSearch: '/open/api/v2/org/search',
} as const;

export const HEADERS = { appId: 'appid', timestamp: 'timestamp', nonce: 'nonce', sign: 'sign' } as const;
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

// --- Signing --------------------------------------------------------------------------------------
const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The QUERY line from raw (still encoded) `k=v&k=v` text, as the partner canonicalises it. */
export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const [k, v] = i === -1 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
      return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export interface SignInput {
  method: string;
  path: string;
  rawQuery: string;
  timestamp: string;
  nonce: string;
  body: string | Buffer;
}

export function canonicalString(i: SignInput): string {
  const bodyHash = createHash('sha256').update(i.body).digest('hex');
  return [i.method.toUpperCase(), i.path, canonicalQuery(i.rawQuery), i.timestamp, i.nonce, bodyHash].join(
    '\n',
  );
}

export function sign(appSecret: string, input: SignInput): string {
  return createHmac('sha256', appSecret).update(canonicalString(input), 'utf8').digest('hex');
}

// --- Envelope and codes ---------------------------------------------------------------------------
export const CODES = {
  OK: 0,
  PARAM_INVALID: 10001,
  SIGN_INVALID: 10002,
  TIMESTAMP_EXPIRED: 10003,
  NONCE_REUSED: 10004,
  APP_FORBIDDEN: 10005,
  DUPLICATE_REQUEST: 20001, // data: {applyNo} of the existing application
  ORG_NOT_FOUND: 20002,
  BUSINESS_REJECTED: 20003, // msg says why, e.g. 该团员已有进行中的转接申请
  APPLY_NOT_FOUND: 20004,
  ALREADY_AUDITED: 20005, // cannot cancel after the decision
  IRREVOCABLE: 20006, // 参军入伍 / 涉密单位
  FREQUENCY_LIMIT: 42901, // data: {retryAfter} seconds
  SYSTEM_BUSY: 50001,
  SYSTEM_ERROR: 50002,
} as const;
export type CodeName = keyof typeof CODES;

/** Codes worth retrying: signature/time problems are partner-wide (clock, rotated secret), the rest transient. */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([
  CODES.SIGN_INVALID,
  CODES.TIMESTAMP_EXPIRED,
  CODES.NONCE_REUSED,
  CODES.APP_FORBIDDEN,
  CODES.FREQUENCY_LIMIT,
  CODES.SYSTEM_BUSY,
  CODES.SYSTEM_ERROR,
]);

export const envelopeSchema = z.object({ code: z.number().int(), msg: z.string(), data: z.unknown() });
export type Envelope = z.infer<typeof envelopeSchema>;

export const envelope = (code: CodeName, msg: string, data: unknown = null): Envelope => ({
  code: CODES[code],
  msg,
  data,
});

export const applyNoSchema = z.object({ applyNo: z.string().min(1) });
export const rateLimitDataSchema = z.object({ retryAfter: z.number().int().min(0) });

// --- Requests -------------------------------------------------------------------------------------
const text = z.string().min(1);
const gdDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** 转出原因: 1 升学 … 8 其他, with Chinese labels where the partner wants labels. */
export const reasonSchema = z.discriminatedUnion('reasonType', [
  z.object({
    reasonType: z.literal(1),
    reasonInfo: z.object({
      schoolCategory: z.enum(['普通高中', '中等职业学校', '普通高校', '高等职业院校']),
      schoolName: text,
      schoolAddr: text,
    }),
  }),
  z.object({ reasonType: z.literal(2), reasonInfo: z.object({ employer: text }) }),
  z.object({ reasonType: z.literal(3), reasonInfo: z.object({ employer: text, employerAddr: text }) }),
  z.object({
    reasonType: z.literal(4),
    reasonInfo: z.object({ whereabouts: z.enum(['户籍所在地', '生源地', '本人或父母居住地']), addr: text }),
  }),
  z.object({
    reasonType: z.literal(5),
    reasonInfo: z.object({
      purpose: z.enum(['留学', '因公出国（境）', '因私出国（境）']),
      country: text,
      leaveDate: gdDate,
      returnDate: gdDate.optional(),
      contactName: text,
      contactMobile: text,
      contactRelation: text.optional(),
    }),
  }),
  z.object({
    reasonType: z.literal(6),
    reasonInfo: z.object({ auditAreaCode: z.string().regex(/^\d{2}$/) }),
  }),
  z.object({ reasonType: z.literal(7), reasonInfo: z.object({}) }),
  z.object({ reasonType: z.literal(8), reasonInfo: z.object({ remark: text }) }),
]);
export type WireReason = z.infer<typeof reasonSchema>;

export const applyRequestSchema = z.intersection(
  z.object({
    requestNo: text,
    outerNo: text,
    memberName: text,
    idCardNo: z.string().length(18),
    mobile: text.optional(),
    applyType: z.enum(['SELF', 'BRANCH']),
    branchOrgCode: text.optional(),
    operatorId: text.optional(),
    outOrgCode: text,
    outOrgName: text,
    inAreaCode: z.literal('44'),
    inOrgName: text,
    inOrgCode: text.optional(),
    irrevocable: z.union([z.literal(0), z.literal(1)]),
  }),
  reasonSchema,
);
export type ApplyRequest = z.infer<typeof applyRequestSchema>;

export const queryRequestSchema = z.object({ requestNo: text });
export const cancelRequestSchema = z.object({ requestNo: text, applyNo: text });

// --- Answers --------------------------------------------------------------------------------------
/** applyStatus: 0 待审核, 1 审核通过待报到, 2 审核不通过, 3 已报到, 4 已撤回, 5 已失效. */
export const APPLY_STATUS = {
  PENDING: 0,
  APPROVED: 1,
  REJECTED: 2,
  REPORTED: 3,
  CANCELLED: 4,
  EXPIRED: 5,
} as const;

const gdTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
  .refine(isRealTimeDigits, 'not a real date and time');

export const applyStatusSchema = z.object({
  applyNo: text,
  requestNo: text,
  applyStatus: z.literal([0, 1, 2, 3, 4, 5]),
  auditOpinion: z.string().nullish(),
  auditTime: gdTime.nullish(),
  reportTime: gdTime.nullish(),
});
export type ApplyStatus = z.infer<typeof applyStatusSchema>;

export const orgSearchDataSchema = z.object({
  list: z.array(z.object({ orgCode: text, orgName: text, areaCode: z.string() })),
  total: z.number().int().min(0),
});

// --- Callbacks ------------------------------------------------------------------------------------
export const callbackDataSchema = z.object({
  applyStatus: z.number().int().optional(),
  auditTime: gdTime.optional(),
  reportTime: gdTime.optional(),
});

// --- Time -----------------------------------------------------------------------------------------
const UTC8_MS = 8 * 3600 * 1000;

export function toGdTime(d: Date): string {
  return new Date(d.getTime() + UTC8_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export function fromGdTime(s: string): string {
  return new Date(Date.parse(`${s.replace(' ', 'T')}Z`) - UTC8_MS).toISOString();
}
