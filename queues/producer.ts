/**
 * The producing side of the delivery queues: one BullMQ Queue per target, sharing one connection.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { TARGETS, type Target } from '../src/domain/transfer.js';
import { DELIVERY_QUEUES, deliveryJobId, type DeliveryJobData } from './names.js';
import { deliveryJobOptions } from './options.js';

export class DeliveryProducer {
  readonly queues: Readonly<Record<Target, Queue<DeliveryJobData>>>;

  constructor(connection: Redis, prefix: string) {
    const make = (t: Target) => new Queue<DeliveryJobData>(DELIVERY_QUEUES[t], { connection, prefix });
    this.queues = Object.fromEntries(TARGETS.map((t) => [t, make(t)])) as Record<
      Target,
      Queue<DeliveryJobData>
    >;
  }

  /** Idempotent per (transfer, generation): adding the same generation twice leaves one job. */
  async enqueue(transferId: string, target: Target, generation: number): Promise<void> {
    await this.queues[target].add(
      'deliver',
      { transferId },
      { ...deliveryJobOptions, jobId: deliveryJobId(transferId, generation) },
    );
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
