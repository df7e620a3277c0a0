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

export async function askPartner<T>(
  partner: Partner,
  operation: PartnerOperation,
  call: (signal: AbortSignal) => Promise<T>,
  refusal: (err: PermanentPartnerError) => AppError = (err) =>
    new AppError('unprocessable', err.code, `${partner.id}: ${err.message}`),
): Promise<T> {
  try {
    return await partner.caller.call(operation, call);
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
