/** The `notify-backoff` strategy: capped exponential, equal jitter, Retry-After honoured up to the cap. */
import { describe, expect, it } from 'vitest';
import { notifyBackoff } from '../../../queues/notify-worker.js';
import { NotificationDeliveryError } from '../../../src/notify/sender.js';

const low = notifyBackoff(1_000, 60_000, () => 0);
const high = notifyBackoff(1_000, 60_000, () => 1);

describe('notifyBackoff', () => {
  it('doubles per attempt, with jitter between half and all of the step', () => {
    expect([1, 2, 3, 4].map((n) => high(n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3, 4].map((n) => low(n))).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('never exceeds the cap, even after many attempts', () => {
    expect(high(7)).toBe(60_000);
    expect(high(60)).toBe(60_000);
    expect(high(5_000)).toBe(60_000);
    expect(low(60)).toBe(30_000);
  });

  it("waits at least as long as Beijing's Retry-After asks, but no longer than the cap", () => {
    const asked = (ms: number) => new NotificationDeliveryError('503', { status: 503, retryAfterMs: ms });
    expect(low(1, 'notify-backoff', asked(20_000))).toBe(20_000);
    expect(low(1, 'notify-backoff', asked(3_600_000))).toBe(60_000);
    expect(low(3, 'notify-backoff', asked(100))).toBe(2_000);
  });
});
