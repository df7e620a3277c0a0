/**
 * Every change to a transfer after intake goes through here, whoever makes it (worker, callback,
 * reconciliation, operator): the store applies it atomically against the state machine and writes the
 * Beijing notification in the same step; this then queues the notification at once. If queueing
 * fails or the process dies first, the outbox relay queues it later: no change goes unannounced.
 */
import { canTransition } from '../domain/transfer.js';
import { factFields, type ErrorRecord } from '../store/facts.js';
import type { Logger } from '../log.js';
import type { TransferStore, TransitionOutcome, TransitionRequest } from '../store/transfer-store.js';

/**
 * Every change asked for must be one the domain's state machine allows: the table in
 * src/domain/transfer.ts is the authority, the per-use-case `from` lists only narrow it. A request
 * outside it is a programming error, refused before anything is written.
 */
function assertInStateMachine(request: TransitionRequest): void {
  const { from, to } = request;
  if (!to) return;
  if (from === '*') throw new Error(`a change to ${to} must name the states it may come from`);
  for (const state of from) {
    if (state !== to && !canTransition(state, to))
      throw new Error(`${state} → ${to} is not in the state machine`);
  }
}

export interface NotificationEnqueuer {
  enqueueNotification(transferId: string, seq: number): Promise<void>;
}

export class Transitions {
  constructor(
    private readonly store: TransferStore,
    private readonly notifications: NotificationEnqueuer,
    private readonly log: Logger,
  ) {}

  async apply(transferId: string, request: TransitionRequest): Promise<TransitionOutcome> {
    assertInStateMachine(request);
    const outcome = await this.store.transition(transferId, request);
    if (outcome.ok && outcome.notified) {
      try {
        await this.notifications.enqueueNotification(transferId, outcome.version);
        await this.store.removeNotificationFromOutbox(transferId, outcome.version);
      } catch (err) {
        this.log.warn({ err, transferId, seq: outcome.version }, 'notification left to the outbox relay');
      }
    }
    return outcome;
  }

  /**
   * An accepted transfer fails delivery: the error becomes its lastError and its event, and Beijing is
   * told the code and message. Applies only while the transfer is still accepted.
   */
  failDelivery(transferId: string, error: ErrorRecord): Promise<TransitionOutcome> {
    return this.apply(transferId, {
      from: ['accepted'],
      to: 'failed',
      event: { at: error.at, type: 'failed', source: 'worker', detail: error },
      set: factFields({ lastError: error }),
      notify: { detail: { code: error.code, message: error.message } },
    });
  }
}
