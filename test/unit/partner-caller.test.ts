/** The breaker's deadline aborts the request itself, and the breaker opens on a failure rate, not one failure. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import { BreakerOpenError, PartnerCaller } from '../../src/delivery/partner-caller.js';

const log = pino({ level: 'silent' });
const settings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 4,
  resetTimeoutMs: 60_000,
  rollingWindowMs: 10_000,
};
const unavailable = () =>
  Promise.reject(new RetryablePartnerError('PARTNER_UNAVAILABLE', 'down', { partner: 'national' }));

describe('PartnerCaller', () => {
  it("aborts the call's signal at the breaker deadline, so the request is cut rather than abandoned", async () => {
    const caller = new PartnerCaller('national', { ...settings, callTimeoutMs: 100 }, undefined, log);
    let aborted = false;
    const started = Date.now();
    const call = caller.call(
      'submit',
      (signal) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new RetryablePartnerError('ABORTED', 'aborted by caller', { partner: 'national' }));
          });
        }),
    );
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(aborted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    caller.shutdown();
  });

  it('opens on a failure rate over the minimum volume, never on business refusals', async () => {
    const caller = new PartnerCaller('guangdong', settings, undefined, log);
    const refusal = () =>
      Promise.reject(new PermanentPartnerError('REJECTED', 'no', { partner: 'guangdong' }));
    for (let i = 0; i < 10; i++)
      await expect(caller.call('submit', refusal)).rejects.toBeInstanceOf(PermanentPartnerError);
    expect(caller.state).toBe('closed');
    await expect(caller.call('submit', unavailable)).rejects.toBeInstanceOf(RetryablePartnerError);
    expect(caller.state).toBe('closed'); // one failure is not a rate over the volume
    // The refusals were healthy answers: the rate must pass 50 % of all calls (11 failures of 21).
    for (let i = 0; i < 9; i++) await caller.call('submit', unavailable).catch(() => undefined);
    expect(caller.state).toBe('closed');
    await caller.call('submit', unavailable).catch(() => undefined);
    expect(caller.state).toBe('open');
    const refused = caller.call('submit', () => Promise.resolve('sent'));
    await expect(refused).rejects.toBeInstanceOf(BreakerOpenError);
    expect(caller.remainingOpenMs).toBeGreaterThan(0);
    caller.shutdown();
  });
});
