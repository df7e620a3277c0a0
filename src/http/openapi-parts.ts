/**
 * Building blocks of the OpenAPI document (openapi.ts): zod → JSON Schema, query objects → parameters,
 * and problem responses that list every code they can carry. The error catalogue is the one place that
 * says what each code means to a client.
 */
import { z } from 'zod';
import type { PermanentCode } from '../../adapters/errors.js';
import type { Scope } from '../config/index.js';

export type JsonSchema = z.core.JSONSchema.JSONSchema;

export interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface Header {
  description: string;
  schema: JsonSchema;
}

export interface MediaType {
  schema: JsonSchema;
  examples?: Record<string, { summary: string; value: unknown }>;
}

export interface Response {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, MediaType>;
  /** The problem codes this response can carry (also listed in the description). */
  'x-error-codes'?: string[];
}

export interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, MediaType> };
  responses: Record<string, Response>;
}

export type Paths = Record<string, Partial<Record<'get' | 'post', Operation>>>;

/** A zod schema as a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1). */
export function jsonSchema(schema: z.ZodType): JsonSchema {
  // `input`: what a client sends (defaults make fields optional). Used for responses too: a plain
  // z.object then publishes no `additionalProperties: false`, so clients accept fields added later.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'throw',
  });
  return rest;
}

/** One parameter per property of a (strict) query object, with its own schema and description. */
export function queryParameters(query: z.ZodType): Parameter[] {
  const object = jsonSchema(query);
  const required = new Set(object.required ?? []);
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...schema } = typeof property === 'boolean' ? {} : property;
    return {
      name,
      in: 'query' as const,
      required: required.has(name),
      ...(description ? { description } : {}),
      schema,
    };
  });
}

export function parameter(
  name: string,
  where: 'path' | 'header',
  schema: z.ZodType,
  description: string,
  required = true,
): Parameter {
  return { name, in: where, required, description, schema: jsonSchema(schema) };
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

export const REQUEST_ID_HEADER: Header = {
  description: 'the request id (echoes a sent X-Request-Id); quote it when reporting a problem',
  schema: { type: 'string' },
};

/** Codes a partner's refusal carries through unchanged (a PermanentPartnerError's code). */
const PARTNER_REFUSALS = [
  'REJECTED',
  'ORG_NOT_FOUND',
  'INVALID_DATA',
  'WITHDRAW_NOT_ALLOWED',
  'APPLICATION_NOT_FOUND',
  'CAPABILITY_NOT_SUPPORTED',
] as const satisfies readonly PermanentCode[];
export const partnerRefusals: readonly string[] = PARTNER_REFUSALS;

/** What each code means to a client. A code missing here fails the document build. */
export const ERROR_CODES: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'no valid credentials were sent',
  FORBIDDEN: 'the key lacks the scope this operation needs',
  MALFORMED_JSON: 'the body is not valid JSON',
  MALFORMED_BODY: 'the compressed body (Content-Encoding) could not be inflated',
  MALFORMED_PATH: 'the path holds a malformed percent-encoding',
  MALFORMED_REQUEST: 'the request could not be read',
  REQUEST_TIMEOUT:
    'the request (headers and body) did not arrive whole within the deadline (REQUEST_TIMEOUT_MS)',
  HEADERS_TOO_LARGE: 'the request headers are larger than the limit',
  REQUEST_ABORTED: 'the client aborted while sending the body',
  PAYLOAD_TOO_LARGE: 'the body is larger than the configured limit',
  UNSUPPORTED_MEDIA_TYPE:
    'the body is not application/json, declares a charset other than UTF-8, or its bytes are not valid UTF-8',
  VALIDATION_FAILED:
    'fields are missing or wrong, or hold characters no partner can use (control, bidirectional or invisible format characters, unpaired surrogates, U+FFFD); `errors` lists each with its own code',
  INTERNAL: 'an unexpected error; it was logged, nothing is revealed',
  SERVICE_UNAVAILABLE:
    'the gateway cannot reach its store right now, or (with REDIS_MIN_REPLICAS_ACK) too few replicas confirmed the write in time: nothing is acknowledged; retry after `Retry-After` seconds (intake: with the same Idempotency-Key, which finds a transfer already stored)',
  NOT_FOUND: 'no such route',
  IDEMPOTENCY_KEY_REQUIRED: 'the Idempotency-Key header is missing or not 1–255 visible ASCII characters',
  IDEMPOTENCY_KEY_REUSED: 'this Idempotency-Key was used with a different body',
  INVALID_ID_NUMBER: 'not an 18-character ID number with a right check digit, real birth date and region',
  INVALID_PROVINCE_CODE: 'not a province-level or national-sector code',
  DESTINATION_IS_INTERNAL: '11 (Beijing) is not a destination: moves inside Beijing do not use the gateway',
  INVALID_PHONE: 'not a mainland mobile number',
  INVALID_DATE: 'not a real date, or a return before the departure',
  ENLISTMENT_REQUIRES_BRANCH: 'an enlistment must be started by the branch account (initiator.kind branch)',
  CONFIRMATION_REQUIRED: 'enlistment and classified_unit need confirmedWithMember: true',
  TRANSFER_NOT_FOUND: 'no transfer with this id',
  IRREVERSIBLE: 'enlistment and classified_unit transfers cannot be cancelled',
  INVALID_STATE: 'the transfer is in a state that does not allow this (e.g. a decision was made)',
  PERSONAL_DATA_PURGED:
    "the failed transfer's personal data was erased (PII_RETENTION_DAYS after it failed), so it cannot be sent again; submit a new transfer",
  WITHDRAW_NOT_SUPPORTED: 'the partner does not allow withdrawing a submitted application',
  PARTNER_UNAVAILABLE: 'the partner system cannot be reached now; try again shortly',
  REJECTED: "the partner refused; `detail` gives the partner's reason",
  ORG_NOT_FOUND: 'the partner has no org of that name',
  INVALID_DATA: 'the partner refused the data sent',
  WITHDRAW_NOT_ALLOWED: 'the partner refused the withdrawal',
  APPLICATION_NOT_FOUND: 'the partner does not hold this application',
  CAPABILITY_NOT_SUPPORTED: 'the partner system does not offer this',
  CHECK_NOT_SUPPORTED: "the destination's partner offers no full-name check: use GET /v1/orgs/search",
  UNKNOWN_TARGET: 'the path names no partner of this gateway (GET /v1/ops/targets lists them)',
  INVALID_SIGNATURE: 'missing, malformed, stale (over 5 minutes) or wrong Standard Webhooks signature',
  MALFORMED_CALLBACK: 'the body is not JSON or not {type, data} with the fields this partner sends',
  UNKNOWN_TRANSFER: 'the gateway sent this partner no such transfer',
  INVALID_TRANSITION: 'the event does not apply to the transfer in its current state; nothing was applied',
  NOTIFICATION_NOT_FOUND: 'no notification job with this id',
  NOTIFICATION_NOT_FAILED: 'only failed notifications can be replayed',
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'The request cannot be read',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  408: 'Request too slow',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Invalid request',
  431: 'Headers too large',
  500: 'Internal error',
  503: 'Unavailable',
};

