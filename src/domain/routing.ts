/**
 * Which partner system serves a destination: one table from province code to partner id, and the
 * partner that serves every other destination. The default table comes from the partners' own
 * descriptors (each names the codes it serves); PROVINCE_ROUTES replaces it. A province that joins the
 * national system, or gets a system of its own, is a change of this table, not of code.
 *
 * Whatever the table says, 11 (Beijing) is never a destination (moves inside Beijing are the Beijing
 * system's own), and only province-level or national-sector codes are (src/domain/provinces.ts).
 */
import { BEIJING, isDestinationCode, isSectorCode, provinceName } from './provinces.js';
import type { Target } from './transfer.js';

export interface Routes {
  /** Province code → partner id, for the codes routed away from `rest`. */
  readonly table: Readonly<Record<string, Target>>;
  /** The partner that serves every destination the table does not name. */
  readonly rest: Target;
}

export type RouteResult =
  | { ok: true; target: Target; sector: boolean; name: string }
  | { ok: false; code: 'INVALID_PROVINCE_CODE' | 'DESTINATION_IS_INTERNAL'; message: string };

/** Checks a routing table against the partners there are: every code a destination, every id known. */
export function checkRoutes(
  table: Record<string, unknown>,
  partnerIds: readonly string[],
  rest: string,
): { ok: true; routes: Routes } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const checked: Record<string, Target> = {};
  for (const [code, id] of Object.entries(table)) {
    if (code === BEIJING) problems.push('11 (Beijing) is internal and cannot be routed to a partner');
    else if (!isDestinationCode(code))
      problems.push(`"${code}" is not a province-level or national-sector code`);
    if (typeof id !== 'string' || !partnerIds.includes(id)) {
      problems.push(`"${String(id)}" (for ${code}) is not a partner; partners: ${partnerIds.join(', ')}`);
    } else checked[code] = id;
  }
  if (!partnerIds.includes(rest)) problems.push(`no partner serves the rest of the provinces`);
  return problems.length ? { ok: false, problems } : { ok: true, routes: { table: checked, rest } };
}

export function routeDestination(code: string, routes: Routes): RouteResult {
  if (!isDestinationCode(code)) {
    const name = provinceName(code);
    return {
      ok: false,
      code: 'INVALID_PROVINCE_CODE',
      message:
        name === undefined
          ? `"${code}" is not a province-level code (GB/T 2260) or a national-sector code (91–95)`
          : `${code} (${name}) has no reachable league system and cannot be a destination`,
    };
  }
  if (code === BEIJING) {
    return {
      ok: false,
      code: 'DESTINATION_IS_INTERNAL',
      message:
        '11 (北京市) is internal: moves between Beijing organisations are made in the Beijing system itself, not through the gateway',
    };
  }
  return {
    ok: true,
    target: routes.table[code] ?? routes.rest,
    sector: isSectorCode(code),
    name: provinceName(code) ?? code,
  };
}
