/**
 * The `notify-backoff` strategy is the one backoff (test/unit/backoff.test.ts) with the notification
 * settings; what it adds is reading Beijing's Retry-After from the delivery error.
 */
import { describe, expect, it } from 'vitest';
import { notifyBackoff } from '../../../queues/notify-worker.js';
import { NotificationDeliveryError } from '../../../src/notify/sender.js';

const low = notifyBackoff(1_000, 60_000, () => 0);

describe('notifyBackoff', () => {
  it("waits at least as long as Beijing's Retry-After asks, but no longer than the cap", () => {
    const asked = (ms: number) => new NotificationDeliveryError('503', { status: 503, retryAfterMs: ms });
    expect(low(1, 'notify-backoff', asked(20_000))).toBe(20_000);
    expect(low(1, 'notify-backoff', asked(3_600_000))).toBe(60_000);
    expect(low(3, 'notify-backoff', asked(100))).toBe(2_000);
  });

  it('backs off on its own when no Retry-After came', () => {
    expect(low(1, 'notify-backoff', new Error('connection refused'))).toBe(500);
    expect(low(60, 'notify-backoff', new Error('connection refused'))).toBe(30_000);
  });
});
