/**
 * The delivery watchdog: no transfer may sit in `accepted` with no live job behind it. A job can
 * vanish (trimmed, or Redis restored from an older snapshot) or end without deciding the transfer
 * (BullMQ gave up on it after errors that were not the partner's, such as the store being out of
 * reach). Either way the transfer is stranded, not failed: the watchdog queues it again. BullMQ's end
 * of a job is never the transfer's end: only the delivery itself fails a transfer (a partner's refusal,
 * exhausted attempts, failures on our side, a crash loop), so a transfer that was never sent is never
 * failed here. One that already spent every attempt fails with RETRIES_EXHAUSTED, as it would have.
 */
import type { Queue } from 'bullmq';
import type { Clock } from '../clock.js';
import type { Target } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';
import { deliveryJobId, type DeliveryJobData } from '../../queues/names.js';
import type { Enqueuer } from './create-transfer.js';
import type { Transitions } from './transitions.js';

/** Job states in which a job will still run: its transfer is not stranded. */
const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export interface WatchdogReport {
  requeued: number;
  failed: number;
}

export class DeliveryWatchdog {
  private cursor: string | undefined;

  constructor(
    private readonly store: TransferStore,
    private readonly transitions: Transitions,
    private readonly delivery: Enqueuer & { queue(target: Target): Queue<DeliveryJobData> },
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly minAgeMs: number,
    /** Partner attempts per generation (DELIVERY_MAX_ATTEMPTS). */
    private readonly maxAttempts: number,
  ) {}

  /** Checks one page of accepted transfers, continuing where the last pass stopped. */
  async sweep(pageSize = 500): Promise<WatchdogReport> {
    const page = await this.store.list({ state: 'accepted' }, pageSize, this.cursor);
    this.cursor = page.next;
    const report: WatchdogReport = { requeued: 0, failed: 0 };
    const now = this.clock.now();
    for (const t of page.items) {
      if (now.getTime() - Date.parse(t.updatedAt) < this.minAgeMs) continue;
      if (await this.store.inOutbox(t.doc.id)) continue; // the outbox relay owns it
      const jobId = deliveryJobId(t.doc.id, t.generation);
      const queue = this.delivery.queue(t.doc.target);
      const state = await queue.getJobState(jobId);
      if (LIVE.has(state)) continue;
      const why =
        state === 'unknown'
          ? 'delivery job missing'
          : `delivery job ${state} without deciding the transfer${await this.reasonOf(queue, jobId)}`;
      const spent = t.facts.partnerFailures;
      if (spent >= this.maxAttempts) {
        const outcome = await this.transitions.failDelivery(t.doc.id, {
          code: 'RETRIES_EXHAUSTED',
          message: `gave up after ${spent} failed tries (${why})`,
          at: now.toISOString(),
        });
        if (outcome.ok) report.failed += 1;
        continue;
      }
      await this.requeue(t, queue, jobId, state, why, now);
      report.requeued += 1;
    }
    return report;
  }

  private async reasonOf(queue: Queue<DeliveryJobData>, jobId: string): Promise<string> {
    const job = await queue.getJob(jobId);
    return job?.failedReason ? `: ${job.failedReason}` : '';
  }

  private async requeue(
    t: StoredTransfer,
    queue: Queue<DeliveryJobData>,
    jobId: string,
    state: string,
    why: string,
    now: Date,
  ): Promise<void> {
    // A finished job keeps its id: it must go before the same id can be queued again.
    if (state !== 'unknown') await queue.remove(jobId);
    await this.delivery.enqueue(t.doc.id, t.doc.target, t.generation);
    await this.transitions.apply(t.doc.id, {
      from: ['accepted'],
      event: { at: now.toISOString(), type: 'requeued', source: 'worker', detail: { why } },
    });
    this.log.warn(
      { transferId: t.doc.id, target: t.doc.target, why },
      'watchdog re-queued a stranded transfer',
    );
  }
}
