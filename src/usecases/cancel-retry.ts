/**
 * Cancelling a transfer (the Beijing system, before a decision) and retrying a failed one (operators).
 */
import type { Clock } from '../clock.js';
import type { PartnerSet } from '../delivery/partner-set.js';
import { AppError } from '../domain/errors.js';
import type { EventSource } from '../domain/transfer.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';
import type { Enqueuer } from './create-transfer.js';
import { factFields, RETENTION_FIELD } from '../store/facts.js';
import { askPartner } from './ask-partner.js';
import { requireTransfer } from './require-transfer.js';
import type { Transitions } from './transitions.js';

export interface ActionDeps {
  store: TransferStore;
  transitions: Transitions;
  queue: Enqueuer;
  partners: PartnerSet;
  clock: Clock;
}

const load = (deps: ActionDeps, id: string): Promise<StoredTransfer> => requireTransfer(deps.store, id);

export async function cancelTransfer(
  deps: ActionDeps,
  id: string,
  by: string,
  reason?: string,
): Promise<StoredTransfer> {
  const t = await load(deps, id);
  if (t.doc.irreversible) {
    throw new AppError(
      'conflict',
      'IRREVERSIBLE',
      `a ${t.doc.reason.kind} transfer cannot be withdrawn once started`,
    );
  }
  const cancellable = ['accepted', 'submitted', 'awaiting_local_report'] as const;
  if (!(cancellable as readonly string[]).includes(t.state)) {
    throw new AppError('conflict', 'INVALID_STATE', `a ${t.state} transfer can no longer be cancelled`);
  }
  const partnerRef = t.facts.partnerRef;
  if (t.state !== 'accepted' && partnerRef) await withdrawAtPartner(deps, t, partnerRef);

  const at = deps.clock.now().toISOString();
  const detail = { by, ...(reason ? { reason } : {}) };
  const outcome = await deps.transitions.apply(id, {
    // Withdrawn at the partner (or never sent): only the states we just checked may move.
    from: t.state === 'accepted' ? ['accepted'] : [t.state],
    to: 'cancelled',
    event: { at, type: 'cancelled', source: 'api', detail },
    notify: { detail },
  });
  if (!outcome.ok) {
    const now = outcome.reason === 'missing' ? 'gone' : outcome.currentState;
    throw new AppError(
      'conflict',
      'INVALID_STATE',
      `the transfer became ${now} meanwhile; it was not cancelled`,
    );
  }
  return load(deps, id);
}

async function withdrawAtPartner(deps: ActionDeps, t: StoredTransfer, partnerRef: string): Promise<void> {
  const partner = deps.partners.get(t.doc.target);
  if (!partner.capabilities.withdraw) {
    throw new AppError(
      'conflict',
      'WITHDRAW_NOT_SUPPORTED',
      `${t.doc.target} does not allow withdrawing a submitted application`,
    );
  }
  await askPartner(
    partner,
    'withdraw',
    (signal) => partner.adapter.withdraw({ transferId: t.doc.id, partnerRef }, { signal }),
    (err) =>
      new AppError(
        'conflict',
        err.code === 'DECISION_ALREADY_MADE' ? 'INVALID_STATE' : err.code,
        `${t.doc.target} refused the withdrawal: ${err.message}`,
      ),
  );
}

/** A failed transfer whose personal data is gone cannot be sent again: there is nothing to send. */
function purged(at?: string): AppError {
  return new AppError(
    'conflict',
    'PERSONAL_DATA_PURGED',
    `the member's personal data was erased${at ? ` at ${at}` : ''} (PII_RETENTION_DAYS after the transfer failed); ` +
      'it cannot be sent again: Beijing must submit a new transfer',
  );
}

export async function retryTransfer(
  deps: ActionDeps,
  id: string,
  by: string,
  source: EventSource = 'operator',
): Promise<StoredTransfer> {
  const t = await load(deps, id);
  if (t.state !== 'failed') {
    throw new AppError(
      'conflict',
      'INVALID_STATE',
      `only a failed transfer can be retried; this one is ${t.state}`,
    );
  }
  if (t.personalDataPurgedAt) throw purged(t.personalDataPurgedAt);
  const generation = t.generation + 1;
  const detail = { by, generation };
  const outcome = await deps.transitions.apply(id, {
    from: ['failed'],
    to: 'accepted',
    event: { at: deps.clock.now().toISOString(), type: 'retry_requested', source, detail },
    // A new generation gets a new job id, so BullMQ cannot swallow it behind the failed job's id;
    // its attempts count from here.
    set: {
      generation: String(generation),
      ...factFields({
        attemptsBase: t.attempts,
        resolvedOrg: null,
        crashRuns: 0,
        deliveryErrors: 0,
        partnerFailures: 0,
      }),
    },
    notify: { detail },
    // Checked in the step that writes: a purge that lands between our read and the change wins.
    refuseIf: RETENTION_FIELD.personalDataPurgedAt,
  });
  if (!outcome.ok && outcome.reason === 'refused') throw purged();
  if (!outcome.ok)
    throw new AppError('conflict', 'INVALID_STATE', 'the transfer changed meanwhile; it was not retried');
  await deps.queue.enqueue(id, t.doc.target, generation);
  return load(deps, id);
}
