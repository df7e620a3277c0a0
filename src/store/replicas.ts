/**
 * "Acknowledged means replicated": with REDIS_MIN_REPLICAS_ACK=N, a request answers only once N
 * replicas hold what it wrote (Redis WAIT), so a failover that promotes one of them cannot lose an
 * acknowledged transfer.
 *
 * WAIT counts the writes of the connection it runs on. The request's own writes went through the
 * shared, pipelined connections, so a round here writes one small marker on a connection of its own
 * and waits for that: replication is one ordered stream, and a replica holding the marker holds every
 * write the primary took before it, the request's included. Rounds are group commits: requests that
 * ask while a round is running share the next one, so a busy intake costs one WAIT per round trip,
 * not one per request, and a WAIT never holds up the other commands of the request path.
 */
import type { RedisClient } from '../redis.js';
import { StoreUnavailableError } from './errors.js';

/** Fewer replicas than asked confirmed the write in time: 503, and a retry with the same key is safe. */
export class ReplicasNotConfirmedError extends StoreUnavailableError {
  constructor(
    readonly confirmed: number,
    readonly wanted: number,
  ) {
    super(`only ${confirmed} of ${wanted} Redis replicas confirmed the write in time`);
    this.name = 'ReplicasNotConfirmedError';
  }
}

/** What a use case asks before it acknowledges a write. */
export interface Durability {
  /** Resolves once the writes this process completed so far are held by enough replicas. */
  confirm(): Promise<void>;
}

/** REDIS_MIN_REPLICAS_ACK=0: acknowledged once the primary holds it (Redis's own default). */
export const primaryOnly: Durability = { confirm: () => Promise.resolve() };

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export interface ReplicaAckStats {
  rounds: number;
  confirmed: number;
  refused: number;
}

export class ReplicaAcks implements Durability {
  private waiting: Waiter[] = [];
  private running = false;
  readonly stats: ReplicaAckStats = { rounds: 0, confirmed: 0, refused: 0 };

  /**
   * `client` must be a connection of its own (nothing else waits behind its WAIT); `markerKey` a key
   * in the store's slot (on a cluster, WAIT runs on the node that holds it).
   */
  constructor(
    private readonly client: RedisClient,
    private readonly markerKey: string,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {}

  confirm(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          const confirmed = await this.round();
          if (confirmed >= this.replicas) {
            this.stats.confirmed += batch.length;
            for (const w of batch) w.resolve();
          } else {
            this.stats.refused += batch.length;
            const err = new ReplicasNotConfirmedError(confirmed, this.replicas);
            for (const w of batch) w.reject(err);
          }
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One marker write and one WAIT, in one round trip: how many replicas hold the marker. */
  private async round(): Promise<number> {
    this.stats.rounds += 1;
    const replies = await this.client
      .pipeline()
      .set(this.markerKey, String(Date.now()), 'PX', 60_000)
      .call('WAIT', String(this.replicas), String(this.timeoutMs))
      .exec();
    if (!replies) throw new StoreUnavailableError('the replica confirmation was not answered');
    for (const [err] of replies) if (err) throw err;
    const count = Number(replies[1]?.[1]);
    if (!Number.isInteger(count)) throw new StoreUnavailableError('WAIT answered no replica count');
    return count;
  }
}
