/**
 * The only errors an adapter method throws. Callers decide by class (and `retryable`), never by
 * message text: PermanentPartnerError becomes BullMQ's UnrecoverableError, the rest are retried.
 * Codes are stable UPPER_SNAKE identifiers that end up in a transfer's events.
 */
import type { Target } from '../src/domain/transfer.js';

export interface Org {
  orgId: string;
  /** Exactly as the partner spells it. */
  fullName: string;
}

interface PartnerErrorOptions {
  partner: Target;
  cause?: unknown;
  /** HTTP status of the partner's answer, when there was one. */
  status?: number;
}

export abstract class PartnerError extends Error {
  abstract readonly retryable: boolean;
  readonly code: string;
  readonly partner: Target;
  readonly status: number | undefined;

  protected constructor(code: string, message: string, options: PartnerErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.partner = options.partner;
    this.status = options.status;
  }
}

export type RetryableCode =
  | 'NETWORK_ERROR' // connection refused / reset / DNS: no answer at all
  | 'TIMEOUT' // our deadline passed; the partner may still have stored the request
  | 'ABORTED' // the caller's AbortSignal fired (e.g. the breaker's timeout)
  | 'PARTNER_UNAVAILABLE' // 5xx or the partner's own "system busy" code
  | 'RATE_LIMITED' // 429 or the partner's own throttling code
  // Our credentials or signature were refused. Retryable on purpose: it is a partner-wide condition
  // (rotated secret, clock skew) that the breaker should absorb, not a reason to fail every transfer.
  | 'AUTH_FAILED';

export class RetryablePartnerError extends PartnerError {
  readonly retryable = true;
  readonly timeout: boolean;
  /** From Retry-After (seconds or HTTP date) or the partner's own hint; undefined when not given. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: RetryableCode,
    message: string,
    options: PartnerErrorOptions & { timeout?: boolean; retryAfterMs?: number },
  ) {
    super(code, message, options);
    this.name = 'RetryablePartnerError';
    this.timeout = options.timeout ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export type PermanentCode =
  | 'REJECTED' // a business refusal; `partnerReason` says why in the partner's words
  | 'ORG_NOT_FOUND' // `suggestions` may hold near names
  | 'INVALID_DATA' // the partner refused our fields
  | 'WITHDRAW_NOT_ALLOWED' // irreversible reason, or the partner never allows it
  | 'DECISION_ALREADY_MADE'
  | 'APPLICATION_NOT_FOUND' // withdraw of an application the partner does not hold
  | 'CAPABILITY_NOT_SUPPORTED'; // e.g. checkOrg on guangdong: look at `capabilities` first

export class PermanentPartnerError extends PartnerError {
  readonly retryable = false;
  readonly partnerReason: string | undefined;
  readonly suggestions: Org[];

  constructor(
    code: PermanentCode,
    message: string,
    options: PartnerErrorOptions & { partnerReason?: string; suggestions?: Org[] },
  ) {
    super(code, message, options);
    this.name = 'PermanentPartnerError';
    this.partnerReason = options.partnerReason;
    this.suggestions = options.suggestions ?? [];
  }
}

export type ProtocolCode =
  | 'MALFORMED_RESPONSE' // not JSON
  | 'SCHEMA_MISMATCH' // JSON, but not the documented shape
  | 'BAD_SIGNATURE' // the partner's answer failed its own signature check
  | 'UNKNOWN_CODE' // an error code the partner never documented
  | 'MALFORMED_CALLBACK'; // parseCallback: a body that is not the documented callback

/**
 * The partner answered nonsense. Retryable (it is usually a broken deploy or a proxy page), and
 * counted by the breaker; never a crash.
 */
export class PartnerProtocolError extends PartnerError {
  readonly retryable = true;

  constructor(code: ProtocolCode, message: string, options: PartnerErrorOptions) {
    super(code, message, options);
    this.name = 'PartnerProtocolError';
  }
}

/** What an adapter answers for an operation its partner does not offer (see `capabilities`). */
export function notSupported<T>(partner: Target, message: string): Promise<T> {
  return Promise.reject(new PermanentPartnerError('CAPABILITY_NOT_SUPPORTED', message, { partner }));
}
