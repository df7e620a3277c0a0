/**
 * While the store is out of reach, every route that needs it answers 503 SERVICE_UNAVAILABLE with
 * Retry-After at once, instead of waiting for a command to time out: a caller learns in microseconds
 * that nothing happened and when to try again. Probes, metrics and the static API description do not
 * need the store and stay open.
 */
import type { RequestHandler } from 'express';
import { storeUnavailable } from './problem.js';

export interface StoreStatus {
  readonly available: boolean;
}

const OPEN = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);

export function storeGate(status: StoreStatus): RequestHandler {
  return (req, _res, next) => {
    if (status.available || OPEN.has(req.path)) next();
    else next(storeUnavailable());
  };
}
