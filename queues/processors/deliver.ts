/**
 * The delivery processor: one use case call, its decision put into BullMQ's terms. A retry is a
 * delay we compute (backoff with jitter, Retry-After honoured), not BullMQ's attempt counter; an open
 * breaker pauses the whole queue through BullMQ's shared rate limit, so no worker in any process
 * takes a job, and no transfer spends an attempt, until the probe time comes.
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import {
  deliverTransfer,
  type DeliveryDeps,
  type DeliveryOutcome,
} from '../../src/usecases/deliver-transfer.js';
import { generationOfJobId, type DeliveryJobData } from '../names.js';

export function deliveryProcessor(deps: DeliveryDeps, worker: () => Worker<DeliveryJobData>) {
  return async (job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> => {
    const outcome = await deliverTransfer(deps, job.data.transferId, generationOfJobId(job.id));
    if (outcome.kind === 'retry') {
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'paused') {
      await worker().rateLimit(outcome.forMs);
      throw Worker.RateLimitError();
    }
    return outcome;
  };
}
