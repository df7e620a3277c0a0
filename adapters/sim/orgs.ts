/**
 * A partner's org directory. Lookups compare canonical forms (full/half width, spaces, brackets)
 * but always answer with the partner's own spelling, as the real systems do.
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
  key: string;
}

export class OrgDirectory {
  private readonly byProvince = new Map<string, Entry[]>();
  private readonly byKey = new Map<string, SimOrg>();

  constructor(orgs: readonly SimOrg[]) {
    for (const org of orgs) {
      const key = canonicalOrgName(org.fullName);
      const list = this.byProvince.get(org.provinceCode) ?? [];
      list.push({ org, key });
      this.byProvince.set(org.provinceCode, list);
      this.byKey.set(`${org.provinceCode}|${key}`, org);
    }
  }

  static fromFixture(json: unknown): OrgDirectory {
    return new OrgDirectory(orgFixtureSchema.parse(json));
  }

  get size(): number {
    return this.byKey.size;
  }

  provinces(): string[] {
    return [...this.byProvince.keys()];
  }

  find(provinceCode: string, fullName: string): SimOrg | undefined {
    return this.byKey.get(`${provinceCode}|${canonicalOrgName(fullName)}`);
  }

  /** Orgs whose canonical name contains the canonical query, shortest names first. */
  search(provinceCode: string, q: string, limit: number): SimOrg[] {
    const needle = canonicalOrgName(q);
    return (this.byProvince.get(provinceCode) ?? [])
      .filter((e) => e.key.includes(needle))
      .sort((a, b) => a.key.length - b.key.length || a.key.localeCompare(b.key))
      .slice(0, limit)
      .map((e) => e.org);
  }

  /** Near names for a miss: orgs sharing the longest run of the name, the way a partner suggests. */
  suggest(provinceCode: string, fullName: string, limit = 5): SimOrg[] {
    const key = canonicalOrgName(fullName)
      .replace(/^(共青团|中国共产主义青年团)/u, '')
      .replace(/(委员会|团支部|团委)$/u, '');
    for (let len = Math.min(key.length, 8); len >= 2; len--) {
      const hits = new Map<string, SimOrg>();
      for (let i = 0; i + len <= key.length; i++) {
        for (const org of this.search(provinceCode, key.slice(i, i + len), limit)) hits.set(org.orgId, org);
        if (hits.size >= limit) break;
      }
      if (hits.size > 0) return [...hits.values()].slice(0, limit);
    }
    return [];
  }
}
