/** The producing side of the Beijing notification queue. Job data: ids only. */
import { Queue } from 'bullmq';
import type { Keyspace } from '../src/redis-topology.js';
import type { RedisClient } from '../src/redis.js';
import { NOTIFY_QUEUE, notificationJobId, type NotificationJobData } from './names.js';
import { notificationJobOptions } from './options.js';

export class NotificationProducer {
  readonly queue: Queue<NotificationJobData>;

  constructor(connection: RedisClient, keys: Keyspace) {
    this.queue = new Queue<NotificationJobData>(NOTIFY_QUEUE, {
      connection,
      prefix: keys.queue(NOTIFY_QUEUE),
    });
  }

  /** Idempotent per (transfer, seq). */
  async enqueueNotification(transferId: string, seq: number): Promise<void> {
    await this.queue.add(
      'notify',
      { transferId, seq },
      { ...notificationJobOptions, jobId: notificationJobId(transferId, seq) },
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
