/**
 * Destinations already resolved at their partner (./resolve-destination.ts), kept for a while in this
 * process: a season sends thousands of graduates to the same district committees, and asking the
 * partner each time multiplies its load. Bounded in time and size; a name that changes at the partner
 * meanwhile is refused at submission, which fails the transfer just the same.
 *
 * Entries are per partner and province, and of two kinds:
 * - under the name's canonical form (src/domain/org-name.ts): an org found by comparing canonical
 *   forms, the only one with that canonical name at the partner. It answers for every spelling of the
 *   name (other widths, spaces, brackets), so the many ways a destination is typed cost one lookup.
 * - under the exact spelling asked for: what holds for that spelling only. The partner confirmed the
 *   spelling itself (national's check: it does not say whether a differently bracketed twin exists),
 *   the spelling picked one of several canonically equal orgs, or the answer was a miss
 *   (`not_found`, `ambiguous`: another spelling of it may well be the partner's).
 *
 * Resolved orgs live `ttlMs` (10 minutes by default); misses `negativeTtlMs` (1 minute), long enough
 * to spare the partner a burst of transfers to one mistyped destination, short enough that a name the
 * partner adds is found soon. At most `max` entries: the least recently used goes first.
 */
import { canonicalOrgName } from '../domain/org-name.js';

export interface Org {
  orgId: string;
  /** Exactly as the partner spells it. */
  fullName: string;
}

/** What resolving a destination at its partner can come to. */
export type Resolution =
  | { kind: 'resolved'; org: Org }
  | { kind: 'not_found'; suggestions: Org[] }
  | { kind: 'ambiguous'; candidates: Org[] };

/** Whether a resolution holds for every spelling with the same canonical form, or for this one only. */
export type ResolutionScope = 'canonical' | 'exact';

export interface OrgCacheOptions {
  /** How long a resolved org is kept. */
  ttlMs?: number;
  /** How long a miss (not_found, ambiguous) is kept; 0 keeps none. */
  negativeTtlMs?: number;
  /** Entries at most; the least recently used is dropped first. */
  max?: number;
  /** Milliseconds now (tests move it). */
  now?: () => number;
}

interface Entry {
  resolution: Resolution;
  expires: number;
}

const copy = (r: Resolution): Resolution => {
  switch (r.kind) {
    case 'resolved':
      return { kind: 'resolved', org: { ...r.org } };
    case 'not_found':
      return { kind: 'not_found', suggestions: r.suggestions.map((o) => ({ ...o })) };
    case 'ambiguous':
      return { kind: 'ambiguous', candidates: r.candidates.map((o) => ({ ...o })) };
  }
};

export class OrgCache {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly max: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: OrgCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 60_000;
    this.max = Math.max(1, options.max ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The resolution kept for this spelling (exact entry first, then the canonical one), if still fresh. */
  lookup(partnerId: string, provinceCode: string, fullName: string): Resolution | undefined {
    const hit =
      this.fresh(`${partnerId}|${provinceCode}|=${fullName}`) ??
      this.fresh(`${partnerId}|${provinceCode}|~${canonicalOrgName(fullName)}`);
    return hit && copy(hit);
  }

  /**
   * Keeps a resolution of `fullName`. `scope` says whether it holds for every spelling with its
   * canonical form (an org found as the only canonical match) or for this spelling only. Misses are
   * always kept for the exact spelling.
   */
  remember(
    partnerId: string,
    provinceCode: string,
    fullName: string,
    resolution: Resolution,
    scope: ResolutionScope,
  ): void {
    const positive = resolution.kind === 'resolved';
    const ttl = positive ? this.ttlMs : this.negativeTtlMs;
    if (ttl <= 0) return;
    const key =
      positive && scope === 'canonical'
        ? `${partnerId}|${provinceCode}|~${canonicalOrgName(fullName)}`
        : `${partnerId}|${provinceCode}|=${fullName}`;
    this.put(key, { resolution: copy(resolution), expires: this.now() + ttl });
  }

  private fresh(key: string): Resolution | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Map keeps insertion order: moving a hit to the end makes the first key the least recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.resolution;
  }

  private put(key: string, entry: Entry): void {
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
  }
}
