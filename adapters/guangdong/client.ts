/**
 * HTTP to Guangdong: signs every request (see ./wire.ts for the canonical string), unwraps the
 * always-200 `{code, msg, data}` envelope and turns non-zero codes into typed errors.
 */
import { randomBytes } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import type { z } from 'zod';
import {
  PartnerProtocolError,
  PermanentPartnerError,
  RetryablePartnerError,
  type PartnerError,
} from '../errors.js';
import { parseJson, parseWith, send, transientStatusError, type Transport } from '../http.js';
import type { GuangdongConfig } from './config.js';
import { CODES, HEADERS, envelopeSchema, rateLimitDataSchema, sign, type Envelope } from './wire.js';

const P = 'guangdong' as const;

export interface GdCall {
  method: 'GET' | 'POST';
  path: string;
  /** Already encoded `k=v&…`, sent and signed as is. */
  rawQuery?: string;
  json?: unknown;
  signal?: AbortSignal | undefined;
  onSend?: (() => Promise<void>) | undefined;
}

export class GuangdongClient {
  private readonly transport: Transport;

  constructor(
    private readonly config: GuangdongConfig,
    http: AxiosInstance,
    private readonly now: () => number = Date.now,
    private readonly nonce: () => string = () => randomBytes(16).toString('hex'),
  ) {
    this.transport = { partner: P, http, baseUrl: config.baseUrl, timeoutMs: config.timeoutMs };
  }

  /** The envelope of a well-formed answer, whatever its code. */
  async call(c: GdCall): Promise<Envelope> {
    const body = c.json === undefined ? '' : JSON.stringify(c.json);
    const timestamp = String(this.now());
    const nonce = this.nonce();
    const rawQuery = c.rawQuery ?? '';
    const signature = sign(this.config.appSecret, {
      method: c.method,
      path: c.path,
      rawQuery,
      timestamp,
      nonce,
      body,
    });
    const answer = await send(this.transport, {
      method: c.method,
      url: rawQuery ? `${c.path}?${rawQuery}` : c.path,
      headers: {
        accept: 'application/json',
        [HEADERS.appId]: this.config.appId,
        [HEADERS.timestamp]: timestamp,
        [HEADERS.nonce]: nonce,
        [HEADERS.sign]: signature,
        ...(c.json === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      },
      ...(c.json === undefined ? {} : { body }),
      signal: c.signal,
      onSend: c.onSend,
    });
    const transient = transientStatusError(P, answer);
    if (transient) throw transient;
    if (answer.status !== 200) {
      // Guangdong answers everything with 200; anything else came from something in between.
      throw new PartnerProtocolError('SCHEMA_MISMATCH', `${P}: unexpected HTTP ${answer.status}`, {
        partner: P,
        status: answer.status,
      });
    }
    return parseWith(P, envelopeSchema, parseJson(P, answer.body, 200), 'envelope', 200);
  }

  /** `data` of a code-0 envelope, parsed; any other code becomes its typed error. */
  data<S extends z.ZodType>(env: Envelope, schema: S, what: string): z.output<S> {
    if (env.code !== CODES.OK) throw errorFor(env);
    return parseWith(P, schema, env.data, what);
  }
}

/** Every documented non-zero code, by meaning; callers handle DUPLICATE_REQUEST and APPLY_NOT_FOUND first. */
export function errorFor(env: Envelope): PartnerError {
  const base = { partner: P };
  const msg = `${P}: ${env.msg} (${env.code})`;
  switch (env.code) {
    case CODES.PARAM_INVALID:
      return new PermanentPartnerError('INVALID_DATA', msg, { ...base, partnerReason: env.msg });
    case CODES.ORG_NOT_FOUND:
      return new PermanentPartnerError('ORG_NOT_FOUND', msg, { ...base, partnerReason: env.msg });
    case CODES.BUSINESS_REJECTED:
      return new PermanentPartnerError('REJECTED', msg, { ...base, partnerReason: env.msg });
    case CODES.APPLY_NOT_FOUND:
      return new PermanentPartnerError('APPLICATION_NOT_FOUND', msg, { ...base, partnerReason: env.msg });
    case CODES.ALREADY_AUDITED:
      return new PermanentPartnerError('DECISION_ALREADY_MADE', msg, { ...base, partnerReason: env.msg });
    case CODES.IRREVOCABLE:
      return new PermanentPartnerError('WITHDRAW_NOT_ALLOWED', msg, { ...base, partnerReason: env.msg });
    case CODES.SIGN_INVALID:
    case CODES.TIMESTAMP_EXPIRED:
    case CODES.NONCE_REUSED:
    case CODES.APP_FORBIDDEN:
      return new RetryablePartnerError('AUTH_FAILED', msg, base);
    case CODES.FREQUENCY_LIMIT: {
      const hint = rateLimitDataSchema.safeParse(env.data);
      return new RetryablePartnerError('RATE_LIMITED', msg, {
        ...base,
        ...(hint.success ? { retryAfterMs: hint.data.retryAfter * 1000 } : {}),
      });
    }
    case CODES.SYSTEM_BUSY:
    case CODES.SYSTEM_ERROR:
      return new RetryablePartnerError('PARTNER_UNAVAILABLE', msg, base);
    default:
      return new PartnerProtocolError('UNKNOWN_CODE', `${P}: undocumented code ${env.code}`, base);
  }
}
