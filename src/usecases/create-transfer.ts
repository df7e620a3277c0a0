/**
 * Accepting a transfer. A 202 means two things are true: the transfer is stored, and its delivery job
 * is on the target's queue. They are two Redis writes that cannot share a transaction (BullMQ's add is
 * its own script), so the first write also puts the transfer in an outbox; the job is added; the outbox
 * entry is dropped. If the process dies between the two, the outbox relay adds the job later, and a
 * caller who retries with the same Idempotency-Key gets the stored transfer with its job ensured.
 */
import type { BackgroundTasks } from '../background.js';
import type { Clock } from '../clock.js';
import type { PiiCipher } from '../crypto/pii.js';
import { AppError } from '../domain/errors.js';
import { newTransferId } from '../domain/ids.js';
import { maskIdNumber, maskName, maskPhone } from '../domain/masking.js';
import type { TransferEvent } from '../domain/transfer.js';
import type { ValidatedTransfer } from '../domain/intake.js';
import type { Logger } from '../log.js';
import type { Durability } from '../store/replicas.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';
import type { TransferDoc, TransferPii } from '../store/types.js';
import { stableStringify } from './stable-json.js';

export interface Enqueuer {
  enqueue(transferId: string, target: TransferDoc['target'], generation: number): Promise<void>;
}

export interface IntakeDeps {
  store: TransferStore;
  cipher: PiiCipher;
  queue: Enqueuer;
  clock: Clock;
  log: Logger;
  idempotencyTtlSeconds: number;
  background: BackgroundTasks;
  /** Confirms the write reached the replicas REDIS_MIN_REPLICAS_ACK asks for, before the 202. */
  durability: Durability;
}

export interface IntakeResult {
  transfer: StoredTransfer;
  replayed: boolean;
}

/**
 * `input` is the body already validated by the intake rules (src/domain/intake.ts); `body` is the
 * request as sent, whose canonical form is the Idempotency-Key's fingerprint.
 */
export async function createTransfer(
  deps: IntakeDeps,
  callerKeyId: string,
  idempotencyKey: string,
  input: ValidatedTransfer,
  body: unknown,
): Promise<IntakeResult> {
  const now = deps.clock.now();
  const canonicalBody = stableStringify(body);
  const fingerprint = deps.cipher.fingerprint(canonicalBody);
  const id = newTransferId(now);
  const { doc, pii } = split(input, id, now, callerKeyId);
  const event: TransferEvent = {
    at: doc.createdAt,
    type: 'accepted',
    source: 'api',
    detail: { target: doc.target },
  };

  const piiSealed = deps.cipher.seal(JSON.stringify(pii), id);
  const outcome = await deps.store.create(
    doc,
    piiSealed,
    event,
    { scope: callerKeyId, key: idempotencyKey, fingerprint, ttlSeconds: deps.idempotencyTtlSeconds },
    now,
  );

  if (!outcome.created) {
    if (!deps.cipher.matchesFingerprint(canonicalBody, outcome.existing.fingerprint)) {
      throw new AppError(
        'conflict',
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was already used with a different request body',
      );
    }
    // Its first answer may have been a 503 for want of replicas: confirmed before it is queued.
    await deps.durability.confirm();
    return { transfer: await replay(deps, outcome.existing.transferId), replayed: true };
  }

  // On enough replicas before it is queued, when asked: a partner never receives a transfer that a
  // failover could then make the gateway forget (the outbox entry queues it if the job add is lost).
  await deps.durability.confirm();
  await deps.queue.enqueue(id, doc.target, 1);
  // Not awaited: if this is lost, the relay finds the entry and re-adds the (deduplicated) job.
  deps.background.track(
    deps.store
      .removeFromOutbox(id)
      .catch((err: unknown) => deps.log.warn({ err, transferId: id }, 'outbox clear failed')),
  );
  // What was just written, as the store would read it back: no second round trip on the hot path.
  const transfer: StoredTransfer = {
    doc,
    piiSealed,
    state: 'accepted',
    updatedAt: doc.createdAt,
    version: 1,
    attempts: 0,
    generation: 1,
    facts: {
      nationalAccountCreated: false,
      attemptsBase: 0,
      partnerFailures: 0,
      crashRuns: 0,
      deliveryErrors: 0,
    },
    events: [event],
  };
  return { transfer, replayed: false };
}

/** The same request again: answer the stored transfer, making sure its job exists first. */
async function replay(deps: IntakeDeps, transferId: string): Promise<StoredTransfer> {
  const transfer = await deps.store.get(transferId);
  if (!transfer) throw new AppError('internal', 'INTERNAL', 'an idempotency record points at no transfer');
  if (await deps.store.inOutbox(transferId)) {
    await deps.queue.enqueue(transferId, transfer.doc.target, transfer.generation);
    await deps.store.removeFromOutbox(transferId);
  }
  return transfer;
}

function split(input: ValidatedTransfer, id: string, now: Date, createdBy: string) {
  const { member, reason } = input;
  const pii: TransferPii = {
    name: member.name,
    idNumber: member.idNumber,
    ...(member.phone ? { phone: member.phone } : {}),
  };
  let publicReason: TransferDoc['reason'] = { ...reason };
  if (reason.kind === 'abroad') {
    const { domesticContact, ...rest } = reason;
    pii.domesticContact = domesticContact;
    publicReason = {
      ...rest,
      domesticContact: {
        name: maskName(domesticContact.name),
        phone: maskPhone(domesticContact.phone),
        ...(domesticContact.relationship ? { relationship: domesticContact.relationship } : {}),
      },
    };
  }
  const doc: TransferDoc = {
    id,
    externalRef: input.externalRef,
    target: input.target,
    initiator: input.initiator,
    source: input.source,
    destination: {
      provinceCode: input.destination.provinceCode,
      orgFullName: input.destination.orgFullName,
      canonicalOrgName: input.destination.canonicalOrgName,
    },
    reason: publicReason,
    irreversible: input.irreversible,
    confirmedWithMember: input.confirmedWithMember ?? false,
    member: {
      name: maskName(member.name),
      idNumber: maskIdNumber(member.idNumber),
      ...(member.phone ? { phone: maskPhone(member.phone) } : {}),
    },
    createdAt: now.toISOString(),
    createdBy,
  };
  return { doc, pii };
}
