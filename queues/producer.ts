/**
 * The producing side of the delivery queues: one BullMQ Queue per partner (named in its descriptor),
 * sharing one connection.
 */
import { Queue } from 'bullmq';
import type { Keyspace } from '../src/redis-topology.js';
import type { RedisClient } from '../src/redis.js';
import { UnknownPartnerError } from '../adapters/partner.js';
import type { Target } from '../src/domain/transfer.js';
import { deliveryJobId, type DeliveryJobData } from './names.js';
import { deliveryJobOptions } from './options.js';

export class DeliveryProducer {
  /** Each partner's delivery queue, by partner id. */
  readonly queues: Readonly<Record<Target, Queue<DeliveryJobData>>>;

  constructor(connection: RedisClient, keys: Keyspace, partners: readonly { id: Target; queue: string }[]) {
    this.queues = Object.fromEntries(
      partners.map((p) => [
        p.id,
        new Queue<DeliveryJobData>(p.queue, { connection, prefix: keys.queue(p.queue) }),
      ]),
    );
  }

  queue(target: Target): Queue<DeliveryJobData> {
    const q = this.queues[target];
    if (!q) throw new UnknownPartnerError(target, Object.keys(this.queues));
    return q;
  }

  /** Idempotent per (transfer, generation): adding the same generation twice leaves one job. */
  async enqueue(transferId: string, target: Target, generation: number): Promise<void> {
    await this.queue(target).add(
      'deliver',
      { transferId },
      { ...deliveryJobOptions, jobId: deliveryJobId(transferId, generation) },
    );
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
