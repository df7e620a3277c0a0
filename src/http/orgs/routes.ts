/**
 * Destination checks, answered by the partner that holds the destination: GET /v1/orgs/check (for a
 * partner whose capabilities include a full-name check) and GET /v1/orgs/search (every partner).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Partner, PartnerSet } from '../../delivery/partner-set.js';
import { AppError } from '../../domain/errors.js';
import { routeDestination, type Routes } from '../../domain/routing.js';
import type { OrgCache } from '../../delivery/org-cache.js';
import { resolveDestination } from '../../delivery/resolve-destination.js';
import { askPartner, withPartnerProblems } from '../../usecases/ask-partner.js';
import type { Authenticator } from '../auth.js';
import { parseQuery } from '../validation.js';

export interface OrgDeps {
  partners: PartnerSet;
  routes: Routes;
  /** The same resolutions delivery uses: a name checked here is the name delivery will send. */
  orgCache?: OrgCache;
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

function partnerOf(deps: OrgDeps, code: string): Partner {
  const route = routeDestination(code, deps.routes);
  if (!route.ok) {
    throw new AppError('invalid', route.code, route.message, [
      { path: 'query.provinceCode', message: route.message, code: route.code },
    ]);
  }
  return deps.partners.get(route.target);
}

export function orgRoutes(deps: OrgDeps, auth: Authenticator): Router {
  const router = Router();

  router.get('/v1/orgs/check', auth.require('transfers:read'), async (req, res) => {
    const q = parseQuery(OrgCheckQuery, req.query);
    const partner = partnerOf(deps, q.provinceCode);
    if (!partner.capabilities.checkOrg) {
      throw new AppError(
        'unprocessable',
        'CHECK_NOT_SUPPORTED',
        `the ${partner.id} system offers no full-name check; search its org list with GET /v1/orgs/search`,
      );
    }
    // Resolved the way delivery resolves it (width, spaces and brackets may differ): `exists` answers
    // with the partner's own spelling, which is what will be sent. A name matching several orgs is
    // not one org: not_found, with those orgs as the suggestions.
    const resolution = await withPartnerProblems(partner, () =>
      resolveDestination(partner, q.provinceCode, q.fullName, deps.orgCache ? { cache: deps.orgCache } : {}),
    );
    res.json(
      resolution.kind === 'resolved'
        ? { result: 'exists', org: resolution.org }
        : {
            result: 'not_found',
            suggestions: resolution.kind === 'ambiguous' ? resolution.candidates : resolution.suggestions,
          },
    );
  });

  router.get('/v1/orgs/search', auth.require('transfers:read'), async (req, res) => {
    const q = parseQuery(OrgSearchQuery, req.query);
    const partner = partnerOf(deps, q.provinceCode);
    const items = await askPartner(partner, 'search', (signal) =>
      partner.adapter.searchOrgs(q.provinceCode, q.q, { signal, limit: q.limit }),
    );
    res.json({ items });
  });

  return router;
}
