/**
 * HTTP to Hainan: a signed form post per operation (see ./wire.ts for the base string), the
 * `{success, result | error}` answer unwrapped, and every error code turned into its typed error.
 */
import { randomBytes } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import type { z } from 'zod';
import {
  PartnerProtocolError,
  PermanentPartnerError,
  RetryablePartnerError,
  type PartnerError,
} from '../../../adapters/errors.js';
import { parseJson, parseWith, send, transientStatusError, type Transport } from '../../../adapters/http.js';
import type { HainanConfig } from './config.js';
import {
  ERRORS,
  SIGNATURE_HEADER,
  answerSchema,
  formEncode,
  sign,
  type Answer,
  type WireError,
} from './wire.js';

const P = 'hainan' as const;

export interface HnCall {
  path: string;
  /** The operation's own fields; undefined values are left out. */
  fields: Record<string, string | undefined>;
  signal?: AbortSignal | undefined;
  onSend?: (() => Promise<void>) | undefined;
}

export class HainanClient {
  private readonly transport: Transport;

  constructor(
    private readonly config: HainanConfig,
    http: AxiosInstance,
    private readonly now: () => number = Date.now,
    private readonly nonce: () => string = () => randomBytes(12).toString('hex'),
  ) {
    this.transport = { partner: P, http, baseUrl: config.baseUrl, timeoutMs: config.timeoutMs };
  }

  /** The answer of a well-formed exchange, success or error. */
  async call(c: HnCall): Promise<Answer> {
    const pairs: [string, string][] = [
      ['ak', this.config.accessKey],
      ['ts', String(Math.floor(this.now() / 1000))],
      ['nonce', this.nonce()],
      ...Object.entries(c.fields).filter((e): e is [string, string] => e[1] !== undefined),
    ];
    const answer = await send(this.transport, {
      method: 'POST',
      url: c.path,
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        [SIGNATURE_HEADER]: sign(this.config.secretKey, c.path, pairs),
      },
      body: formEncode(pairs),
      signal: c.signal,
      onSend: c.onSend,
    });
    const transient = transientStatusError(P, answer);
    if (transient) throw transient;
    if (answer.status !== 200) {
      // Hainan answers everything it handles with 200; anything else came from something in between.
      throw new PartnerProtocolError('SCHEMA_MISMATCH', `${P}: unexpected HTTP ${answer.status}`, {
        partner: P,
        status: answer.status,
      });
    }
    return parseWith(P, answerSchema, parseJson(P, answer.body, 200), 'answer', 200);
  }

  /** `result` of a successful answer, parsed; an error becomes its typed error. */
  result<S extends z.ZodType>(answer: Answer, schema: S, what: string): z.output<S> {
    if (!answer.success) throw errorFor(answer.error);
    return parseWith(P, schema, answer.result, what);
  }
}

/** Every documented code, by meaning; callers handle APP.DUPLICATE and APP.NOT_FOUND first where they mean something else. */
export function errorFor(e: WireError): PartnerError {
  const base = { partner: P };
  const msg = `${P}: ${e.message} (${e.code})`;
  switch (e.code) {
    case ERRORS.ARG_INVALID:
      return new PermanentPartnerError('INVALID_DATA', msg, { ...base, partnerReason: e.message });
    case ERRORS.ORG_NOT_FOUND:
      return new PermanentPartnerError('ORG_NOT_FOUND', msg, { ...base, partnerReason: e.message });
    case ERRORS.REFUSED:
      return new PermanentPartnerError('REJECTED', msg, { ...base, partnerReason: e.message });
    case ERRORS.APP_NOT_FOUND:
      return new PermanentPartnerError('APPLICATION_NOT_FOUND', msg, { ...base, partnerReason: e.message });
    case ERRORS.DECIDED:
      return new PermanentPartnerError('DECISION_ALREADY_MADE', msg, { ...base, partnerReason: e.message });
    case ERRORS.IRREVOCABLE:
      return new PermanentPartnerError('WITHDRAW_NOT_ALLOWED', msg, { ...base, partnerReason: e.message });
    case ERRORS.AUTH_KEY:
    case ERRORS.AUTH_CLOCK:
    case ERRORS.AUTH_REPLAY:
    case ERRORS.AUTH_SIGNATURE:
      return new RetryablePartnerError('AUTH_FAILED', msg, base);
    case ERRORS.THROTTLED:
      return new RetryablePartnerError('RATE_LIMITED', msg, {
        ...base,
        ...(e.retryIn === undefined ? {} : { retryAfterMs: e.retryIn * 1000 }),
      });
    case ERRORS.BUSY:
    case ERRORS.FAULT:
      return new RetryablePartnerError('PARTNER_UNAVAILABLE', msg, base);
    default:
      // APP.DUPLICATE where no submission was made is as undocumented as an unknown code.
      return new PartnerProtocolError('UNKNOWN_CODE', `${P}: undocumented code ${e.code}`, base);
  }
}
