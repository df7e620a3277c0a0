/**
 * A partner's callback, from its bytes to its effect: verified per Standard Webhooks over the raw
 * body with any of the partner's current secrets, decoded (UTF-8 JSON only), parsed by that partner's
 * adapter (the core only ever sees our event union), and applied atomically, at most once per
 * webhook-id and once per fact. Every refusal is an AppError with its stable code; the outcome is
 * counted for metrics.
 */
import { PartnerError } from '../../adapters/errors.js';
import type { PartnerSet } from '../delivery/partner-set.js';
import { AppError } from '../domain/errors.js';
import { CALLBACK_DEDUPE_SECONDS } from '../domain/retention.js';
import { TRANSFER_ID } from '../domain/ids.js';
import type { Target } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import type { Durability } from '../store/replicas.js';
import type { TransferStore } from '../store/transfer-store.js';
import { verifyWebhook, WebhookVerificationError } from '../webhooks/standard-webhooks.js';
import { applyPartnerWord, type ApplyDeps } from './apply-partner-event.js';

export interface CallbackDeps extends ApplyDeps {
  store: TransferStore;
  partners: PartnerSet;
  /** The Standard Webhooks secrets a partner's callbacks may be signed with (several in a rotation). */
  secretsOf(target: Target): readonly string[];
  log: Logger;
  /** Confirms the write reached the replicas REDIS_MIN_REPLICAS_ACK asks for, before the 204. */
  durability: Durability;
  /** Outcome counter for metrics: applied, duplicate, ignored, or refused:<reason>. */
  onOutcome?: (target: Target, outcome: string) => void;
}

export interface IncomingCallback {
  target: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** Decodes the body (UTF-8 JSON only), throwing the caller's own 415/400 problem. */
  decode(body: Buffer): unknown;
}

export type CallbackResult = 'applied' | 'duplicate' | 'ignored';

export async function receiveCallback(deps: CallbackDeps, cb: IncomingCallback): Promise<CallbackResult> {
  if (!deps.partners.has(cb.target)) {
    throw new AppError('not_found', 'UNKNOWN_TARGET', `no partner called ${cb.target.slice(0, 64)}`);
  }
  const target = cb.target;
  const count = (outcome: string) => deps.onOutcome?.(target, outcome);

  let webhookId: string;
  try {
    webhookId = verifyWebhook({
      secrets: deps.secretsOf(target),
      headers: cb.headers,
      rawBody: cb.rawBody,
      // Wall-clock time on purpose: the tolerance is about real clock skew and replay windows,
      // not business time (which tests may move forward).
      now: new Date(),
    }).id;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    count(`refused:${err.reason.toLowerCase()}`);
    throw new AppError('unauthenticated', 'INVALID_SIGNATURE', err.message);
  }

  let payload: unknown;
  try {
    payload = cb.decode(cb.rawBody);
  } catch (err) {
    count('refused:malformed');
    if (err instanceof AppError) throw err;
    throw new AppError('malformed', 'MALFORMED_CALLBACK', 'the callback body is not JSON');
  }
  let event;
  try {
    event = deps.partners.get(target).adapter.parseCallback(payload);
  } catch (err) {
    if (!(err instanceof PartnerError)) throw err;
    count('refused:malformed');
    throw new AppError('malformed', 'MALFORMED_CALLBACK', err.message);
  }
  if (event.type === 'unsupported') {
    // Acknowledged, so the partner does not retry an event we will never act on.
    deps.log.info({ target, webhookId, description: event.description }, 'unsupported callback ignored');
    count('ignored');
    return 'ignored';
  }

  // An id this gateway never issues names no transfer: answered without a lookup.
  const transfer = TRANSFER_ID.test(event.transferId) ? await deps.store.get(event.transferId) : null;
  if (!transfer || transfer.doc.target !== target) {
    count('refused:unknown_transfer');
    throw new AppError(
      'not_found',
      'UNKNOWN_TRANSFER',
      `${target} has no transfer ${event.transferId.slice(0, 64)} from this gateway`,
    );
  }
  const result = await applyPartnerWord(
    deps,
    transfer,
    {
      type: event.type,
      ...(event.partnerRef ? { partnerRef: event.partnerRef } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
      ...(event.at ? { at: event.at } : {}),
    },
    'callback',
    { key: `callback:${target}:${webhookId}`, ttlSeconds: CALLBACK_DEDUPE_SECONDS },
  );
  if (result.result === 'gone') {
    count('refused:unknown_transfer');
    throw new AppError(
      'not_found',
      'UNKNOWN_TRANSFER',
      `${target} has no transfer ${event.transferId.slice(0, 64)} from this gateway`,
    );
  }
  if (result.result === 'invalid_transition') {
    count('refused:invalid_transition');
    throw new AppError('conflict', 'INVALID_TRANSITION', result.detail);
  }
  // A duplicate is confirmed too: its first delivery may have been answered 503 for want of replicas.
  await deps.durability.confirm();
  const outcome = result.result === 'applied' ? 'applied' : 'duplicate';
  count(outcome);
  deps.log.info(
    { target, webhookId, transferId: event.transferId, event: event.type, result: result.result },
    'callback',
  );
  return outcome;
}
