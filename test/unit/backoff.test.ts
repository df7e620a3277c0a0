/** The one backoff: capped exponential, equal jitter, Retry-After honoured up to the same cap. */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/domain/backoff.js';

const settings = { baseMs: 1_000, maxMs: 60_000 };
const low = (n: number, retryAfterMs?: number) => backoffDelay(n, settings, retryAfterMs, () => 0);
const high = (n: number, retryAfterMs?: number) => backoffDelay(n, settings, retryAfterMs, () => 1);

describe('backoffDelay', () => {
  it('doubles per attempt, with jitter between half and all of the step', () => {
    expect([1, 2, 3, 4].map((n) => high(n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3, 4].map((n) => low(n))).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('never exceeds the cap, even after many attempts', () => {
    expect(high(7)).toBe(60_000);
    expect(high(5_000)).toBe(60_000);
    expect(low(60)).toBe(30_000);
  });

  it('waits at least as long as Retry-After asks, but no longer than the cap', () => {
    expect(low(1, 20_000)).toBe(20_000);
    expect(low(1, 3_600_000)).toBe(60_000);
    expect(low(3, 100)).toBe(2_000);
  });
});
