/**
 * Redis connections, and how their outages are told.
 *
 * BullMQ workers need `maxRetriesPerRequest: null` (a blocking command must not fail while Redis
 * restarts); the API's own connections keep a bound so a request fails fast instead of hanging when
 * Redis is gone, and the HTTP layer answers 503 at once while they are down.
 *
 * Every client gets an `error` listener (without one ioredis prints a raw stack to stderr on every
 * reconnect attempt). The listener belongs to RedisHealth, which logs an outage once per client and
 * state change — "unreachable" when it starts, "reachable again" with its length when it ends — never
 * once per command or reconnect attempt. BullMQ's own connections (a worker's blocking connection)
 * report through `noteError`, and are cleared when the gateway's own clients are back.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './log.js';
import { isStoreFull, isStoreUnavailable } from './store/errors.js';

export type { Redis };

export type RedisPurpose = 'api' | 'worker';

export function createRedis(url: string, purpose: RedisPurpose, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: purpose === 'worker' ? null : 2,
    // Commands issued in the same tick (many requests at once) leave in one socket write: on the
    // intake path the socket writes, not Redis, were the largest cost.
    enableAutoPipelining: purpose === 'api',
    enableReadyCheck: true,
    connectionName: `tgw-${purpose}`,
    // Reconnect quickly at first, then every 2 s at most, for ever: an outage ends without a restart.
    retryStrategy: (times) => Math.min(50 * times, 2_000),
    ...extra,
  });
}

/** Where BullMQ classes report their errors: true when it was a Redis outage (then already logged). */
export interface OutageSink {
  noteOutage(name: string, err: unknown): boolean;
}

const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

interface Watched {
  client: Redis;
  /** Counted for `available`: the request path cannot work without it. */
  essential: boolean;
}

export class RedisHealth implements OutageSink {
  private readonly watched = new Map<string, Watched>();
  /** name → when its outage began (ms), for every client (or BullMQ connection) now down. */
  private readonly down = new Map<string, number>();
  private readonly listeners: ((name: string, up: boolean) => void)[] = [];
  private outages = 0;

  constructor(private readonly log: Logger) {}

  /** Attaches the listeners to a client of ours. `essential` ones decide `available`. */
  watch(client: Redis, name: string, options: { essential?: boolean } = {}): Redis {
    this.watched.set(name, { client, essential: options.essential ?? true });
    client.on('error', (err: unknown) => {
      if (!this.noteOutage(name, err)) this.log.error({ redis: name, err }, 'redis error');
    });
    client.on('ready', () => this.restored(name, client));
    client.on('end', () => this.watched.delete(name));
    return client;
  }

  /**
   * False while an essential client is known to be cut off (it reported a connection error, or it is
   * reconnecting): requests that need Redis are refused at once then. A client still making its first
   * connection counts as available: its commands wait the few milliseconds that takes.
   */
  get available(): boolean {
    for (const [name, { client, essential }] of this.watched) {
      if (!essential) continue;
      if (this.down.has(name) || DISCONNECTED.has(client.status)) return false;
    }
    return true;
  }

  /** Outages begun since start (for metrics). */
  get outageCount(): number {
    return this.outages;
  }

  /** Every watched client with whether it is connected now (for /readyz and /metrics). */
  states(): Record<string, boolean> {
    return Object.fromEntries([...this.watched].map(([name, w]) => [name, w.client.status === 'ready']));
  }

  onChange(listener: (name: string, up: boolean) => void): void {
    this.listeners.push(listener);
  }

  /**
   * An error from a client or a BullMQ class. A connection error starts an outage (logged once) or is
   * part of one (not logged again): true. Anything else is not an outage (false), and the caller logs
   * it as the error it is.
   */
  noteOutage(name: string, err: unknown): boolean {
    if (isStoreUnavailable(err)) {
      if (this.down.has(name)) return true;
      this.down.set(name, Date.now());
      if (this.down.size === 1) this.outages += 1;
      const fields = { redis: name, err: describe(err) };
      // A full store (noeviction at maxmemory) needs an operator; a lost connection heals on its own.
      if (isStoreFull(err)) this.log.error(fields, 'redis refuses writes: out of memory');
      else this.log.warn(fields, 'redis unreachable; retrying');
      for (const l of this.listeners) l(name, false);
      return true;
    }
    return false;
  }

  private restored(name: string, client: Redis): void {
    const since = this.down.get(name);
    if (since === undefined) return;
    this.down.delete(name);
    this.log.info({ redis: name, downMs: Date.now() - since }, 'redis reachable again');
    for (const l of this.listeners) l(name, true);
    // BullMQ's own connections report errors but not their recovery: they use the same server, so
    // they are back when every client of ours is.
    if (this.available && client.status === 'ready') {
      for (const [other, began] of [...this.down]) {
        if (this.watched.has(other)) continue;
        this.down.delete(other);
        this.log.info({ redis: other, downMs: Date.now() - began }, 'redis reachable again');
        for (const l of this.listeners) l(other, true);
      }
    }
  }
}

/** The error's code and message without its stack: an outage is a condition, not a crash. */
function describe(err: unknown): { name?: string; code?: string; message: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return { name: err.name, ...(typeof code === 'string' ? { code } : {}), message: err.message };
}
