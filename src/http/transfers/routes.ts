/** /v1/transfers: intake, one transfer, and the list. */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { PARTNER_ID, STATES } from '../../domain/transfer.js';
import { validateCreateTransfer } from '../../domain/intake.js';
import type { Routes } from '../../domain/routing.js';
import { createTransfer, type IntakeDeps } from '../../usecases/create-transfer.js';
import type { Authenticator } from '../auth.js';
import { callerOf } from '../auth.js';
import { parseQuery, requireJson } from '../validation.js';
import { TRANSFER_ID } from '../../domain/ids.js';
import { requireTransfer } from '../../usecases/require-transfer.js';
import { transferView } from './view.js';

export const ListTransfersQuery = z.strictObject({
  state: z.enum(STATES).optional(),
  target: z.string().regex(PARTNER_ID, 'a partner id').optional().meta({ description: 'a partner id' }),
  externalRef: z.string().min(1).max(64).optional(),
  overdue: z.enum(['true', 'false']).optional().meta({
    description: 'true: only transfers whose member is overdue for local reporting',
  }),
  cursor: z.string().regex(TRANSFER_ID, 'a transfer id from the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface TransferRoutesDeps extends IntakeDeps {
  /** Which partner serves which province code (the intake rules route every transfer). */
  routes: Routes;
  /** Whether a partner id names a partner of this gateway (the list's `target` filter). */
  isPartner(id: string): boolean;
}

export function transferRoutes(
  deps: TransferRoutesDeps,
  auth: Authenticator,
  jsonBody: readonly RequestHandler[],
): Router {
  const router = Router();

  const idempotencyKey: RequestHandler = (req, res, next) => {
    const key = req.get('idempotency-key');
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      next(
        new AppError(
          'malformed',
          'IDEMPOTENCY_KEY_REQUIRED',
          'send an Idempotency-Key header of 1 to 255 visible ASCII characters',
          [{ path: 'headers.idempotency-key', message: key ? 'invalid characters or length' : 'missing' }],
        ),
      );
      return;
    }
    res.locals.idempotencyKey = key;
    next();
  };

  router.post(
    '/v1/transfers',
    auth.require('transfers:write'),
    requireJson,
    ...jsonBody,
    idempotencyKey,
    async (req, res) => {
      const caller = callerOf(res.locals);
      const input = validateCreateTransfer(req.body, { now: deps.clock.now(), routes: deps.routes });
      const intake = createTransfer(deps, caller.keyId, String(res.locals.idempotencyKey), input, req.body);
      // Tracked: a stop waits for it even if the caller hung up, so a stored transfer gets its job now.
      deps.background.track(intake);
      const { transfer, replayed } = await intake;
      res
        .status(202)
        .location(`/v1/transfers/${transfer.doc.id}`)
        .set('Idempotent-Replayed', String(replayed))
        .json(transferView(transfer));
    },
  );

  router.get('/v1/transfers/:id', auth.require('transfers:read'), async (req, res) => {
    const id = String(req.params.id);
    const transfer = await requireTransfer(deps.store, id);
    res.json(transferView(transfer));
  });

  router.get('/v1/transfers', auth.require('transfers:read'), async (req, res) => {
    const q = parseQuery(ListTransfersQuery, req.query);
    if (q.target !== undefined && !deps.isPartner(q.target)) {
      const message = `no partner ${q.target}`;
      throw new AppError('invalid', 'VALIDATION_FAILED', `query.target: ${message}`, [
        { path: 'query.target', message, code: 'VALIDATION_FAILED' },
      ]);
    }
    const page = await deps.store.list({ ...q, overdue: q.overdue === 'true' }, q.limit, q.cursor);
    res.json({ items: page.items.map((t) => transferView(t, false)), nextCursor: page.next ?? null });
  });

  return router;
}
