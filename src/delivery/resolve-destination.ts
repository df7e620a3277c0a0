/**
 * Finding a destination's exact spelling at its partner. A destination is a province code and the
 * org's exact full name (组织全称); the partners accept nothing else, and people type names with other
 * widths, stray spaces and other brackets. Two names are the same org's when their canonical forms
 * (src/domain/org-name.ts) are equal; the partner's spelling and org id are what gets submitted.
 *
 * - A partner with a name check (`capabilities.checkOrg`) is asked with the name as typed. `exists`
 *   is the answer. On `not_found`, its suggestions are searched for the canonical name; when they do
 *   not hold it, its org list is searched (below).
 * - Otherwise its org list is searched. The partners' searches are literal substring matches on their
 *   own spelling, so the keywords are runs of the name that no width, space or bracket difference can
 *   touch: its runs of Chinese characters (which have no widths, and between which brackets and
 *   spaces fall), the most distinctive first — the run with most left once 共青团, 委员会 and company
 *   forms are set aside. The results are kept whose canonical name equals the requested one.
 *
 * One org found: `resolved`. Several different orgs with the canonical name (a directory holding
 * `…（集团）…` and `…(集团)…` as two orgs): `ambiguous`, unless exactly one of them is spelled exactly
 * as asked. None: `not_found`, with the partner's suggestions and the closest search results.
 *
 * At most RESOLVE_LIMITS.maxRequests partner requests per resolution, each through the partner's
 * caller (rate limit, breaker); their errors propagate unchanged. With a cache (./org-cache.ts), a
 * resolution kept there costs no request. Pure of Redis and BullMQ.
 */
import type { Capabilities, TransferAdapter } from '../../adapters/adapter.js';
import { canonicalOrgName } from '../domain/org-name.js';
import type { Org, OrgCache, Resolution, ResolutionScope } from './org-cache.js';
import type { CallHooks, PartnerCaller } from './partner-caller.js';

export type { Org, Resolution } from './org-cache.js';

/** What the resolver needs of a partner (a `Partner` of ./partner-set.ts is one). */
export interface ResolverPartner {
  readonly id: string;
  readonly capabilities: Pick<Capabilities, 'checkOrg'>;
  readonly adapter: Pick<TransferAdapter, 'checkOrg' | 'searchOrgs'>;
  readonly caller: Pick<PartnerCaller, 'call'>;
}

export interface ResolveOptions {
  /** Resolutions kept in this process; without it every resolution asks the partner. */
  cache?: OrgCache;
  /** Passed to every partner call (the delivery marks there that it runs partner code). */
  hooks?: CallHooks;
}

export const RESOLVE_LIMITS = {
  /** Partner requests per resolution, the name check included. */
  maxRequests: 3,
  /** Results asked of each search. */
  searchLimit: 50,
  /** Suggestions returned with not_found. */
  suggestions: 10,
} as const;

export async function resolveDestination(
  partner: ResolverPartner,
  provinceCode: string,
  fullName: string,
  options: ResolveOptions = {},
): Promise<Resolution> {
  const cached = options.cache?.lookup(partner.id, provinceCode, fullName);
  if (cached) return cached;
  const { resolution, scope } = await ask(partner, provinceCode, fullName, options.hooks);
  options.cache?.remember(partner.id, provinceCode, fullName, resolution, scope);
  return resolution;
}

interface Decision {
  resolution: Resolution;
  scope: ResolutionScope;
}

async function ask(
  partner: ResolverPartner,
  provinceCode: string,
  fullName: string,
  hooks: CallHooks | undefined,
): Promise<Decision> {
  const wanted = canonicalOrgName(fullName);
  let budget = RESOLVE_LIMITS.maxRequests;
  let suggested: Org[] = [];

  if (partner.capabilities.checkOrg) {
    budget--;
    const check = await partner.caller.call(
      'check_org',
      (signal) => partner.adapter.checkOrg(provinceCode, fullName, { signal }),
      hooks,
    );
    // The partner confirmed this spelling; whether it holds a differently bracketed twin, it did not say.
    if (check.result === 'exists')
      return { resolution: { kind: 'resolved', org: plain(check.org) }, scope: 'exact' };
    suggested = unique(check.suggestions);
    const decided = decide(fullName, wanted, suggested);
    if (decided) return decided;
  }

  // A canonical twin holds the same runs of Chinese characters, so it is on the same result list: the
  // first page with a match decides. Later keywords are broader, for near names only: they are asked
  // only while nothing near has been found.
  const found = new Map<string, Org>();
  let searches = 0;
  for (const keyword of keywords(fullName)) {
    if (searches >= budget || (searches > 0 && (found.size > 0 || suggested.length > 0))) break;
    searches++;
    const page = await partner.caller.call(
      'search',
      (signal) =>
        partner.adapter.searchOrgs(provinceCode, keyword, { signal, limit: RESOLVE_LIMITS.searchLimit }),
      hooks,
    );
    for (const org of page) if (!found.has(org.orgId)) found.set(org.orgId, plain(org));
    const decided = decide(fullName, wanted, [...suggested, ...found.values()]);
    if (decided) return decided;
  }

  const near = unique([...suggested, ...closest(wanted, [...found.values()])]);
  return {
    resolution: { kind: 'not_found', suggestions: near.slice(0, RESOLVE_LIMITS.suggestions) },
    scope: 'exact',
  };
}

