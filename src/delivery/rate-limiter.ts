/**
 * A per-partner request rate limit shared by every worker process: each request reserves the next
 * free slot (GCRA, one slot every 1000/L ms, kept in Redis) and waits until it comes. Requests leave
 * evenly spaced at L per second however many processes and jobs ask, so a partner that allows L
 * requests per second never answers 429 because of us. It limits partner requests, not jobs: a
 * national delivery that checks the org name and then submits takes two slots.
 */
import type { Result } from 'ioredis';
import type { RedisClient } from '../redis.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    tgwReserveSlot(key: string, intervalUs: number): Result<number, Context>;
  }
}

/**
 * KEYS[1]: the partner's theoretical arrival time (µs, Redis clock). ARGV[1]: slot interval in µs.
 * Returns how many µs the caller must wait for its slot. Redis's own clock, so processes on machines
 * with skewed clocks still share one schedule.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) / 1000) + 1000)
return tat - now
`;

export class PartnerRateLimiter {
  private readonly intervalUs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    requestsPerSecond: number,
  ) {
    this.intervalUs = Math.round(1_000_000 / requestsPerSecond);
    redis.defineCommand('tgwReserveSlot', { numberOfKeys: 1, lua: RESERVE });
  }

  /** Resolves when this request's slot has come. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const waitUs = await this.redis.tgwReserveSlot(this.key, this.intervalUs);
    if (waitUs <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, Math.ceil(waitUs / 1000));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      });
    });
  }
}
