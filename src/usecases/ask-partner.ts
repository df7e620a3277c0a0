/**
 * A partner asked on behalf of a request (an org check or search, a cancellation's withdrawal): its
 * failures become the caller's problems, in one place. A partner out of reach (breaker open, timeout,
 * 5xx, nonsense) is 503 PARTNER_UNAVAILABLE with Retry-After; its refusal keeps the partner's code,
 * as a 422 unless the use case says what a refusal means to it.
 */
import { PartnerError, PermanentPartnerError } from '../../adapters/errors.js';
import { BreakerOpenError, type PartnerOperation } from '../delivery/partner-caller.js';
import type { Partner } from '../delivery/partner-set.js';
import { AppError } from '../domain/errors.js';

type Refusal = (err: PermanentPartnerError) => AppError;

/** One call to the partner (through its rate limit and breaker), its failures as problems. */
export function askPartner<T>(
  partner: Partner,
  operation: PartnerOperation,
  call: (signal: AbortSignal) => Promise<T>,
  refusal?: Refusal,
): Promise<T> {
  return withPartnerProblems(partner, () => partner.caller.call(operation, call), refusal);
}

/** Work that calls the partner itself (e.g. a destination resolution), its failures as problems. */
export async function withPartnerProblems<T>(
  partner: Partner,
  work: () => Promise<T>,
  refusal: Refusal = (err) => new AppError('unprocessable', err.code, `${partner.id}: ${err.message}`),
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PermanentPartnerError) throw refusal(err);
    if (err instanceof BreakerOpenError || err instanceof PartnerError) {
      const retryInMs = err instanceof BreakerOpenError ? err.retryInMs : 5_000;
      throw new AppError(
        'unavailable',
        'PARTNER_UNAVAILABLE',
        `the ${partner.id} system cannot be reached now; try again shortly`,
        undefined,
        { retryAfterSeconds: Math.max(1, Math.ceil(retryInMs / 1000)) },
      );
    }
    throw err;
  }
}
