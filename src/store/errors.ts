/**
 * The store being out of reach is not a bug: it is a condition every caller meets the same way. The
 * HTTP layer answers it with 503 SERVICE_UNAVAILABLE and Retry-After, workers wait and try again, and
 * nobody logs it per command (the connection monitor in src/redis.ts logs each outage once).
 *
 * Recognised by type and by Redis's own error prefixes, never by a caller's message text.
 */

/** The store cannot be reached now; try again shortly. Thrown instead of waiting when a client is down. */
export class StoreUnavailableError extends Error {
  constructor(message = 'the store (Redis) cannot be reached') {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Redis reply prefixes that mean "not now" (loading after a restart, a failover, a full store). */
const UNAVAILABLE_REPLIES = [
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'OOM',
  'UNBLOCKED',
];

/** Socket-level failures of a Redis connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
  'EAI_AGAIN',
]);

/** What ioredis rejects a command with when its connection closed or gave up reconnecting for it. */
const CONNECTION_MESSAGES = [
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
];

/**
 * What ioredis reports while it looks for a server under Sentinel or on a cluster: the sentinels know
 * no reachable primary yet (a failover in progress), or no node of the cluster answers.
 */
const TOPOLOGY_MESSAGES = [
  'All sentinels are unreachable',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  "Cluster isn't ready",
];

export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  // ioredis' MaxRetriesPerRequestError (a command gave up while reconnecting) and its AbortError.
  if (err.name === 'MaxRetriesPerRequestError') return true;
  if (err.name === 'ReplyError') {
    return UNAVAILABLE_REPLIES.some((p) => err.message === p || err.message.startsWith(`${p} `));
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (err.name === 'ClusterAllFailedError') return true;
  return (
    CONNECTION_MESSAGES.includes(err.message) || TOPOLOGY_MESSAGES.some((m) => err.message.startsWith(m))
  );
}

/** An OOM reply: the store is full (noeviction). Unavailable to the caller, but an operator must act. */
export function isStoreFull(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError' && err.message.startsWith('OOM ');
}
