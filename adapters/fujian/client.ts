/**
 * HTTP to Fujian: one signed gateway call per business method; the answer's own HMAC-SM3
 * signature is checked before anything in it is believed.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import type { z } from 'zod';
import {
  PartnerProtocolError,
  PermanentPartnerError,
  RetryablePartnerError,
  type PartnerError,
} from '../errors.js';
import { parseJson, parseWith, send, transientStatusError, type Transport } from '../http.js';
import type { FujianConfig } from './config.js';
import { CODES, GATEWAY_PATH, answerSchema, rateLimitDataSchema, sm3Sign, toFjTime } from './wire.js';

const P = 'fujian' as const;
const AUTH_CODES: ReadonlySet<string> = new Set([
  CODES.SIGN_ERROR,
  CODES.TIMESTAMP_INVALID,
  CODES.APPID_INVALID,
]);

export interface FjAnswer {
  code: string;
  msg: string;
  /** `data` parsed from its JSON text; undefined when empty. */
  data: unknown;
}

export class FujianClient {
  private readonly transport: Transport;

  constructor(
    private readonly config: FujianConfig,
    http: AxiosInstance,
    private readonly now: () => number = Date.now,
    private readonly nonce: () => string = () => randomBytes(16).toString('hex'),
  ) {
    this.transport = { partner: P, http, baseUrl: config.baseUrl, timeoutMs: config.timeoutMs };
  }

  async call(
    method: string,
    biz: unknown,
    signal?: AbortSignal,
    onSend?: () => Promise<void>,
  ): Promise<FjAnswer> {
    const fields = {
      appid: this.config.appId,
      method,
      timestamp: toFjTime(new Date(this.now())),
      nonce_str: this.nonce(),
      version: '1.0',
      sign_type: 'HMAC-SM3',
      biz_content: JSON.stringify(biz),
    };
    const answer = await send(this.transport, {
      method: 'POST',
      url: GATEWAY_PATH,
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
      body: JSON.stringify({ ...fields, sign: sm3Sign(this.config.appKey, fields) }),
      signal,
      onSend,
    });
    const transient = transientStatusError(P, answer);
    if (transient) throw transient;
    if (answer.status !== 200) {
      throw new PartnerProtocolError('SCHEMA_MISMATCH', `${P}: unexpected HTTP ${answer.status}`, {
        partner: P,
        status: answer.status,
      });
    }
    const env = parseWith(P, answerSchema, parseJson(P, answer.body, 200), 'answer', 200);
    const expected = Buffer.from(
      sm3Sign(this.config.appKey, { code: env.code, msg: env.msg, data: env.data }),
    );
    const given = Buffer.from(env.sign.toUpperCase());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      // With a wrong key we cannot verify anything, including Fujian's own "bad signature" refusal.
      // Believing an auth code from an unverified answer is safe: it only ever leads to a retry.
      if (AUTH_CODES.has(env.code)) {
        throw new RetryablePartnerError(
          'AUTH_FAILED',
          `${P}: ${env.msg} (${env.code}, answer unverifiable)`,
          { partner: P },
        );
      }
      throw new PartnerProtocolError('BAD_SIGNATURE', `${P}: answer signature does not match`, {
        partner: P,
        status: 200,
      });
    }
    return { code: env.code, msg: env.msg, data: env.data === '' ? undefined : parseJson(P, env.data, 200) };
  }

  /** `data` of a '0000' answer, parsed; any other code becomes its typed error. */
  data<S extends z.ZodType>(a: FjAnswer, schema: S, what: string): z.output<S> {
    if (a.code !== CODES.OK) throw errorFor(a);
    return parseWith(P, schema, a.data, what);
  }
}

/** Every documented non-OK code, by meaning; callers handle DUPLICATE and APPLY_NOT_FOUND first. */
export function errorFor(a: FjAnswer): PartnerError {
  const base = { partner: P };
  const msg = `${P}: ${a.msg} (${a.code})`;
  switch (a.code) {
    case CODES.PARAM_ERROR:
    case CODES.METHOD_UNKNOWN:
      return new PermanentPartnerError('INVALID_DATA', msg, { ...base, partnerReason: a.msg });
    case CODES.ORG_NOT_FOUND:
      return new PermanentPartnerError('ORG_NOT_FOUND', msg, { ...base, partnerReason: a.msg });
    case CODES.NOT_ELIGIBLE:
      return new PermanentPartnerError('REJECTED', msg, { ...base, partnerReason: a.msg });
    case CODES.APPLY_NOT_FOUND:
      return new PermanentPartnerError('APPLICATION_NOT_FOUND', msg, { ...base, partnerReason: a.msg });
    case CODES.SIGN_ERROR:
    case CODES.TIMESTAMP_INVALID:
    case CODES.APPID_INVALID:
      return new RetryablePartnerError('AUTH_FAILED', msg, base);
    case CODES.RATE_LIMITED: {
      const hint = rateLimitDataSchema.safeParse(a.data);
      return new RetryablePartnerError('RATE_LIMITED', msg, {
        ...base,
        ...(hint.success ? { retryAfterMs: hint.data.retry_after * 1000 } : {}),
      });
    }
    case CODES.BUSY:
    case CODES.SYSTEM_ERROR:
      return new RetryablePartnerError('PARTNER_UNAVAILABLE', msg, base);
    default:
      return new PartnerProtocolError('UNKNOWN_CODE', `${P}: undocumented code ${a.code}`, base);
  }
}
