/**
 * Injected faults, as a proxy in front of a partner would produce them: down (503), 429 with
 * Retry-After, the partner's own rate limit, flaky 500s and reset connections (seeded), malformed
 * bodies and slow answers. Business rejections are partner-specific; simulators read `reject`.
 */
import { seededRandom } from './random.js';
import { TokenBucket } from './rate-limit.js';
import { faultSpecSchema, type FaultSpec, type RateLimit } from './types.js';

type Flaky = NonNullable<FaultSpec['flaky']>;

export type FaultVerdict =
  | { kind: 'pass' }
  | {
      kind: 'answer';
      status: number;
      headers?: Record<string, string>;
      body: string;
      counter: 'down' | 'rateLimited' | 'flaky';
    }
  | { kind: 'reset' };

export class Faults {
  private spec: FaultSpec = {};
  private random: () => number = seededRandom(1);
  private bucket: TokenBucket | undefined;

  constructor(private readonly defaultRateLimit?: RateLimit) {
    this.bucket = defaultRateLimit ? new TokenBucket(defaultRateLimit) : undefined;
  }

  /** Merges a spec: present keys replace, null removes. Throws a ZodError on a bad spec. */
  set(input: unknown): void {
    const spec = faultSpecSchema.parse(input);
    const merged = Object.entries({ ...this.spec, ...spec }).filter(
      ([, v]) => v !== null && v !== undefined && v !== false,
    );
    this.spec = faultSpecSchema.parse(Object.fromEntries(merged));
    if (spec.flaky) this.random = seededRandom(spec.flaky.seed ?? 1);
    if (spec.rate_limit !== undefined) this.setRateLimit(spec.rate_limit ?? this.defaultRateLimit);
  }

  clear(): void {
    this.spec = {};
    this.setRateLimit(this.defaultRateLimit);
  }

  current(): FaultSpec & { rateLimitPerSecond?: number } {
    return { ...this.spec, ...(this.bucket ? { rateLimitPerSecond: this.bucket.limit.perSecond } : {}) };
  }

  get rejectReason(): string | undefined {
    return this.spec.reject ? (this.spec.reject.reason ?? '不符合组织关系转接条件') : undefined;
  }

  get slowMs(): number | undefined {
    return this.spec.slow?.ms;
  }

  get malformed(): 'invalid_json' | 'wrong_shape' | undefined {
    return this.spec.malformed?.kind;
  }

  /** Checked before the partner processes a request. */
  before(): FaultVerdict {
    if (this.spec.down) {
      return { kind: 'answer', status: 503, body: '503 Service Temporarily Unavailable', counter: 'down' };
    }
    if (this.spec.rate_limited) {
      const seconds = String(this.spec.rate_limited.retryAfterSeconds);
      return {
        kind: 'answer',
        status: 429,
        headers: { 'retry-after': seconds },
        body: '429 Too Many Requests',
        counter: 'rateLimited',
      };
    }
    if (this.bucket && !this.bucket.take()) {
      const seconds = String(this.bucket.retryAfterSeconds());
      return {
        kind: 'answer',
        status: 429,
        headers: { 'retry-after': seconds },
        body: '429 Too Many Requests',
        counter: 'rateLimited',
      };
    }
    return this.flaky('before');
  }

  /** Checked after the partner processed (and perhaps stored) a request: the answer is lost. */
  after(): FaultVerdict {
    return this.flaky('after');
  }

  private flaky(phase: 'before' | 'after'): FaultVerdict {
    const f: Flaky | undefined = this.spec.flaky ?? undefined;
    if (!f) return { kind: 'pass' };
    const wanted = f.phase ?? 'before';
    // One draw per phase check keeps the sequence a pure function of the seed and request order.
    const draw = this.random();
    if (wanted !== 'mixed' && wanted !== phase) return { kind: 'pass' };
    const threshold = wanted === 'mixed' ? f.percent / 200 : f.percent / 100;
    if (draw >= threshold) return { kind: 'pass' };
    const mode = f.mode ?? 'mixed';
    const reset = mode === 'reset' || (mode === 'mixed' && this.random() < 0.5);
    return reset
      ? { kind: 'reset' }
      : { kind: 'answer', status: 500, body: '500 Internal Server Error', counter: 'flaky' };
  }

  private setRateLimit(limit: RateLimit | undefined): void {
    this.bucket = limit ? new TokenBucket(limit) : undefined;
  }
}
