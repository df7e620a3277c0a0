/**
 * Queue names, in one place. NEVER RENAME a queue: jobs already waiting in Redis under the old name
 * would be orphaned. Add new names instead. Each partner's delivery queue is named in its descriptor
 * (adapters/<partner>/partner.ts), under the same rule.
 */

export const NOTIFY_QUEUE = 'notify-beijing';
/**
 * Periodic work: reconciliation with partners, local-report tracking, the delivery watchdog, the
 * retention sweep.
 */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Job data carries ids only: personal data never sits in a job. */
export interface DeliveryJobData {
  transferId: string;
}

/**
 * One job id per delivery generation: an operator's retry of a failed transfer starts a new generation,
 * so BullMQ's dedupe-by-id cannot swallow it behind the job that failed.
 */
export function deliveryJobId(transferId: string, generation: number): string {
  return `${transferId}-g${generation}`;
}

export interface NotificationJobData {
  transferId: string;
  /** The transfer's version at the change: the receiver orders notifications by it. */
  seq: number;
}

export function notificationJobId(transferId: string, seq: number): string {
  return `${transferId}-n${seq}`;
}

/** The generation a delivery job id names; 1 for ids from before generations existed. */
export function generationOfJobId(jobId: string | undefined): number {
  const match = /-g(\d+)$/.exec(jobId ?? '');
  return match ? Number(match[1]) : 1;
}
