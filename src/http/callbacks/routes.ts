/**
 * POST /v1/callbacks/{target}: a partner's decision, signed per Standard Webhooks. The route reads the
 * raw body (the signature covers the bytes as sent) and hands it to the use case
 * (src/usecases/receive-callback.ts); every refusal comes back as its problem.
 */
import express, { Router } from 'express';
import { receiveCallback, type CallbackDeps } from '../../usecases/receive-callback.js';
import { decodeUtf8, requireUtf8Charset } from '../body.js';

export type { CallbackDeps };

export function callbackRoutes(deps: CallbackDeps, bodyLimitBytes: number): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: bodyLimitBytes });

  router.post('/v1/callbacks/:target', raw, async (req, res) => {
    await receiveCallback(deps, {
      target: String(req.params.target),
      headers: req.headers,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      decode: (body) => {
        requireUtf8Charset(req.get('content-type'));
        return JSON.parse(decodeUtf8(body)) as unknown;
      },
    });
    res.status(204).end();
  });

  return router;
}
