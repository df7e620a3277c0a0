/**
 * Fujian's league system (福建共青团) wire contract, shared by the adapter and its simulator.
 *
 * One gateway endpoint, `POST /openapi/gateway`, JSON body:
 *   { appid, method, timestamp: "yyyyMMddHHmmss" (UTC+8), nonce_str, version: "1.0",
 *     sign_type: "HMAC-SM3", biz_content: "<JSON text of the business fields>", sign }
 * `sign` = upper-case hex HMAC-SM3(appKey, S), S = every other non-empty field as `key=value`,
 * keys in ASCII order, joined by `&`, values unencoded. Answers are HTTP 200
 * `{ code, msg, data: "<JSON text>" | "", sign }`, signed the same way over code, data and msg;
 * an answer whose signature does not match is not from Fujian and is not trusted.
 *
 * Field names are Fujian's pinyin abbreviations:
 *   qqlsh 请求流水号 (our transfer id)   wbbh 外部编号 (externalRef)   sqbh 申请编号 (partner ref)
 *   xm 姓名  sfzh 身份证号  sjhm 手机号码   fqfs 发起方式 (1 本人, 2 支部)  fqzzid 发起组织ID  czyid 操作员ID
 *   zczzid/zczzqc 转出组织ID/全称   zrsfdm 转入省份代码  zrzzqc/zrzzid 转入组织全称/ID
 *   zcyy 转出原因 (1–8)  yyxx 原因信息  bkch 不可撤回 (0/1)
 *   zt 状态 (0 待审核, 1 审核通过待报到, 2 已驳回, 3 已报到, 4 已失效)  bhyy 驳回原因  shsj 审核时间  bdsj 报到时间
 *   zzid/zzqc/sfdm 组织ID/全称/省份代码   gjz 关键字  ts 条数  zzlb 组织列表  zs 总数
 * No org-name check and no withdrawal: Fujian offers neither.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { isRealTimeDigits } from '../wire-time.js';

export const GATEWAY_PATH = '/openapi/gateway';
export const METHODS = { apply: 'tyzz.zzgx.zcsq', query: 'tyzz.zzgx.sqcx', orgSearch: 'tyzz.zz.cx' } as const;

// --- Signing --------------------------------------------------------------------------------------
export function signString(fields: Record<string, string>): string {
  return Object.keys(fields)
    .filter((k) => k !== 'sign' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

export function sm3Sign(appKey: string, fields: Record<string, string>): string {
  return createHmac('sm3', appKey).update(signString(fields), 'utf8').digest('hex').toUpperCase();
}

// --- Envelopes ------------------------------------------------------------------------------------
export const requestSchema = z.strictObject({
  appid: z.string().min(1),
  method: z.string().min(1),
  timestamp: z.string().regex(/^\d{14}$/),
  nonce_str: z.string().min(8).max(64),
  version: z.literal('1.0'),
  sign_type: z.literal('HMAC-SM3'),
  biz_content: z.string(),
  sign: z.string().regex(/^[0-9A-F]{64}$/),
});
export type GatewayRequest = z.infer<typeof requestSchema>;

export const answerSchema = z.object({
  code: z.string(),
  msg: z.string(),
  data: z.string(),
  sign: z.string(),
});
export type GatewayAnswer = z.infer<typeof answerSchema>;

export const CODES = {
  OK: '0000',
  PARAM_ERROR: '1001',
  SIGN_ERROR: '1002',
  TIMESTAMP_INVALID: '1003',
  APPID_INVALID: '1004',
  METHOD_UNKNOWN: '1005',
  DUPLICATE: '2001', // data: {sqbh} of the existing application
  ORG_NOT_FOUND: '2002',
  NOT_ELIGIBLE: '2003', // 不符合转接条件: a business refusal, msg says why
  APPLY_NOT_FOUND: '2004',
  BUSY: '9001',
  RATE_LIMITED: '9002', // data: {retry_after} seconds
  SYSTEM_ERROR: '9999',
} as const;
export type CodeName = keyof typeof CODES;

/** Transient codes (auth codes too: a rotated key or clock skew is partner-wide, not the transfer's fault). */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  CODES.SIGN_ERROR,
  CODES.TIMESTAMP_INVALID,
  CODES.APPID_INVALID,
  CODES.BUSY,
  CODES.RATE_LIMITED,
  CODES.SYSTEM_ERROR,
]);

