/** POST /v1/transfers/{id}/cancel (Beijing) and /retry (operators). */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { cancelTransfer, retryTransfer, type ActionDeps } from '../../usecases/cancel-retry.js';
import { callerOf, type Authenticator } from '../auth.js';
import { parseBody, requireJson } from '../validation.js';
import { transferView } from './view.js';

export const CancelBody = z.strictObject({
  reason: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .meta({ description: 'Why the move is withdrawn, for the record.' }),
});

export function transferActionRoutes(
  deps: ActionDeps,
  auth: Authenticator,
  jsonBody: readonly RequestHandler[],
): Router {
  const router = Router();

  router.post(
    '/v1/transfers/:id/cancel',
    auth.require('transfers:write'),
    requireJson,
    ...jsonBody,
    async (req, res) => {
      const id = String(req.params.id);
      const body = parseBody(CancelBody, req.body ?? {});
      const t = await cancelTransfer(deps, id, callerOf(res.locals).keyId, body.reason);
      res.json(transferView(t));
    },
  );

  router.post('/v1/transfers/:id/retry', auth.require('ops'), async (req, res) => {
    const id = String(req.params.id);
    const t = await retryTransfer(deps, id, callerOf(res.locals).keyId);
    res.status(202).json(transferView(t));
  });

  return router;
}
