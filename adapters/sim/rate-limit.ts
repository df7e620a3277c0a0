/**
 * The partner's own request limit: a token bucket refilled continuously at perSecond. Sustained
 * throughput can never exceed perSecond; `burst` only decides how much jitter is forgiven.
 */
import type { RateLimit } from './types.js';

export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly capacity: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.capacity = limit.burst ?? Math.max(1, limit.perSecond + Math.ceil(limit.perSecond / 10));
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.limit.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is back, for Retry-After. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limit.perSecond));
  }
}
