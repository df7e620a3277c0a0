/**
 * Every call to a partner goes through here: the partner's shared rate limit, then its circuit
 * breaker. The breaker opens on a failure rate over a minimum volume, never on one failure, and only
 * the partner's own failures count: timeouts, network errors, 5xx and 429, nonsense answers. A
 * business refusal (PermanentPartnerError) is the partner working; an exception that is not a
 * PartnerError at all (our bug, data the adapter cannot encode, the rate limiter's Redis) says nothing
 * about the partner and is kept out of its statistics, so one bad transfer cannot stall the others.
 * Breaker state lives in this process (opossum); the queue-wide pause that stops every worker process
 * from spending attempts while it is open is taken by the caller of `onStateChange` (the worker,
 * through BullMQ's shared rate limit).
 */
import CircuitBreaker from 'opossum';
import { PartnerError, PermanentPartnerError } from '../../adapters/errors.js';
import type { Target } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import type { PartnerRateLimiter } from './rate-limiter.js';

export interface BreakerSettings {
  /** Failure percentage over the rolling window that opens the breaker. */
  errorThresholdPercentage: number;
  /** Calls in the window before the percentage counts at all. */
  volumeThreshold: number;
  /** How long the breaker stays open before one probe may pass (half-open). */
  resetTimeoutMs: number;
  rollingWindowMs: number;
  /**
   * The breaker's own deadline for one call, after the rate-limit wait. When it passes, the call's
   * AbortSignal fires: the HTTP request is cut, not merely no longer waited for. Set it a little above
   * the adapters' own deadline, which normally fires first.
   */
  callTimeoutMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** The breaker refused the call: nothing was sent to the partner. */
export class BreakerOpenError extends Error {
  constructor(
    readonly partner: Target,
    readonly retryInMs: number,
  ) {
    super(`${partner}: circuit breaker open, next probe in ${retryInMs} ms`);
    this.name = 'BreakerOpenError';
  }
}

type Action = (signal: AbortSignal) => Promise<unknown>;

/** Whether an error is the partner's own failure, the only kind that may open its breaker. */
export function countsAgainstPartner(err: unknown): boolean {
  return err instanceof PartnerError && !(err instanceof PermanentPartnerError);
}

export interface CallHooks {
  /**
   * Awaited once the rate-limit slot has come, right before the action runs (and only if the breaker
   * lets the call through): the delivery marks here that it is about to run partner code.
   */
  beforeCall?: () => Promise<void>;
}

export type PartnerOperation = 'submit' | 'check_org' | 'search' | 'status' | 'withdraw';

/** Told of every call that reached the partner: for latency and error metrics. */
export interface CallObserver {
  observe(target: Target, operation: PartnerOperation, outcome: string, seconds: number): void;
}

export class PartnerCaller {
  private readonly breaker: CircuitBreaker<[Action, CallHooks], unknown>;
  private openedAt = 0;
  private readonly listeners: ((state: BreakerState) => void)[] = [];

  constructor(
    readonly target: Target,
    private readonly settings: BreakerSettings,
    private readonly limiter: PartnerRateLimiter | undefined,
    private readonly log: Logger,
    private readonly observer?: CallObserver,
  ) {
    this.breaker = new CircuitBreaker<[Action, CallHooks], unknown>(
      async (action: Action, hooks: CallHooks) => {
        // One controller per call: aborting one request never touches another in flight.
        const controller = new AbortController();
        await this.limiter?.acquire(controller.signal);
        await hooks.beforeCall?.();
        const deadline = settings.callTimeoutMs
          ? setTimeout(
              () => controller.abort(new Error(`breaker deadline of ${settings.callTimeoutMs} ms`)),
              settings.callTimeoutMs,
            )
          : undefined;
        try {
          return await action(controller.signal);
        } finally {
          clearTimeout(deadline);
        }
      },
      {
        // Not opossum's own timeout, which only stops waiting: the deadline above aborts the request,
        // and the adapter turns the abort into a retryable error that counts here as a failure.
        timeout: false,
        errorThresholdPercentage: settings.errorThresholdPercentage,
        volumeThreshold: settings.volumeThreshold,
        resetTimeout: settings.resetTimeoutMs,
        rollingCountTimeout: settings.rollingWindowMs,
        rollingCountBuckets: 10,
        // true = "not the partner's failure": opossum then counts the call as a success and rejects.
        errorFilter: (err: unknown) => !countsAgainstPartner(err),
        name: `partner:${target}`,
      },
    );
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      this.changed('open');
    });
    this.breaker.on('halfOpen', () => this.changed('half_open'));
    this.breaker.on('close', () => this.changed('closed'));
  }

  private changed(state: BreakerState): void {
    this.log.warn({ partner: this.target, breaker: state }, `breaker ${state}`);
    for (const l of this.listeners) l(state);
  }

  onStateChange(listener: (state: BreakerState) => void): void {
    this.listeners.push(listener);
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  /** How long until the open breaker lets a probe through (0 when not open). */
  get remainingOpenMs(): number {
    if (!this.breaker.opened) return 0;
    return Math.max(0, this.openedAt + this.settings.resetTimeoutMs - Date.now());
  }

  async call<T>(
    operation: PartnerOperation,
    action: (signal: AbortSignal) => Promise<T>,
    hooks: CallHooks = {},
  ): Promise<T> {
    const timed: Action = async (signal) => {
      const start = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
      try {
        const result = await action(signal);
        this.observer?.observe(this.target, operation, 'ok', seconds());
        return result;
      } catch (err) {
        // Only the partner's answers are partner metrics; our own exceptions are not its latency.
        if (err instanceof PartnerError) this.observer?.observe(this.target, operation, err.code, seconds());
        throw err;
      }
    };
    try {
      return (await this.breaker.fire(timed, hooks)) as T;
    } catch (err) {
      if (isOpenBreakerRejection(err))
        throw new BreakerOpenError(this.target, Math.max(this.remainingOpenMs, 100));
      throw err;
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}

/** opossum marks its own refusal with code EOPENBREAKER (a code, not a message). */
function isOpenBreakerRejection(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EOPENBREAKER';
}
