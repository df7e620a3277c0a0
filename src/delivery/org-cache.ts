/**
 * Names the national system confirmed, kept for a while in this process: a season sends thousands of
 * graduates to the same district committees, and asking the partner each time doubles its load. Only
 * confirmations are kept (never "not found"), for a bounded time; a name that disappears meanwhile is
 * refused by the partner at submission, which fails the transfer just the same.
 */
import { canonicalOrgName } from '../domain/org-name.js';

export interface Org {
  orgId: string;
  fullName: string;
}

export class OrgCache {
  private readonly entries = new Map<string, { org: Org; expires: number }>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 10_000,
  ) {}

  private key(provinceCode: string, fullName: string): string {
    return `${provinceCode}|${canonicalOrgName(fullName)}`;
  }

  get(provinceCode: string, fullName: string, now = Date.now()): Org | undefined {
    const key = this.key(provinceCode, fullName);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.org;
  }

  set(provinceCode: string, fullName: string, org: Org, now = Date.now()): void {
    // Map keeps insertion order: the oldest entry goes first when full.
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(this.key(provinceCode, fullName), { org, expires: now + this.ttlMs });
  }
}