export function signedAnswer(appKey: string, code: CodeName, msg: string, data?: unknown): GatewayAnswer {
  const fields = { code: CODES[code], msg, data: data === undefined ? '' : JSON.stringify(data) };
  return { ...fields, sign: sm3Sign(appKey, fields) };
}

// --- Business fields ------------------------------------------------------------------------------
const text = z.string().min(1);
const ymd = z.string().regex(/^\d{8}$/);

export const reasonSchema = z.discriminatedUnion('zcyy', [
  // xxlx 学校类型: 01 普通高中, 02 中等职业学校, 03 普通高校, 04 高等职业院校
  z.object({
    zcyy: z.literal('1'),
    yyxx: z.object({ xxlx: z.enum(['01', '02', '03', '04']), xxmc: text, xxdz: text }),
  }),
  z.object({ zcyy: z.literal('2'), yyxx: z.object({ dwmc: text }) }),
  z.object({ zcyy: z.literal('3'), yyxx: z.object({ dwmc: text, dwdz: text }) }),
  // qxyj 去向依据: 1 户籍所在地, 2 生源地, 3 本人或父母居住地
  z.object({ zcyy: z.literal('4'), yyxx: z.object({ qxyj: z.enum(['1', '2', '3']), dz: text }) }),
  z.object({
    zcyy: z.literal('5'),
    // cgmd 出国目的: 1 留学, 2 因公, 3 因私; gnlxr 国内联系人 {xm, sjhm, gx 关系}
    yyxx: z.object({
      cgmd: z.enum(['1', '2', '3']),
      gjdq: text,
      cjrq: ymd,
      yjhgrq: ymd.optional(),
      gnlxr: z.object({ xm: text, sjhm: text, gx: text.optional() }),
    }),
  }),
  z.object({ zcyy: z.literal('6'), yyxx: z.object({ shsfdm: z.string().regex(/^\d{2}$/) }) }),
  z.object({ zcyy: z.literal('7'), yyxx: z.object({}) }),
  z.object({ zcyy: z.literal('8'), yyxx: z.object({ sm: text }) }),
]);
export type WireReason = z.infer<typeof reasonSchema>;

export const applyBizSchema = z.intersection(
  z.object({
    qqlsh: text,
    wbbh: text,
    xm: text,
    sfzh: z.string().length(18),
    sjhm: text.optional(),
    fqfs: z.enum(['1', '2']),
    fqzzid: text.optional(),
    czyid: text.optional(),
    zczzid: text,
    zczzqc: text,
    zrsfdm: z.literal('35'),
    zrzzqc: text,
    zrzzid: text.optional(),
    bkch: z.enum(['0', '1']),
  }),
  reasonSchema,
);
export type ApplyBiz = z.infer<typeof applyBizSchema>;

export const queryBizSchema = z.object({ qqlsh: text });
export const orgSearchBizSchema = z.object({
  sfdm: z.string(),
  gjz: text,
  ts: z.number().int().min(1).max(100),
});

export const sqbhSchema = z.object({ sqbh: text });
export const rateLimitDataSchema = z.object({ retry_after: z.number().int().min(0) });

const fjTime = z
  .string()
  .regex(/^\d{14}$/)
  .refine(isRealTimeDigits, 'not a real date and time');
export const statusDataSchema = z.object({
  sqbh: text,
  qqlsh: text,
  zt: z.enum(['0', '1', '2', '3', '4']),
  bhyy: z.string().optional(),
  shsj: fjTime.optional(),
  bdsj: fjTime.optional(),
});
export type StatusData = z.infer<typeof statusDataSchema>;

export const orgSearchDataSchema = z.object({
  zzlb: z.array(z.object({ zzid: text, zzqc: text, sfdm: z.string() })),
  zs: z.number().int().min(0),
});

export const callbackDataSchema = z.object({ zt: z.string().optional(), clsj: fjTime.optional() });

// --- Time (UTC+8, yyyyMMddHHmmss) -----------------------------------------------------------------
const UTC8_MS = 8 * 3600 * 1000;

export function toFjTime(d: Date): string {
  return new Date(d.getTime() + UTC8_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

export function fromFjTime(s: string): string {
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`;
  return new Date(Date.parse(iso) - UTC8_MS).toISOString();
}
