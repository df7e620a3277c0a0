/**
 * Delivers one stored notification to Beijing. The job carries ids only; the content is read from the
 * store at each attempt, so nothing personal ever sits in the queue.
 */
import type { Logger } from '../log.js';
import type { TransferStore } from '../store/transfer-store.js';
import type { NotificationSender } from './sender.js';

export interface NotificationDeps {
  store: Pick<TransferStore, 'getNotification' | 'getMany'>;
  sender: Pick<NotificationSender, 'send'>;
  log: Logger;
}

export type NotificationOutcome = { kind: 'delivered' } | { kind: 'missing' };

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
  deps.log.debug(
    { transferId, seq, type: notification.type, state: notification.state },
    'notification delivered',
  );
  return { kind: 'delivered' };
}