/** The orgs among `orgs` with the requested canonical name, as a decision (undefined: none). */
function decide(fullName: string, wanted: string, orgs: readonly Org[]): Decision | undefined {
  if (!wanted) return undefined;
  const matches = unique(orgs).filter((o) => canonicalOrgName(o.fullName) === wanted);
  const [only] = matches;
  if (!only) return undefined;
  if (matches.length === 1) return { resolution: { kind: 'resolved', org: only }, scope: 'canonical' };
  // Canonical twins: the one spelled exactly as asked is meant; otherwise nobody can tell.
  const exact = matches.filter((o) => o.fullName === fullName);
  if (exact.length === 1 && exact[0])
    return { resolution: { kind: 'resolved', org: exact[0] }, scope: 'exact' };
  return { resolution: { kind: 'ambiguous', candidates: matches }, scope: 'exact' };
}

const plain = (o: Org): Org => ({ orgId: o.orgId, fullName: o.fullName });

/** First of each org id, in order. */
function unique(orgs: readonly Org[]): Org[] {
  const seen = new Set<string>();
  return orgs.filter((o) => !seen.has(o.orgId) && seen.add(o.orgId)).map(plain);
}

// --- Keywords -------------------------------------------------------------------------------------

/** What every league org name and company name may start or end with: no help in telling orgs apart. */
const GENERIC_PREFIX = /^(?:中国共产主义青年团|共青团)/u;
const GENERIC_SUFFIX =
  /(?:工作委员会|委员会|团工委|团委|团总支|总支部|临时团支部|团支部|支部|股份有限公司|有限责任公司|有限公司|公司|集团)$/u;

/** The same words wherever they stand, to weigh what else a run holds. */
const GENERIC_ANYWHERE =
  /中国共产主义青年团|共青团|工作委员会|委员会|团工委|团委|团总支|总支部|临时团支部|团支部|股份有限公司|有限责任公司|有限公司|公司|集团/gu;

/** How much of a run tells orgs apart: its characters outside the generic words. */
export function distinctiveness(run: string): number {
  return [...run.replace(GENERIC_ANYWHERE, '')].length;
}

/** A run with its generic beginning and endings set aside (共青团广州市天河区委员会 → 广州市天河区). */
export function distinctivePart(run: string): string {
  let core = run.replace(GENERIC_PREFIX, '');
  for (let next = core.replace(GENERIC_SUFFIX, ''); next !== core; next = core.replace(GENERIC_SUFFIX, ''))
    core = next;
  return core;
}

/** Where a unit's name ends inside a longer name: 广州市|天河区|…, 华南理工大学|软件学院. */
const UNIT_END = /(?:省|市|区|县|旗|自治州|盟|镇|乡|街道|大学|学院|公司|集团)/gu;

/**
 * The name of the unit a distinctive part belongs to: its longest proper prefix that ends a unit
 * (广州市天河区委员会办公室 → 广州市天河区), or undefined. Names run from the general to the
 * particular, so this is where near names of a name that does not exist are found.
 */
export function parentPart(core: string): string | undefined {
  let end = 0;
  for (const m of core.matchAll(UNIT_END)) {
    const at = m.index + m[0].length;
    if (at < core.length) end = at;
  }
  return end >= 2 ? core.slice(0, end) : undefined;
}

/**
 * Search keywords for a name, best first: its most distinctive run of Chinese characters, then that
 * run's distinctive part and the unit it belongs to (near names, when the whole run is not found),
 * then its other runs. A name without Chinese characters is split at everything but letters and
 * digits instead.
 */
export function keywords(fullName: string): string[] {
  const canonical = canonicalOrgName(fullName);
  const han = canonical.match(/\p{Script=Han}+/gu) ?? [];
  const runs = han.length
    ? han
    : fullName
        .normalize('NFKC')
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean);
  const scored = [...new Set(runs)]
    .map((run) => ({ run, score: han.length ? distinctiveness(run) : run.length }))
    .sort((a, b) => b.score - a.score || b.run.length - a.run.length);
  const [best] = scored;
  if (!best) return [];
  const out = [best.run];
  const add = (k: string | undefined): void => {
    if (k && k.length >= 2 && !out.includes(k)) out.push(k);
  };
  if (han.length) {
    const core = distinctivePart(best.run);
    add(core);
    add(parentPart(core));
  }
  for (const { run, score } of scored.slice(1)) if (score >= 2) add(run);
  return out;
}

// --- Near names -----------------------------------------------------------------------------------

function bigrams(s: string): Map<string, number> {
  const chars = [...s];
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < chars.length; i++) {
    const g = `${chars[i]}${chars[i + 1]}`;
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** Dice similarity of two names' character pairs, 0 to 1. */
function similarity(a: Map<string, number>, aSize: number, b: string): number {
  const bb = bigrams(b);
  let bSize = 0;
  let shared = 0;
  for (const [g, n] of bb) {
    bSize += n;
    shared += Math.min(n, a.get(g) ?? 0);
  }
  return aSize + bSize === 0 ? 0 : (2 * shared) / (aSize + bSize);
}

/** Orgs ranked by how close their canonical names are to the wanted one; ties: nearer length, then name. */
function closest(wanted: string, orgs: readonly Org[]): Org[] {
  const w = bigrams(wanted);
  const wSize = [...w.values()].reduce((s, n) => s + n, 0);
  const wLen = [...wanted].length;
  return orgs
    .map((org) => {
      const key = canonicalOrgName(org.fullName);
      return { org, score: similarity(w, wSize, key), gap: Math.abs([...key].length - wLen) };
    })
    .sort(
      (a, b) =>
        b.score - a.score ||
        a.gap - b.gap ||
        (a.org.fullName < b.org.fullName ? -1 : a.org.fullName > b.org.fullName ? 1 : 0),
    )
    .map((r) => r.org);
}
