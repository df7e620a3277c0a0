/** The breaker's deadline aborts the request itself, and the breaker opens on a failure rate, not one failure. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PartnerProtocolError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
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

  it("counts only the partner's own failures: our exceptions never open its breaker", async () => {
    const caller = new PartnerCaller('national', settings, undefined, log);
    const encodingBug = () => Promise.reject(new URIError('URI malformed'));
    const typeError = () =>
      Promise.reject(new TypeError("Cannot read properties of undefined (reading 'x')"));
    for (let i = 0; i < 20; i++) {
      await expect(caller.call('check_org', encodingBug)).rejects.toBeInstanceOf(URIError);
      await expect(caller.call('submit', typeError)).rejects.toBeInstanceOf(TypeError);
    }
    expect(caller.state).toBe('closed');
    // The same volume of the partner's own failures (nonsense answers, 5xx) does open it.
    const nonsense = () =>
      Promise.reject(new PartnerProtocolError('MALFORMED_RESPONSE', 'not JSON', { partner: 'national' }));
    for (let i = 0; i < 4; i++) await caller.call('submit', nonsense).catch(() => undefined);
    for (let i = 0; i < 40; i++) await caller.call('submit', unavailable).catch(() => undefined);
    expect(caller.state).toBe('open');
    caller.shutdown();
  });

  it('runs beforeCall after the rate-limit slot and only when the breaker lets the call through', async () => {
    const order: string[] = [];
    const limiter = {
      acquire: () => {
        order.push('slot');
        return Promise.resolve();
      },
    };
    const caller = new PartnerCaller('fujian', { ...settings, volumeThreshold: 1 }, limiter as never, log);
    const hooks = {
      beforeCall: () => {
        order.push('before');
        return Promise.resolve();
      },
    };
    await caller.call('submit', () => (order.push('action'), Promise.resolve('ok')), hooks);
    expect(order).toEqual(['slot', 'before', 'action']);
    for (let i = 0; i < 3; i++) await caller.call('submit', unavailable, hooks).catch(() => undefined);
    expect(caller.state).toBe('open');
    order.length = 0;
    await expect(caller.call('submit', () => Promise.resolve('x'), hooks)).rejects.toBeInstanceOf(
      BreakerOpenError,
    );
    expect(order).toEqual([]);
    caller.shutdown();
  });
});
