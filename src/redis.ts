/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (a blocking command must not
 * fail while Redis restarts); the API's own connection keeps a bound so a request fails fast instead
 * of hanging when Redis is gone.
 */
import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

export function createRedis(url: string, purpose: 'api' | 'worker', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: purpose === 'worker' ? null : 2,
    // Commands issued in the same tick (many requests at once) leave in one socket write: on the
    // intake path the socket writes, not Redis, were the largest cost.
    enableAutoPipelining: purpose === 'api',
    enableReadyCheck: true,
    connectionName: `tgw-${purpose}`,
    ...extra,
  });
}
