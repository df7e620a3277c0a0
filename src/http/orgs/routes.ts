/**
 * Destination checks, answered by the partner that holds the destination: GET /v1/orgs/check (the
 * national system only: Guangdong and Fujian offer no such check) and GET /v1/orgs/search (all three).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { TransferAdapter } from '../../../adapters/adapter.js';
import { PartnerError } from '../../../adapters/errors.js';
import {
  BreakerOpenError,
  type PartnerCaller,
  type PartnerOperation,
} from '../../delivery/partner-caller.js';
import { AppError } from '../../domain/errors.js';
import { routeDestination } from '../../domain/provinces.js';
import type { Target } from '../../domain/transfer.js';
import type { Authenticator } from '../auth.js';
import { parseQuery } from '../validation.js';

export interface OrgDeps {
  adapters: Readonly<Record<Target, TransferAdapter>>;
  callers: Readonly<Record<Target, PartnerCaller>>;
}

const provinceCode = z
  .string()
  .regex(/^\d{2}$/, 'two digits')
  .meta({ description: 'Province code (GB/T 2260) or national-sector code' });

export const OrgCheckQuery = z.strictObject({
  provinceCode,
  fullName: z.string().min(1).max(100).meta({ description: "The destination org's exact full name" }),
});

export const OrgSearchQuery = z.strictObject({
  provinceCode,
  q: z.string().min(1).max(100).meta({ description: 'Part of the name' }),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

function targetOf(code: string): Target {
  const route = routeDestination(code);
  if (!route.ok) {
    throw new AppError('invalid', route.code, route.message, [
      { path: 'query.provinceCode', message: route.message, code: route.code },
    ]);
  }
  return route.target;
}

async function throughPartner<T>(
  deps: OrgDeps,
  target: Target,
  operation: PartnerOperation,
  call: (a: TransferAdapter, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await deps.callers[target].call(operation, (signal) => call(deps.adapters[target], signal));
  } catch (err) {
    if (err instanceof BreakerOpenError || (err instanceof PartnerError && err.retryable)) {
      throw new AppError(
        'unavailable',
        'PARTNER_UNAVAILABLE',
        `the ${target} system cannot be reached now; try again shortly`,
      );
    }
    if (err instanceof PartnerError)
      throw new AppError('unprocessable', err.code, `${target}: ${err.message}`);
    throw err;
  }
}

export function orgRoutes(deps: OrgDeps, auth: Authenticator): Router {
  const router = Router();

  router.get('/v1/orgs/check', auth.require('transfers:read'), async (req, res) => {
    const q = parseQuery(OrgCheckQuery, req.query);
    const target = targetOf(q.provinceCode);
    if (!deps.adapters[target].capabilities.checkOrg) {
      throw new AppError(
        'unprocessable',
        'CHECK_NOT_SUPPORTED',
        `the ${target} system offers no full-name check; search its org list with GET /v1/orgs/search`,
      );
    }
    const result = await throughPartner(deps, target, 'check_org', (a, signal) =>
      a.checkOrg(q.provinceCode, q.fullName, { signal }),
    );
    res.json(
      result.result === 'exists'
        ? { result: 'exists', org: result.org }
        : { result: 'not_found', suggestions: result.suggestions },
    );
  });

  router.get('/v1/orgs/search', auth.require('transfers:read'), async (req, res) => {
    const q = parseQuery(OrgSearchQuery, req.query);
    const target = targetOf(q.provinceCode);
    const items = await throughPartner(deps, target, 'search', (a, signal) =>
      a.searchOrgs(q.provinceCode, q.q, { signal, limit: q.limit }),
    );
    res.json({ items });
  });

  return router;
}
