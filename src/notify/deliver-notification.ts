/**
 * Delivers one stored notification to Beijing. The job carries ids only; the content is read from the
 * store at each attempt, so nothing personal ever sits in the queue. Once Beijing acknowledges it, the
 * record has done its work and is deleted; the job keeps a summary (type, states, time) for operators.
 */
import type { Logger } from '../log.js';
import type { TransferStore } from '../store/transfer-store.js';
import type { NotificationSender } from './sender.js';

export interface NotificationDeps {
  store: Pick<TransferStore, 'getNotification' | 'getMany' | 'deleteNotification'>;
  sender: Pick<NotificationSender, 'send'>;
  log: Logger;
}

/** What a delivered notification was, kept as its job's return value once its record is deleted. */
export interface NotificationSummary {
  type: string;
  state: string;
  previousState: string;
  at: string;
}

export type NotificationOutcome = ({ kind: 'delivered' } & NotificationSummary) | { kind: 'missing' };

/** Throws NotificationDeliveryError when Beijing does not acknowledge, so the queue retries. */
export async function deliverNotification(
  deps: NotificationDeps,
  transferId: string,
  seq: number,
): Promise<NotificationOutcome> {
  const [notification, [transfer]] = await Promise.all([
    deps.store.getNotification(transferId, seq),
    deps.store.getMany([transferId]),
  ]);
  if (!notification || !transfer) {
    // Nothing to send will ever appear for this job: retrying would only fill the failed list.
    deps.log.warn({ transferId, seq }, 'notification record missing; nothing sent');
    return { kind: 'missing' };
  }
  await deps.sender.send({ ...notification, transferId, externalRef: transfer.doc.externalRef });
  // Should this fail (or the process die first), the job runs again and Beijing drops the repeat by
  // its webhook-id; once deleted, a later run of the job finds nothing to send.
  await deps.store.deleteNotification(transferId, seq);
  deps.log.debug(
    { transferId, seq, type: notification.type, state: notification.state },
    'notification delivered',
  );
  const { type, state, previousState, at } = notification;
  return { kind: 'delivered', type, state, previousState, at };
}
