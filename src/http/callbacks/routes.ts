/**
 * POST /v1/callbacks/{target}: a partner's decision, signed per Standard Webhooks. Verified over the
 * raw body with any of the partner's current secrets; parsed by that partner's adapter, so the core
 * only ever sees our event union; applied atomically and at most once per webhook-id.
 */
import express, { Router } from 'express';
import type { TransferAdapter } from '../../../adapters/adapter.js';
import { PartnerError } from '../../../adapters/errors.js';
import type { Clock } from '../../clock.js';
import { AppError } from '../../domain/errors.js';
import { TRANSFER_ID } from '../../domain/ids.js';
import { decodeUtf8, requireUtf8Charset } from '../body.js';
import { TARGETS, type Target } from '../../domain/transfer.js';
import type { Logger } from '../../log.js';
import type { TransferStore } from '../../store/transfer-store.js';
import { applyPartnerWord, type ApplyDeps } from '../../usecases/apply-partner-event.js';
import { verifyWebhook, WebhookVerificationError } from '../../webhooks/standard-webhooks.js';

export interface CallbackDeps extends ApplyDeps {
  store: TransferStore;
  adapters: Readonly<Record<Target, TransferAdapter>>;
  secrets: Readonly<Record<Target, readonly string[]>>;
  clock: Clock;
  log: Logger;
  bodyLimitBytes: number;
  /** Outcome counter for metrics: applied, duplicate, or refused:<reason>. */
  onOutcome?: (target: Target, outcome: string) => void;
}

const DEDUPE_TTL_SECONDS = 30 * 24 * 3600;
const isTarget = (s: string): s is Target => (TARGETS as readonly string[]).includes(s);

export function callbackRoutes(deps: CallbackDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.bodyLimitBytes });

  router.post('/v1/callbacks/:target', raw, async (req, res) => {
    const target = String(req.params.target);
    if (!isTarget(target)) throw new AppError('not_found', 'UNKNOWN_TARGET', `no partner called ${target}`);
    const count = (outcome: string) => deps.onOutcome?.(target, outcome);
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

    let webhookId: string;
    try {
      webhookId = verifyWebhook({
        secrets: deps.secrets[target],
        headers: req.headers,
        rawBody: body,
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
      requireUtf8Charset(req.get('content-type'));
      payload = JSON.parse(decodeUtf8(body));
    } catch (err) {
      count('refused:malformed');
      if (err instanceof AppError) throw err;
      throw new AppError('malformed', 'MALFORMED_CALLBACK', 'the callback body is not JSON');
    }
    let event;
    try {
      event = deps.adapters[target].parseCallback(payload);
    } catch (err) {
      if (!(err instanceof PartnerError)) throw err;
      count('refused:malformed');
      throw new AppError('malformed', 'MALFORMED_CALLBACK', err.message);
    }
    if (event.type === 'unsupported') {
      // Acknowledge, so the partner does not retry an event we will never act on.
      deps.log.info({ target, webhookId, description: event.description }, 'unsupported callback ignored');
      count('ignored');
      res.status(204).end();
      return;
    }

    // An id this gateway never issues names no transfer: answered without a lookup.
    const transfer = TRANSFER_ID.test(event.transferId) ? await deps.store.get(event.transferId) : null;
    if (!transfer || transfer.doc.target !== target) {
      count('refused:unknown_transfer');
      throw new AppError(
        'not_found',
        'UNKNOWN_TRANSFER',
        `${target} has no transfer ${event.transferId} from this gateway`,
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
      { key: `callback:${target}:${webhookId}`, ttlSeconds: DEDUPE_TTL_SECONDS },
    );
    if (result.result === 'invalid_transition') {
      count('refused:invalid_transition');
      throw new AppError('conflict', 'INVALID_TRANSITION', result.detail);
    }
    count(result.result === 'applied' ? 'applied' : 'duplicate');
    deps.log.info(
      { target, webhookId, transferId: event.transferId, event: event.type, result: result.result },
      'callback',
    );
    res.status(204).end();
  });

  return router;
}
