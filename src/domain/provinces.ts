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

export const BEIJING = '11';

/** True for a code a transfer may name as its destination (Beijing too: routing refuses it). */
export function isDestinationCode(code: string): boolean {
  return entries.get(code)?.destination === true;
}

/** True when `prefix` may open an 18-character ID number: a province-level unit or 83. */
export function isIdRegionPrefix(prefix: string): boolean {
  const entry = entries.get(prefix);
  return entry !== undefined && entry.kind !== 'sector';
}

/** True for every code a league committee sits behind, Beijing included (e.g. an enlistment's reviewer). */
export function isLeagueProvinceCode(code: string): boolean {
  return entries.get(code)?.destination === true;
}

/** True for the national-sector codes (the gateway's own, 91–95 by default: fixtures/provinces.json). */
export function isSectorCode(code: string): boolean {
  return entries.get(code)?.kind === 'sector';
}

export function provinceName(code: string): string | undefined {
  return entries.get(code)?.name;
}

/** Every province-level and sector code that can be a destination, Beijing included. */
export function destinationCodes(): string[] {
  return [...entries.values()].filter((e) => e.destination).map((e) => e.code);
}
