import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../adapters/http.js';
import { Faults } from '../../adapters/sim/faults.js';
import { TokenBucket } from '../../adapters/sim/rate-limit.js';

describe('simulator kit', () => {
  it('rate limit: a token bucket refilled at perSecond, burst forgiven up to its capacity', () => {
    let t = 0;
    const bucket = new TokenBucket({ perSecond: 10, burst: 10 }, () => t);
    expect(Array.from({ length: 12 }, () => bucket.take()).filter(Boolean)).toHaveLength(10);
    t += 100; // one token back
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.retryAfterSeconds()).toBe(1);
    // Sustained: over 10 s at most 10/s + the burst get through.
    let passed = 0;
    for (let i = 0; i < 1000; i++) {
      t += 10;
      if (bucket.take()) passed++;
    }
    expect(passed).toBeLessThanOrEqual(101);
    expect(new TokenBucket({ perSecond: 50 }).capacity).toBe(55);
  });

  it('flaky faults are deterministic for a seed', () => {
    const run = () => {
      const f = new Faults();
      f.set({ flaky: { percent: 30, seed: 42 } });
      return Array.from({ length: 200 }, () => f.before().kind);
    };
    const a = run();
    expect(run()).toEqual(a);
    const failures = a.filter((k) => k !== 'pass').length;
    expect(failures).toBeGreaterThan(35);
    expect(failures).toBeLessThan(85);
  });

  it('faults merge, clear one by one with null, and refuse nonsense', () => {
    const f = new Faults({ perSecond: 5 });
    f.set({ down: true, slow: { ms: 10 } });
    f.set({ slow: null });
    expect(f.current()).toEqual({ down: true, rateLimitPerSecond: 5 });
    f.set({ rate_limit: { perSecond: 9 } });
    expect(f.current().rateLimitPerSecond).toBe(9);
    f.clear();
    expect(f.current()).toEqual({ rateLimitPerSecond: 5 });
    expect(() => f.set({ flaky: { percent: 101 } })).toThrow();
    expect(() => f.set({ explode: true })).toThrow();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-06-30T02:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 30 Jun 2025 02:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 30 Jun 2025 01:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
