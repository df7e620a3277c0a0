/**
 * Which Redis the gateway runs on, as the configuration describes it: one server (REDIS_URL), a primary
 * watched by Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME), or a Redis Cluster (REDIS_CLUSTER_NODES).
 * Plain data, so the config module can build it without depending on a Redis client.
 */
export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS for the data nodes (from REDIS_URL when Sentinel or Cluster is used). */
export interface RedisAuth {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTopology =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      sentinelPassword?: string;
      auth: RedisAuth;
      db: number;
    }
  | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth };

/**
 * Where keys live. On one server or under Sentinel the layout is the one every earlier version wrote:
 * `<prefix>:…` for the store and BullMQ's `<prefix>:<queue>:…`. On a cluster every key carries a hash
 * tag: the store's keys share one slot (its scripts touch several at once), and each queue gets a tag
 * of its own, so its keys share a slot (BullMQ's scripts need that) while different queues spread over
 * the cluster's primaries.
 */
export interface Keyspace {
  /** The start of every store key (record, indexes, outboxes, retention schedules). */
  store: string;
  /** The BullMQ prefix of a queue. */
  queue(name: string): string;
}

export function keyspace(topology: RedisTopology, prefix: string): Keyspace {
  if (topology.kind === 'cluster') {
    return { store: `{${prefix}}`, queue: (name) => `{${prefix}:${name}}` };
  }
  return { store: prefix, queue: () => prefix };
}
