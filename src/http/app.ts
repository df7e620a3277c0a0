/** The HTTP application: routes mounted in one place, one body limit, one error mapper. */
import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../log.js';

import type { Authenticator } from './auth.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { metricsRoutes } from './metrics.js';
import type { Metrics } from '../metrics.js';
import { docsRoutes } from './docs.js';
import { notificationRoutes, type NotificationRoutesDeps } from './notifications/routes.js';
import { errorHandler } from './problem.js';
import { jsonBody as readJsonBody } from './body.js';
import { storeGate, type StoreStatus } from './store-gate.js';
import { transferRoutes, type TransferRoutesDeps } from './transfers/routes.js';
import { transferActionRoutes } from './transfers/actions.js';
import { orgRoutes, type OrgDeps } from './orgs/routes.js';
import { callbackRoutes, type CallbackDeps } from './callbacks/routes.js';
import type { ActionDeps } from '../usecases/cancel-retry.js';
import { DASHBOARD_PATH, dashboardApp, type DashboardDeps } from './admin/dashboard.js';
import { opsRoutes, type OpsDeps } from './ops/routes.js';

export interface AppDeps {
  metrics: Metrics;
  intake: TransferRoutesDeps;
  auth: Authenticator;
  log: Logger;
  readiness: readonly ReadinessCheck[];
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** Beijing notifications, for operators. */
  notifications: NotificationRoutesDeps;
  actions: ActionDeps;
  orgs: OrgDeps;
  callbacks: CallbackDeps;
  /** The operators' queue dashboard (bull-board) at /admin/queues. */
  dashboard: DashboardDeps;
  /** /v1/ops: each target's delivery status, pause and resume (the operator CLI). */
  ops: OpsDeps;
  /** Whether the store is reachable now: while it is not, routes that need it answer 503 at once. */
  store: StoreStatus;
}

function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    // A caller's id is echoed only when it is plain visible ASCII; anything else gets one of ours.
    const given = req.get('x-request-id');
    const requestId = given && /^[\x21-\x7e]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const caller = (res.locals.caller as { keyId?: string } | undefined)?.keyId;
      const line = {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
        caller,
      };
      // A 503 is a condition (the store or a partner is out of reach, logged once where it is
      // noticed), not a fault; any other 5xx means the gateway is broken.
      if (res.statusCode >= 500 && res.statusCode !== 503) log.error(line, 'request');
      else log.debug(line, 'request');
    });
    next();
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('json spaces', 0);
  // No ETags: hashing every answer costs CPU on the intake path, and API clients do not revalidate.
  app.set('etag', false);
  app.use(requestLog(deps.log));
  app.use(storeGate(deps.store));
  // Bodies are parsed after authentication (per route), so an anonymous caller gets 401, not parse work.
  const jsonBody = readJsonBody(deps.bodyLimitBytes);
  // The hot path first: every router before it is walked by every intake request.
  app.use(transferRoutes(deps.intake, deps.auth, jsonBody));
  app.use(healthRoutes(deps.readiness));
  app.use(metricsRoutes(deps.metrics));
  app.use(docsRoutes());
  // Callbacks read their raw body themselves: the signature covers the bytes as sent.
  app.use(callbackRoutes(deps.callbacks, deps.bodyLimitBytes));
  app.use(DASHBOARD_PATH, dashboardApp(deps.dashboard));
  app.use(transferActionRoutes(deps.actions, deps.auth, jsonBody));
  app.use(orgRoutes(deps.orgs, deps.auth));
  app.use(notificationRoutes(deps.notifications, deps.auth, jsonBody));
  app.use(opsRoutes(deps.ops, deps.auth));
  app.use((req, _res, next) => {
    next(new AppError('not_found', 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.log));
  return app;
}
