/** GET /metrics: Prometheus text format. No personal data is ever a label or a value. */
import { Router } from 'express';
import type { Metrics } from '../metrics.js';

export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  return router;
}
