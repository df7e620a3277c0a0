/**
 * The delivery watchdog: no transfer may sit in `accepted` with no live job behind it. A job can vanish
 * (trimmed, or Redis restored from an older snapshot) or die outside our retry logic (BullMQ fails a
 * job that stalled more than maxStalledCount times, skipping its retries). A missing job is queued
 * again; a dead one fails its transfer with DELIVERY_JOB_FAILED, for an operator's retry.
 */
import type { Queue } from 'bullmq';
import type { Clock } from '../clock.js';
import type { Target } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import type { TransferStore } from '../store/transfer-store.js';
import { deliveryJobId, type DeliveryJobData } from '../../queues/names.js';
import type { Enqueuer } from './create-transfer.js';
import type { Transitions } from './transitions.js';

export class DeliveryWatchdog {
  private cursor: string | undefined;

  constructor(
    private readonly store: TransferStore,
    private readonly transitions: Transitions,
    private readonly queues: Readonly<Record<Target, Queue<DeliveryJobData>>>,
    private readonly enqueuer: Enqueuer,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly minAgeMs: number,
  ) {}

  /** Checks one page of accepted transfers, continuing where the last pass stopped. */
  async sweep(pageSize = 500): Promise<{ requeued: number; failed: number }> {
    const page = await this.store.list({ state: 'accepted' }, pageSize, this.cursor);
    this.cursor = page.next;
    let requeued = 0;
    let failed = 0;
    const now = this.clock.now();
    for (const t of page.items) {
      if (now.getTime() - Date.parse(t.updatedAt) < this.minAgeMs) continue;
      if (await this.store.inOutbox(t.doc.id)) continue; // the outbox relay owns it
      const jobId = deliveryJobId(t.doc.id, t.generation);
      const queue = this.queues[t.doc.target];
      const state = await queue.getJobState(jobId);
      if (state === 'unknown') {
        await this.enqueuer.enqueue(t.doc.id, t.doc.target, t.generation);
        await this.transitions.apply(t.doc.id, {
          from: ['accepted'],
          event: {
            at: now.toISOString(),
            type: 'requeued',
            source: 'worker',
            detail: { why: 'delivery job missing' },
          },
        });
        this.log.warn({ transferId: t.doc.id }, 'watchdog re-queued a transfer whose job was missing');
        requeued += 1;
      } else if (state === 'failed') {
        const job = await queue.getJob(jobId);
        const error = {
          code: 'DELIVERY_JOB_FAILED',
          message: `the delivery job died outside the retry logic: ${job?.failedReason ?? 'unknown reason'}`,
          at: now.toISOString(),
        };
        const outcome = await this.transitions.failDelivery(t.doc.id, error);
        if (outcome.ok) failed += 1;
        this.log.error(
          { transferId: t.doc.id, reason: job?.failedReason },
          'delivery job failed outside the retry logic',
        );
      }
    }
    return { requeued, failed };
  }
}
