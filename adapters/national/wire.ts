/**
 * The national system's (智慧团建) wire contract, shared by the adapter and its simulator.
 *
 * REST + JSON. Auth: OAuth2 client credentials — `POST /oauth/token` (form-encoded grant_type,
 * client_id, client_secret) answers `{access_token, token_type: "Bearer", expires_in}`; every other
 * call carries `Authorization: Bearer <token>`, and an expired or revoked token gets
 * `401 {error: {code: "INVALID_TOKEN"}}`.
 *
 * Applications are keyed by the caller's request id (header `X-Request-Id` and body `requestId`):
 * submitting the same id again answers `409 DUPLICATE_REQUEST` with the existing application id.
 * Errors are HTTP statuses with `{error: {code, message, details?}}`; the table below is the
 * documented set and says which are transient.
 */
import { z } from 'zod';

export const PATHS = {
  token: '/oauth/token',
  applications: '/api/v1/transfer-applications',
  application: (requestId: string) => `/api/v1/transfer-applications/${encodeURIComponent(requestId)}`,
  withdraw: (requestId: string) => `/api/v1/transfer-applications/${encodeURIComponent(requestId)}/withdraw`,
  orgCheck: '/api/v1/orgs/check',
  orgSearch: '/api/v1/orgs',
} as const;

export const REQUEST_ID_HEADER = 'x-request-id';

// --- OAuth2 ---------------------------------------------------------------------------------------
export const tokenRequestSchema = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
});

export const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive(),
});

/** RFC 6749 §5.2 error answer of the token endpoint. */
export const tokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

// --- Orgs -----------------------------------------------------------------------------------------
export const orgSchema = z.object({
  orgId: z.string().min(1),
  fullName: z.string().min(1),
  provinceCode: z.string().regex(/^\d{2}$/),
});
export type WireOrg = z.infer<typeof orgSchema>;

export const orgCheckAnswerSchema = z.discriminatedUnion('exists', [
  z.object({ exists: z.literal(true), org: orgSchema }),
  z.object({ exists: z.literal(false), suggestions: z.array(orgSchema) }),
]);

export const orgSearchAnswerSchema = z.object({ items: z.array(orgSchema), total: z.number().int().min(0) });

// --- Applications ---------------------------------------------------------------------------------
/** 转出原因 codes of the national system, with each code's own details. */
export const REASON_CODES = {
  further_study: '01', // 升学
  employed_with_org: '02', // 已落实工作单位（有团组织）
  employed_without_org: '03', // 已落实工作单位（无团组织）
  not_placed: '04', // 未落实去向
  abroad: '05', // 出国（境）
  enlistment: '06', // 参军入伍
  classified_unit: '07', // 涉密单位
  other: '99', // 其他
} as const;

const text = z.string().min(1);
const date = z.iso.date();

export const wireReasonSchema = z.discriminatedUnion('code', [
  z.object({
    code: z.literal('01'),
    // 1 普通高中, 2 中等职业学校, 3 普通高校, 4 高等职业院校
    schoolType: z.enum(['1', '2', '3', '4']),
    schoolName: text,
    schoolAddress: text,
  }),
  z.object({ code: z.literal('02'), employerName: text }),
  z.object({ code: z.literal('03'), employerName: text, employerAddress: text }),
  z.object({
    code: z.literal('04'),
    destinationBasis: z.enum(['HUJI', 'SHENGYUAN', 'JUZHU']),
    address: text,
  }),
  z.object({
    code: z.literal('05'),
    purpose: z.enum(['STUDY', 'PUBLIC', 'PRIVATE']),
    countryOrRegion: text,
    departureDate: date,
    expectedReturnDate: date.optional(),
    domesticContact: z.object({ name: text, mobile: text, relation: text.optional() }),
  }),
  z.object({ code: z.literal('06'), reviewProvinceCode: z.string().regex(/^\d{2}$/) }),
  z.object({ code: z.literal('07') }),
  z.object({ code: z.literal('99'), description: text }),
]);
export type WireReason = z.infer<typeof wireReasonSchema>;

export const applicationRequestSchema = z.strictObject({
  requestId: text,
  externalRef: text,
  applicant: z.strictObject({ name: text, idNumber: z.string().length(18), mobile: text.optional() }),
  initiator: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('MEMBER') }),
    z.strictObject({ type: z.literal('BRANCH'), branchOrgId: text, operatorId: text }),
  ]),
  fromOrg: z.strictObject({ orgId: text, fullName: text }),
  toOrg: z.strictObject({
    provinceCode: z.string().regex(/^\d{2}$/),
    fullName: text,
    orgId: text.optional(),
  }),
  reason: wireReasonSchema,
  irrevocable: z.boolean(),
});
export type ApplicationRequest = z.infer<typeof applicationRequestSchema>;

export const APPLICATION_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'WITHDRAWN'] as const;

export const applicationSchema = z.object({
  applicationId: text,
  requestId: text,
  status: z.enum(APPLICATION_STATUSES),
  rejectReason: z.string().nullish(),
  /** Set on approval when the member had no national account and one was created. */
  accountCreated: z.boolean().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Application = z.infer<typeof applicationSchema>;

// --- Errors ---------------------------------------------------------------------------------------
export const ERRORS = {
  INVALID_REQUEST: { status: 400, retryable: false },
  INVALID_TOKEN: { status: 401, retryable: true }, // refresh the token once, then give up
  ORG_NOT_FOUND: { status: 404, retryable: false }, // details.suggestions
  APPLICATION_NOT_FOUND: { status: 404, retryable: false },
  DUPLICATE_REQUEST: { status: 409, retryable: false }, // details.applicationId: success for us
  DECISION_ALREADY_MADE: { status: 409, retryable: false },
  WITHDRAW_NOT_ALLOWED: { status: 409, retryable: false }, // 参军入伍 / 涉密单位
  APPLICATION_REJECTED: { status: 422, retryable: false }, // business rule, e.g. one already in progress
  PROVINCE_NOT_SERVED: { status: 422, retryable: false }, // 11 (non-sector), 44, 35, 71, 81, 82
  RATE_LIMITED: { status: 429, retryable: true },
  INTERNAL_ERROR: { status: 500, retryable: true },
  SYSTEM_BUSY: { status: 503, retryable: true },
} as const;
export type ErrorCode = keyof typeof ERRORS;
export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERRORS, code);

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .object({ applicationId: z.string().optional(), suggestions: z.array(orgSchema).optional() })
      .optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(
  code: ErrorCode,
  message: string,
  details?: ErrorBody['error']['details'],
): ErrorBody {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

// --- Callbacks ------------------------------------------------------------------------------------
/** national's extras inside a callback's `data`. */
export const callbackDataSchema = z.object({
  decidedAt: z.iso.datetime().optional(),
  toOrgFullName: z.string().optional(),
});
