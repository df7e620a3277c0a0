/**
 * The one backoff the gateway waits by, for partner retries and Beijing notifications alike:
 * exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random) so that
 * many retries failing together do not come back together, yet none comes almost at once. A
 * Retry-After the other side sent is honoured, up to the same cap: a partner (or Beijing) cannot park
 * a retry for longer than the gateway's own ceiling.
 */
export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `attempt` (1-based: the delay after the first failure is attempt 1). */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  const jittered = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return retryAfterMs === undefined ? jittered : Math.min(settings.maxMs, Math.max(jittered, retryAfterMs));
}
