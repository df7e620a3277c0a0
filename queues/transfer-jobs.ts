/**
 * A transfer's jobs, by the ids they were given (queues/names.ts): removed when the transfer expires,
 * so that an exhausted notification waits for its replay exactly as long as its transfer exists.
 */
import type { Queue } from 'bullmq';
import type { Target } from '../src/domain/transfer.js';
import type { TransferJobs } from '../src/usecases/retention.js';
import { deliveryJobId, notificationJobId } from './names.js';

export class QueuedTransferJobs implements TransferJobs {
  constructor(
    private readonly deliveryQueues: Readonly<Record<Target, Queue>>,
    private readonly notifyQueue: Queue,
  ) {}

  async removeJobs(t: { id: string; target: Target; version: number; generation: number }): Promise<void> {
    const ids: [Queue, string][] = [];
    const delivery = this.deliveryQueues[t.target];
    if (delivery) for (let g = 1; g <= t.generation; g += 1) ids.push([delivery, deliveryJobId(t.id, g)]);
    for (let seq = 1; seq <= t.version; seq += 1) ids.push([this.notifyQueue, notificationJobId(t.id, seq)]);
    let locked: Error | undefined;
    for (const [queue, jobId] of ids) {
      try {
        await queue.remove(jobId); // 0 when there is no such job (trimmed, or never created)
      } catch (err) {
        locked = err as Error; // a job being worked on right now cannot be removed
      }
    }
    if (locked) throw locked;
  }
}
