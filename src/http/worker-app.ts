/**
 * What a worker process (ROLE=worker) serves: no API, only what probes and Prometheus need. Partner
 * latency, breaker state and job durations are counted in the process that makes the calls, so the
 * workers must be scraped too.
 */
import express, { type Express } from 'express';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { metricsRoutes } from './metrics.js';
import { errorHandler } from './problem.js';

export function createWorkerApp(deps: {
  readiness: readonly ReadinessCheck[];
  metrics: Metrics;
  log: Logger;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps.readiness));
  app.use(metricsRoutes(deps.metrics));
  app.use((req, _res, next) => {
    next(
      new AppError('not_found', 'NOT_FOUND', `a worker process serves only /healthz, /readyz and /metrics`),
    );
  });
  app.use(errorHandler(deps.log));
  return app;
}
