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
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './log.js';
import type { RedisTopology } from './redis-topology.js';
import { isStoreFull, isStoreUnavailable, StoreUnavailableError } from './store/errors.js';

export type { Redis, Cluster };
/** A connection to the gateway's Redis, whatever its topology: one server or primary, or a cluster. */
export type RedisClient = Redis | Cluster;

/** One server: a single Redis, the primary under Sentinel, or one node of a cluster. */
export type RedisNode = Redis;

export type RedisPurpose = 'api' | 'worker';

/**
 * The servers that hold the data: the one server, or every primary of a cluster (as the client's slot
 * map knows them). Commands about a server rather than a key (INFO, CONFIG, BGREWRITEAOF, SCAN) go to
 * each of these: on a cluster, a keyless command sent through the client reaches one node at random.
 */
export function primaries(client: RedisClient): RedisNode[] {
  if (!(client instanceof Cluster)) return [client];
  const nodes = client.nodes('master');
  // No slot map yet (still connecting, or every node lost): nothing can be asked.
  if (nodes.length === 0) throw new StoreUnavailableError('no Redis Cluster primary is known yet');
  return nodes;
}

/** Reconnect quickly at first, then every 2 s at most, for ever: an outage ends without a restart. */
const reconnectDelay = (times: number) => Math.min(50 * times, 2_000);

/**
 * After a failover the old primary may come back as a replica while a connection still points at it:
 * a write then fails with READONLY. Reconnecting (through the sentinels) finds the new primary, and
 * the command is sent again there.
 */
const reconnectOnReadonly = (err: Error): 2 | false => (err.message.startsWith('READONLY') ? 2 : false);

export function createRedis(
  topology: RedisTopology,
  purpose: RedisPurpose,
  extra: RedisOptions = {},
): RedisClient {
  const common: RedisOptions = {
    maxRetriesPerRequest: purpose === 'worker' ? null : 2,
    // Commands issued in the same tick (many requests at once) leave in one socket write: on the
    // intake path the socket writes, not Redis, were the largest cost.
    enableAutoPipelining: purpose === 'api',
    enableReadyCheck: true,
    connectionName: `tgw-${purpose}`,
    retryStrategy: reconnectDelay,
    reconnectOnError: reconnectOnReadonly,
    ...extra,
  };
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, common);
    case 'sentinel': {
      const { auth } = topology;
      return new Redis({
        ...common,
        sentinels: topology.sentinels,
        name: topology.name,
        role: 'master',
        db: topology.db,
        ...(auth.username ? { username: auth.username } : {}),
        ...(auth.password ? { password: auth.password } : {}),
        ...(auth.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
        // Ask the sentinels again at once when they announce a new primary, rather than waiting for
        // the old connection to fail.
        failoverDetector: true,
        sentinelRetryStrategy: reconnectDelay,
      });
    }
    case 'cluster': {
      const { auth } = topology;
      const { enableAutoPipelining, maxRetriesPerRequest, ...nodeOptions } = common;
      return new Cluster(topology.nodes, {
        enableAutoPipelining,
        enableReadyCheck: true,
        clusterRetryStrategy: reconnectDelay,
        // A slot moved by a failover or a resharding: follow the redirections.
        maxRedirections: 32,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 500,
        retryDelayOnTryAgain: 200,
        scaleReads: 'master',
        redisOptions: {
          ...nodeOptions,
          maxRetriesPerRequest,
          ...(auth.username ? { username: auth.username } : {}),
          ...(auth.password ? { password: auth.password } : {}),
          ...(auth.tls ? { tls: {} } : {}),
        },
      });
    }
  }
}

/** Where BullMQ classes report their errors: true when it was a Redis outage (then already logged). */
export interface OutageSink {
  noteOutage(name: string, err: unknown): boolean;
}

const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

interface Watched {
  client: RedisClient;
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
  watch<C extends RedisClient>(client: C, name: string, options: { essential?: boolean } = {}): C {
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

  private restored(name: string, client: RedisClient): void {
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

/** What /readyz and /metrics say of the Redis the gateway writes to. */
export interface TopologyView {
  mode: RedisTopology['kind'];
  /** What the server the store writes to says it is (ROLE): master, or slave when misdirected. */
  role: string;
  /** host:port of the primary written to; on a cluster every primary, sorted. */
  primary: string;
  /** Changes of primary this process followed since it started (a failover, a resharding). */
  failovers: number;
  /** Replicas connected to that primary, as it reported them (not on a cluster). */
  replicas?: number;
}

/**
 * Follows which server the store's connection writes to. Under Sentinel a failover shows as a new
 * address on the next `ready`; on a cluster as a new set of primaries after a slot refresh. Each change
 * is logged once and counted.
 */
export class TopologyWatch {
  private primary = '';
  private role = 'unknown';
  private failovers = 0;
  private replicas: number | undefined;

  constructor(
    private readonly mode: RedisTopology['kind'],
    private readonly client: RedisClient,
    private readonly log: Logger,
  ) {
    if (client instanceof Cluster) {
      client.on('refresh', () => this.seen(clusterPrimaries(client), 'master'));
      client.on('ready', () => this.seen(clusterPrimaries(client), 'master'));
    } else {
      client.on('ready', () => void this.readRole(client));
    }
  }

  view(): TopologyView {
    return {
      mode: this.mode,
      role: this.role,
      primary: this.primary,
      failovers: this.failovers,
      ...(this.replicas === undefined ? {} : { replicas: this.replicas }),
    };
  }

  /** ROLE of the server now: asked by readiness, so a gateway pointed at a replica is not ready. */
  async refresh(): Promise<TopologyView> {
    if (this.client instanceof Cluster) this.seen(clusterPrimaries(this.client), 'master');
    else await this.readRole(this.client);
    return this.view();
  }

  private async readRole(client: Redis): Promise<void> {
    const address = client.stream
      ? `${client.stream.remoteAddress ?? '?'}:${client.stream.remotePort ?? '?'}`
      : '';
    try {
      const reply = (await client.call('ROLE')) as unknown[];
      // A primary answers ["master", offset, [[host, port, offset], …]]: one entry per replica.
      this.replicas = Array.isArray(reply[2]) ? reply[2].length : undefined;
      const role = reply[0];
      this.seen(address, typeof role === 'string' ? role : 'unknown');
    } catch {
      // Down again already: the outage is logged by RedisHealth; the next ready reads it.
    }
  }

  private seen(primary: string, role: string): void {
    this.role = role;
    if (!primary || primary === this.primary) return;
    if (this.primary) {
      this.failovers += 1;
      this.log.warn({ redis: this.mode, from: this.primary, to: primary }, 'redis primary changed');
    }
    this.primary = primary;
  }
}

function clusterPrimaries(cluster: Cluster): string {
  return cluster
    .nodes('master')
    .map((n) => `${n.options.host ?? '?'}:${n.options.port ?? '?'}`)
    .sort()
    .join(',');
}