export type ErrorSpec = Partial<Record<number, readonly string[]>>;

/** problem+json responses, one per status, each listing (in its description too) the codes it carries. */
export function problemResponses(errors: ErrorSpec): Record<string, Response> {
  const out: Record<string, Response> = {};
  const statuses = Object.keys(errors)
    .map(Number)
    .sort((a, b) => a - b);
  for (const status of statuses) {
    const codes = [...new Set(errors[status])];
    const lines = codes.map((code) => {
      const meaning = ERROR_CODES[code];
      if (meaning === undefined) throw new Error(`openapi: error code ${code} has no description`);
      return `- \`${code}\`: ${meaning}`;
    });
    out[String(status)] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}. Codes:\n${lines.join('\n')}`,
      headers: {
        'X-Request-Id': REQUEST_ID_HEADER,
        ...(status === 401
          ? { 'WWW-Authenticate': { description: 'the expected scheme', schema: { type: 'string' } } }
          : {}),
        ...(status === 503
          ? {
              'Retry-After': {
                description: 'seconds to wait before trying again (intake: with the same Idempotency-Key)',
                schema: { type: 'integer', minimum: 1 },
              },
            }
          : {}),
      },
      content: { 'application/problem+json': { schema: ref('Problem') } },
      'x-error-codes': codes,
    };
  }
  return out;
}

/** Adds `more` to `base`, status by status. */
export function mergeErrors(...specs: ErrorSpec[]): ErrorSpec {
  const out: Record<number, string[]> = {};
  for (const spec of specs) {
    for (const [status, codes] of Object.entries(spec)) {
      out[Number(status)] = [...(out[Number(status)] ?? []), ...(codes ?? [])];
    }
  }
  return out;
}

export const BEARER = 'bearerAuth';
export const BASIC = 'opsBasic';
export const SIGNATURE = 'webhookSignature';

export const bearer = (scope: Scope): Record<string, string[]>[] => [{ [BEARER]: [scope] }];

export const BEARER_ERRORS: ErrorSpec = { 401: ['UNAUTHENTICATED'], 403: ['FORBIDDEN'] };
export const JSON_BODY_ERRORS: ErrorSpec = {
  400: ['MALFORMED_JSON', 'MALFORMED_BODY', 'REQUEST_ABORTED'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};
/** What any operation may answer: a request that cannot be read, the store out of reach, a bug. */
export const INTERNAL_ERRORS: ErrorSpec = {
  400: ['MALFORMED_REQUEST'],
  408: ['REQUEST_TIMEOUT'],
  431: ['HEADERS_TOO_LARGE'],
  500: ['INTERNAL'],
  503: ['SERVICE_UNAVAILABLE'],
};
/** Operations with path parameters: a malformed percent-encoding in one. */
export const PATH_ERRORS: ErrorSpec = { 400: ['MALFORMED_PATH'] };
