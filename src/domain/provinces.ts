/**
 * Province-level codes (GB/T 2260) and where a transfer to each one goes. The fixture is the single
 * list; it is checked once at load so a bad edit fails at start, not on some request in the season.
 *
 * - `province`: a province-level unit. Beijing (11) is listed as a destination because a league
 *   system is reachable there, but routing refuses it: internal moves are the Beijing system's own.
 *   71/81/82 are valid ID-number prefixes but no league system can be reached through them.
 * - `sector`: the five national sectors, gateway-defined codes 91–95, always routed to `national`.
 * - `id_prefix_only`: 83, the prefix of Taiwan residents' residence permits; never a destination.
 */
import { z } from 'zod';

import provinces from '../../fixtures/provinces.json' with { type: 'json' };
import type { Target } from './transfer.js';

const entrySchema = z.strictObject({
  code: z.string().regex(/^\d{2}$/),
  name: z.string().min(1),
  kind: z.enum(['province', 'sector', 'id_prefix_only']),
  destination: z.boolean(),
});
type ProvinceEntry = z.infer<typeof entrySchema>;

const entries: ReadonlyMap<string, ProvinceEntry> = new Map(
  z
    .array(entrySchema)
    .parse(provinces)
    .map((e) => [e.code, e]),
);

const BEIJING = '11';
const PARTNER_SYSTEMS: Readonly<Record<string, Target>> = { '44': 'guangdong', '35': 'fujian' };

export type RouteResult =
  | { ok: true; target: Target; sector: boolean; name: string }
  | { ok: false; code: 'INVALID_PROVINCE_CODE' | 'DESTINATION_IS_INTERNAL'; message: string };

/** True when `prefix` may open an 18-character ID number: a province-level unit or 83. */
export function isIdRegionPrefix(prefix: string): boolean {
  const entry = entries.get(prefix);
  return entry !== undefined && entry.kind !== 'sector';
}

/** True for every code a league committee sits behind, Beijing included (e.g. an enlistment's reviewer). */
export function isLeagueProvinceCode(code: string): boolean {
  return entries.get(code)?.destination === true;
}

export function provinceName(code: string): string | undefined {
  return entries.get(code)?.name;
}

export function routeDestination(code: string): RouteResult {
  const entry = entries.get(code);
  if (entry === undefined || !entry.destination) {
    return {
      ok: false,
      code: 'INVALID_PROVINCE_CODE',
      message:
        entry === undefined
          ? `"${code}" is not a province-level code (GB/T 2260) or a national-sector code (91–95)`
          : `${code} (${entry.name}) has no reachable league system and cannot be a destination`,
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
    target: PARTNER_SYSTEMS[code] ?? 'national',
    sector: entry.kind === 'sector',
    name: entry.name,
  };
}
