/**
 * A partner's org directory, as strict as a partner's database: the simulators use it to hold the
 * gateway to each partner's exact spellings, so it never learns to rely on a leniency a real partner
 * does not have.
 *
 * - `find` (submission, national's name check) matches the full name EXACTLY: no trimming, no width,
 *   space, bracket or case folding. `共青团某某(集团)委员会` is not `共青团某某（集团）委员会`.
 * - `search` is a literal substring match of the keyword on the exact names (the partner's
 *   `name LIKE '%keyword%'`), no folding either. The keyword is trimmed the way the partners' Java
 *   back ends trim a request parameter (`String.trim()`): only characters up to U+0020 (ASCII space
 *   and controls) at either end. Ideographic spaces (U+3000), NBSP and every space inside the keyword
 *   are kept and must literally appear in the name. A keyword blank after trimming matches nothing.
 *   Results come shortest name first, then in code-point order of the name.
 * - `suggest` (national's "did you mean") is the one place that compares canonical forms
 *   (src/domain/org-name.ts): a real system suggests near names however the miss was typed. What it
 *   suggests is always the partner's own spelling.
 *
 * Two orgs whose names differ only in width or bracket style are two orgs here, as they would be at
 * the partner.
 */
import { z } from 'zod';
import { canonicalOrgName } from '../../src/domain/org-name.js';
import type { SimOrg } from './types.js';

export const orgFixtureSchema = z.array(
  z.strictObject({
    orgId: z.string().min(1),
    fullName: z.string().min(1),
    provinceCode: z.string().regex(/^\d{2}$/),
  }),
);

interface Entry {
  org: SimOrg;
  /** Canonical form of the name: for suggestions only. */
  key: string;
}

/** Java's String.trim(): every character up to U+0020 at either end, nothing else. */
export function partnerTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

const shortestFirst = (a: Entry, b: Entry): number =>
  a.org.fullName.length - b.org.fullName.length ||
  (a.org.fullName < b.org.fullName ? -1 : a.org.fullName > b.org.fullName ? 1 : 0);

export class OrgDirectory {
  private readonly byProvince = new Map<string, Entry[]>();
  private readonly byName = new Map<string, SimOrg>();

  constructor(orgs: readonly SimOrg[]) {
    for (const org of orgs) {
      const exact = `${org.provinceCode}|${org.fullName}`;
      if (this.byName.has(exact)) continue; // one org per exact name and province, the first listed
      const list = this.byProvince.get(org.provinceCode) ?? [];
      list.push({ org, key: canonicalOrgName(org.fullName) });
      this.byProvince.set(org.provinceCode, list);
      this.byName.set(exact, org);
    }
  }

  static fromFixture(json: unknown): OrgDirectory {
    return new OrgDirectory(orgFixtureSchema.parse(json));
  }

  get size(): number {
    return this.byName.size;
  }

  provinces(): string[] {
    return [...this.byProvince.keys()];
  }

  /** The org with exactly this full name in the province, character for character. */
  find(provinceCode: string, fullName: string): SimOrg | undefined {
    return this.byName.get(`${provinceCode}|${fullName}`);
  }

  /** Orgs whose exact name contains the (trimmed) keyword literally, shortest names first. */
  search(provinceCode: string, q: string, limit: number): SimOrg[] {
    const needle = partnerTrim(q);
    if (!needle) return [];
    return (this.byProvince.get(provinceCode) ?? [])
      .filter((e) => e.org.fullName.includes(needle))
      .sort(shortestFirst)
      .slice(0, limit)
      .map((e) => e.org);
  }

  /**
   * Near names for a miss: orgs sharing the longest run of the name, the way a partner suggests.
   * Runs are compared in canonical form, so a miss typed with other widths, spaces or brackets is
   * still offered the org it meant (in the partner's spelling).
   */
  suggest(provinceCode: string, fullName: string, limit = 5): SimOrg[] {
    const key = canonicalOrgName(fullName)
      .replace(/^(共青团|中国共产主义青年团)/u, '')
      .replace(/(委员会|团支部|团委)$/u, '');
    for (let len = Math.min(key.length, 8); len >= 2; len--) {
      const hits = new Map<string, SimOrg>();
      for (let i = 0; i + len <= key.length; i++) {
        for (const org of this.searchCanonical(provinceCode, key.slice(i, i + len), limit))
          hits.set(org.orgId, org);
        if (hits.size >= limit) break;
      }
      if (hits.size > 0) return [...hits.values()].slice(0, limit);
    }
    return [];
  }

  private searchCanonical(provinceCode: string, canonicalNeedle: string, limit: number): SimOrg[] {
    return (this.byProvince.get(provinceCode) ?? [])
      .filter((e) => e.key.includes(canonicalNeedle))
      .sort(shortestFirst)
      .slice(0, limit)
      .map((e) => e.org);
  }
}
