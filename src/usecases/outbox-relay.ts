/**
 * The outbox relay: finds accepted transfers whose delivery job was never confirmed queued (the
 * process died between storing and queueing) and queues them; likewise notifications to Beijing
 * written by a transition but not confirmed queued. Safe to run in every process at once:
 * job ids are per (transfer, generation), so a job added twice is one job, and the delivery processor
 * ignores a transfer that has already moved on.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { isStoreUnavailable } from '../store/errors.js';
import { primaryOnly, type Durability } from '../store/replicas.js';
import type { TransferStore } from '../store/transfer-store.js';
import type { Enqueuer } from './create-transfer.js';
import type { NotificationEnqueuer } from './transitions.js';

export interface RelayOptions {
  graceMs: number;
  intervalMs: number;
  batch?: number;
  /** A transfer is queued only once the replicas REDIS_MIN_REPLICAS_ACK asks for hold it. */
  durability?: Durability;
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: TransferStore,
    private readonly queue: Enqueuer,
    private readonly notifications: NotificationEnqueuer,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** One pass: returns how many delivery jobs and notifications it queued. */
  async sweep(): Promise<number> {
    return (await this.sweepDeliveries()) + (await this.sweepNotifications());
  }

  private async sweepNotifications(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.options.graceMs);
    const due = await this.store.notificationOutboxDue(cutoff, this.options.batch ?? 200);
    for (const { transferId, seq } of due) {
      await this.notifications.enqueueNotification(transferId, seq);
      await this.store.removeNotificationFromOutbox(transferId, seq);
    }
    if (due.length) this.log.warn({ count: due.length }, 'outbox relay queued notifications left behind');
    return due.length;
  }

  private async sweepDeliveries(): Promise<number> {
    const due = await this.store.outboxDue(
      new Date(this.clock.now().getTime() - this.options.graceMs),
      this.options.batch ?? 200,
    );
    if (due.length === 0) return 0;
    // Left behind by a 503 for want of replicas, perhaps: queued only once they hold it.
    await (this.options.durability ?? primaryOnly).confirm();
    const found = new Map((await this.store.getMany(due)).map((t) => [t.doc.id, t]));
    let queued = 0;
    for (const id of due) {
      const transfer = found.get(id);
      if (transfer?.state === 'accepted') {
        await this.queue.enqueue(id, transfer.doc.target, transfer.generation);
        queued += 1;
        this.log.warn(
          { transferId: id, target: transfer.doc.target },
          'outbox relay queued a transfer whose job was missing',
        );
      }
      await this.store.removeFromOutbox(id);
    }
    return queued;
  }

  start(): void {
    const tick = () => {
      this.running = this.sweep().catch((err: unknown) => {
        // During a store outage the connection monitor has said so once; the next tick tries again.
        if (isStoreUnavailable(err))
          this.log.debug({ err: String(err) }, 'outbox sweep skipped: store unreachable');
        else this.log.error({ err }, 'outbox sweep failed');
        return 0;
      });
      void this.running.finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
