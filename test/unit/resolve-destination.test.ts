/**
 * Resolving a destination to the partner's exact spelling, against fake partners with no network:
 * each fake answers from the simulators' strict directory (exact names, literal search), so the
 * resolver cannot pass by relying on a leniency the partners do not have.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { OrgCheckResult, TransferAdapter } from '../../adapters/adapter.js';
import { PermanentPartnerError, RetryablePartnerError, notSupported } from '../../adapters/errors.js';
import { OrgDirectory, orgFixtureSchema } from '../../adapters/sim/orgs.js';
import type { SimOrg } from '../../adapters/sim/types.js';
import { OrgCache } from '../../src/delivery/org-cache.js';
import { PartnerCaller, type CallHooks, type PartnerOperation } from '../../src/delivery/partner-caller.js';
import type { Partner } from '../../src/delivery/partner-set.js';
import {
  RESOLVE_LIMITS,
  distinctivePart,
  keywords,
  parentPart,
  resolveDestination,
  type ResolverPartner,
} from '../../src/delivery/resolve-destination.js';
import { canonicalOrgName } from '../../src/domain/org-name.js';

const fixture = (target: string): SimOrg[] =>
  orgFixtureSchema.parse(
    JSON.parse(readFileSync(new URL(`../../fixtures/orgs/${target}.json`, import.meta.url), 'utf8')),
  );
const GD = fixture('guangdong');

interface Fake {
  partner: ResolverPartner;
  /** Every partner request, in order. */
  calls: { op: PartnerOperation; arg: string }[];
  hooksSeen: number;
}

/** A partner answering from a strict directory, behind a caller that records what it is asked. */
function fakePartner(
  orgs: readonly SimOrg[],
  o: { checkOrg: boolean; id?: string; fail?: Error; longestFirst?: boolean },
): Fake {
  const dir = new OrgDirectory(orgs);
  const fake: Fake = { calls: [], hooksSeen: 0, partner: undefined as never };
  const plain = (org: SimOrg) => ({ orgId: org.orgId, fullName: org.fullName });
  const adapter: Pick<TransferAdapter, 'checkOrg' | 'searchOrgs'> = {
    checkOrg(provinceCode, fullName): Promise<OrgCheckResult> {
      fake.calls.push({ op: 'check_org', arg: fullName });
      if (o.fail) return Promise.reject(o.fail);
      if (!o.checkOrg) return notSupported('guangdong', 'no name check');
      const found = dir.find(provinceCode, fullName);
      return Promise.resolve(
        found
          ? { result: 'exists', org: plain(found) }
          : { result: 'not_found', suggestions: dir.suggest(provinceCode, fullName).map(plain) },
      );
    },
    searchOrgs(provinceCode, q, options = {}) {
      fake.calls.push({ op: 'search', arg: q });
      if (o.fail) return Promise.reject(o.fail);
      const limit = Math.min(options.limit ?? 20, 100);
      const all = dir.search(provinceCode, q, 1000);
      return Promise.resolve((o.longestFirst ? all.reverse() : all).slice(0, limit).map(plain));
    },
  };
  const caller: ResolverPartner['caller'] = {
    async call<T>(
      _operation: PartnerOperation,
      action: (signal: AbortSignal) => Promise<T>,
      hooks: CallHooks = {},
    ): Promise<T> {
      await hooks.beforeCall?.();
      return action(new AbortController().signal);
    },
  };
  fake.partner = { id: o.id ?? (o.checkOrg ? 'national' : 'guangdong'), capabilities: o, adapter, caller };
  return fake;
}

const ops = (f: Fake) => f.calls.map((c) => c.op);
const org = (orgId: string, fullName: string, provinceCode = '44'): SimOrg => ({
  orgId,
  fullName,
  provinceCode,
});

/** The same name as a member might type it: other bracket widths, stray spaces, full-width letters. */
function messy(name: string, variant: number): string {
  const swapBrackets = (s: string) =>
    s.replace(/[（）()]/gu, (c) => ({ '（': '(', '）': ')', '(': '（', ')': '）' })[c] ?? c);
  const fullWidth = (s: string) =>
    s.replace(/[A-Za-z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  switch (variant % 4) {
    case 0:
      return swapBrackets(name);
    case 1:
      return ` ${name.replace('共青团', '共青团\u3000').replace(/[（(]/u, ' 〔').replace(/[）)]/u, '〕 ')}\u3000`;
    case 2:
      return fullWidth(swapBrackets(name)).replace('委员会', ' 委员会');
    default:
      return `\u00a0${name.replace(/[（(]/u, '【').replace(/[）)]/u, '】').toLowerCase()}`;
  }
}

describe.each([
  { label: 'a partner with a name check', checkOrg: true },
  { label: 'a partner without one (search only)', checkOrg: false },
])('resolveDestination with $label', ({ checkOrg }) => {
  it('resolves an exact name to the partner org, in one request', async () => {
    const f = fakePartner(GD, { checkOrg });
    const r = await resolveDestination(f.partner, '44', '共青团广州市天河区委员会');
    expect(r).toEqual({
      kind: 'resolved',
      org: { orgId: 'GD4410000006', fullName: '共青团广州市天河区委员会' },
    });
    expect(f.calls).toHaveLength(1);
    expect(ops(f)).toEqual([checkOrg ? 'check_org' : 'search']);
  });

  it.each([
    ['half-width brackets', '共青团香港中文大学(深圳)委员会'],
    ['spaces, ideographic spaces and half-width brackets', '\u3000共青团香港中文大学 (深圳) 委员会 '],
    ['other bracket styles', '共青团香港中文大学〔深圳〕委员会'],
    ['lenticular brackets and NBSP', '\u00a0共青团香港中文大学【深圳】委员会'],
  ])('resolves %s to the partner spelling and org id', async (_what, typed) => {
    const f = fakePartner(GD, { checkOrg });
    expect(await resolveDestination(f.partner, '44', typed)).toEqual({
      kind: 'resolved',
      org: { orgId: 'GD4410050274', fullName: '共青团香港中文大学（深圳）委员会' },
    });
    expect(f.calls.length).toBeLessThanOrEqual(RESOLVE_LIMITS.maxRequests);
  });

  it('resolves full-width and lower-case Latin letters', async () => {
    const f = fakePartner(GD, { checkOrg });
    for (const typed of ['共青团ＴＣＬ科技集团股份有限公司委员会', '共青团tcl科技集团股份有限公司委员会']) {
      expect(await resolveDestination(f.partner, '44', typed)).toEqual({
        kind: 'resolved',
        org: { orgId: expect.any(String), fullName: '共青团TCL科技集团股份有限公司委员会' },
      });
    }
  });

  it('is ambiguous between two orgs whose names differ only in bracket width, unless one is asked exactly', async () => {
    const twins = [
      org('GD1', '共青团某某（集团）委员会'),
      org('GD2', '共青团某某(集团)委员会'),
      org('GD3', '共青团某某集团委员会'), // canonically different: never a candidate
      org('GD4', '共青团某某（集团）有限公司委员会'),
    ];
    const f = fakePartner(twins, { checkOrg });
    const r = await resolveDestination(f.partner, '44', '共青团某某 〔集团〕 委员会');
    expect(r.kind).toBe('ambiguous');
    expect(r.kind === 'ambiguous' && r.candidates).toEqual(
      expect.arrayContaining([
        { orgId: 'GD1', fullName: '共青团某某（集团）委员会' },
        { orgId: 'GD2', fullName: '共青团某某(集团)委员会' },
      ]),
    );
    expect(r.kind === 'ambiguous' && r.candidates).toHaveLength(2);
    // The exact spelling of one of them names that one.
    for (const [orgId, fullName] of [
      ['GD1', '共青团某某（集团）委员会'],
      ['GD2', '共青团某某(集团)委员会'],
    ] as const) {
      expect(await resolveDestination(f.partner, '44', fullName)).toEqual({
        kind: 'resolved',
        org: { orgId, fullName },
      });
    }
  });

  it('answers not_found with the nearest names for a name the partner does not hold', async () => {
    const f = fakePartner(GD, { checkOrg });
    const r = await resolveDestination(f.partner, '44', '共青团广州市天河区委员会办公室');
    expect(r.kind).toBe('not_found');
    const suggestions = r.kind === 'not_found' ? r.suggestions : [];
    expect(suggestions.length).toBeGreaterThan(0);
    expect(suggestions.length).toBeLessThanOrEqual(RESOLVE_LIMITS.suggestions);
    expect(suggestions).toContainEqual({ orgId: 'GD4410000006', fullName: '共青团广州市天河区委员会' });
    for (const s of suggestions) expect(s.fullName).toContain('天河区');
    expect(f.calls.length).toBeLessThanOrEqual(RESOLVE_LIMITS.maxRequests);
  });

  it('ranks the closest names first when the spelling itself is wrong', async () => {
    const f = fakePartner(GD, { checkOrg });
    // 团委 for 委员会: canonically another name, so not resolved, but the committee comes first.
    const r = await resolveDestination(f.partner, '44', '共青团华南理工大学团委');
    expect(r.kind).toBe('not_found');
    expect(r.kind === 'not_found' && r.suggestions[0]?.fullName).toBe('共青团华南理工大学委员会');
  });

  it('answers not_found with no suggestions for nothing like any org, within the request bound', async () => {
    const f = fakePartner(GD, { checkOrg });
    const r = await resolveDestination(f.partner, '44', '共青团不存在的组织XYZ委员会');
    expect(r).toEqual({ kind: 'not_found', suggestions: [] });
    expect(f.calls.length).toBeLessThanOrEqual(RESOLVE_LIMITS.maxRequests);
  });

  it('resolves a messy spelling of every fixture org, never with more than the bounded requests', async () => {
    for (const target of ['guangdong', 'fujian', 'national']) {
      const orgs = fixture(target);
      const f = fakePartner(orgs, { checkOrg });
      let i = 0;
      for (const o of orgs) {
        const typed = messy(o.fullName, i++);
        expect(canonicalOrgName(typed)).toBe(canonicalOrgName(o.fullName));
        const before = f.calls.length;
        const r = await resolveDestination(f.partner, o.provinceCode, typed);
        expect(r, `${target}: ${typed}`).toEqual({
          kind: 'resolved',
          org: { orgId: o.orgId, fullName: o.fullName },
        });
        expect(f.calls.length - before).toBeLessThanOrEqual(RESOLVE_LIMITS.maxRequests);
      }
    }
  });

  it('passes the hooks to every partner call', async () => {
    const f = fakePartner(GD, { checkOrg });
    let marks = 0;
    await resolveDestination(f.partner, '44', '共青团广州市天河区委员会办公室', {
      hooks: { beforeCall: () => Promise.resolve(void marks++) },
    });
    expect(marks).toBe(f.calls.length);
    expect(marks).toBeGreaterThan(0);
  });

  it('lets partner errors through unchanged and keeps nothing', async () => {
    const down = new RetryablePartnerError('PARTNER_UNAVAILABLE', 'down', { partner: 'guangdong' });
    const cache = new OrgCache();
    const f = fakePartner(GD, { checkOrg, fail: down });
    await expect(resolveDestination(f.partner, '44', '共青团广州市委员会', { cache })).rejects.toBe(down);
    expect(cache.size).toBe(0);
  });
});

describe('resolveDestination: what each kind of partner is asked', () => {
  it('never asks a partner without the capability for a name check', async () => {
    const f = fakePartner(GD, { checkOrg: false });
    await resolveDestination(f.partner, '44', '共青团香港中文大学(深圳)委员会');
    await resolveDestination(f.partner, '44', '共青团广州市天河区委员会办公室');
    expect(ops(f)).not.toContain('check_org');
  });

  it('searches a search-only partner with runs its literal search can match', async () => {
    const f = fakePartner(GD, { checkOrg: false });
    await resolveDestination(f.partner, '44', '共青团香港中文大学 (深圳) 委员会');
    expect(f.calls).toEqual([{ op: 'search', arg: '共青团香港中文大学' }]);
  });

  it('asks the name check first and takes a canonical match from its suggestions without searching', async () => {
    const f = fakePartner(fixture('national'), { checkOrg: true });
    const r = await resolveDestination(f.partner, '37', ' 共青团中国石油大学(华东)委员会\u3000');
    expect(r).toEqual({
      kind: 'resolved',
      org: { orgId: 'ZT3700000040', fullName: '共青团中国石油大学（华东）委员会' },
    });
    expect(ops(f)).toEqual(['check_org']);
  });

  it('searches when the check suggests near names but not the one meant', async () => {
    // A partner whose check suggests nothing useful: the search still finds the org.
    const f = fakePartner(GD, { checkOrg: true });
    const stingy: ResolverPartner = {
      ...f.partner,
      adapter: {
        ...f.partner.adapter,
        checkOrg: (p, n, o) =>
          f.partner.adapter
            .checkOrg(p, n, o)
            .then((r) => (r.result === 'exists' ? r : { result: 'not_found' as const, suggestions: [] })),
      },
    };
    expect(await resolveDestination(stingy, '44', '共青团香港中文大学(深圳)委员会')).toMatchObject({
      kind: 'resolved',
      org: { orgId: 'GD4410050274' },
    });
    expect(ops(f)).toEqual(['check_org', 'search']);
  });

  it('does not depend on the order of the partner results', async () => {
    // A partner listing longest names first: the canonical match is still found on its page.
    const f = fakePartner(GD, { checkOrg: false, longestFirst: true });
    expect(await resolveDestination(f.partner, '44', '共青团广州市天河区委员会 ')).toMatchObject({
      kind: 'resolved',
      org: { orgId: 'GD4410000006' },
    });
  });

  it('works with the partners the delivery holds (a real caller: rate limit and breaker)', async () => {
    const caller = new PartnerCaller(
      'guangdong',
      { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 60_000, rollingWindowMs: 10_000 },
      undefined,
      pino({ level: 'silent' }),
    );
    const f = fakePartner(GD, { checkOrg: false });
    const partner: Partner = {
      id: 'guangdong',
      label: 'Guangdong',
      queue: 'deliver-guangdong',
      capabilities: { checkOrg: false, withdraw: true, localReport: true, accountCreation: false },
      adapter: { ...(f.partner.adapter as TransferAdapter) },
      caller,
    };
    try {
      expect(await resolveDestination(partner, '44', '共青团香港中文大学(深圳)委员会')).toMatchObject({
        kind: 'resolved',
        org: { orgId: 'GD4410050274' },
      });
    } finally {
      caller.shutdown();
    }
  });

  it('a CAPABILITY_NOT_SUPPORTED from a partner that claims the capability propagates', async () => {
    const f = fakePartner(GD, { checkOrg: false });
    const liar: ResolverPartner = { ...f.partner, capabilities: { checkOrg: true } };
    await expect(resolveDestination(liar, '44', '共青团广州市委员会')).rejects.toBeInstanceOf(
      PermanentPartnerError,
    );
  });
});

describe('search keywords', () => {
  it('are runs of Chinese characters, most distinctive first, then the distinctive part and its unit', () => {
    expect(keywords('共青团香港中文大学 (深圳) 委员会')).toEqual([
      '共青团香港中文大学',
      '香港中文大学',
      '深圳',
    ]);
    expect(keywords('共青团广州市天河区委员会办公室')).toEqual([
      '共青团广州市天河区委员会办公室',
      '广州市天河区委员会办公室',
      '广州市天河区',
    ]);
    // Full-width letters become a split point: the Chinese run after them is matched literally.
    expect(keywords('共青团ＴＣＬ科技集团股份有限公司委员会')[0]).toBe('科技集团股份有限公司委员会');
    // Generic words weigh nothing wherever they stand: 有限责任公司委员会办公室 is not the best run.
    expect(keywords('共青团福建省电子信息（集团）有限责任公司委员会办公室')).toEqual([
      '共青团福建省电子信息',
      '福建省电子信息',
      '福建省',
      '有限责任公司委员会办公室',
    ]);
    expect(keywords('TCL')).toEqual(['TCL']);
    expect(keywords('')).toEqual([]);
  });

  it('set the league and company forms aside to find what tells orgs apart', () => {
    expect(distinctivePart('中国共产主义青年团福建省福州市委员会')).toBe('福建省福州市');
    expect(distinctivePart('共青团广州地铁集团有限公司委员会')).toBe('广州地铁');
    expect(distinctivePart('集团')).toBe('');
    expect(parentPart('广州市天河区委员会办公室')).toBe('广州市天河区');
    expect(parentPart('华南理工大学软件学院')).toBe('华南理工大学');
    expect(parentPart('福建省福州市')).toBe('福建省');
    expect(parentPart('不存在的组织')).toBeUndefined();
  });
});

describe('OrgCache of resolutions', () => {
  function clock() {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  }

  it('a cached resolution makes no partner request, for any spelling of a canonically unique org', async () => {
    const cache = new OrgCache();
    for (const checkOrg of [false, true]) {
      const f = fakePartner(GD, { checkOrg, id: `p${String(checkOrg)}` });
      const first = await resolveDestination(f.partner, '44', '共青团香港中文大学(深圳)委员会', { cache });
      const asked = f.calls.length;
      expect(asked).toBeGreaterThan(0);
      for (const typed of ['共青团香港中文大学(深圳)委员会', ' 共青团香港中文大学 （深圳）委员会']) {
        expect(await resolveDestination(f.partner, '44', typed, { cache })).toEqual(first);
      }
      expect(f.calls).toHaveLength(asked);
    }
  });

  it("keeps a name check's confirmation for that spelling only", async () => {
    const cache = new OrgCache();
    const f = fakePartner(GD, { checkOrg: true });
    await resolveDestination(f.partner, '44', '共青团香港中文大学（深圳）委员会', { cache });
    await resolveDestination(f.partner, '44', '共青团香港中文大学（深圳）委员会', { cache });
    expect(ops(f)).toEqual(['check_org']);
    // Another spelling is asked about (the check did not say whether a differently bracketed twin exists).
    await resolveDestination(f.partner, '44', '共青团香港中文大学(深圳)委员会', { cache });
    expect(ops(f)).toEqual(['check_org', 'check_org']);
  });

  it('keeps entries apart per partner and province', async () => {
    const cache = new OrgCache();
    const a = fakePartner(GD, { checkOrg: false, id: 'a' });
    const b = fakePartner(GD, { checkOrg: false, id: 'b' });
    await resolveDestination(a.partner, '44', '共青团广州市委员会', { cache });
    expect(a.calls).toHaveLength(1);
    await resolveDestination(b.partner, '44', '共青团广州市委员会', { cache });
    expect(b.calls).toHaveLength(1);
    await resolveDestination(a.partner, '45', '共青团广州市委员会', { cache });
    expect(a.calls.length).toBeGreaterThan(1);
    const asked = a.calls.length;
    await resolveDestination(a.partner, '44', '共青团广州市委员会', { cache });
    expect(a.calls).toHaveLength(asked);
  });

  it('forgets a resolution after its lifetime, a miss sooner, and keeps no miss with negativeTtlMs 0', async () => {
    const c = clock();
    const cache = new OrgCache({ ttlMs: 10_000, negativeTtlMs: 1_000, now: c.now });
    const f = fakePartner(GD, { checkOrg: false });
    const count = () => f.calls.length;
    await resolveDestination(f.partner, '44', '共青团广州市委员会', { cache });
    await resolveDestination(f.partner, '44', '共青团广州市委员会办公室', { cache });
    const afterFirst = count();
    c.advance(999);
    await resolveDestination(f.partner, '44', '共青团广州市委员会', { cache });
    await resolveDestination(f.partner, '44', '共青团广州市委员会办公室', { cache });
    expect(count()).toBe(afterFirst);
    c.advance(1);
    await resolveDestination(f.partner, '44', '共青团广州市委员会办公室', { cache });
    expect(count()).toBeGreaterThan(afterFirst); // the miss expired
    const afterMiss = count();
    c.advance(8_999);
    await resolveDestination(f.partner, '44', '共青团广州市委员会', { cache });
    expect(count()).toBe(afterMiss); // 9,999 ms old: still kept
    c.advance(1);
    await resolveDestination(f.partner, '44', '共青团广州市委员会', { cache });
    expect(count()).toBe(afterMiss + 1);

    const noMisses = new OrgCache({ negativeTtlMs: 0 });
    const g = fakePartner(GD, { checkOrg: false });
    await resolveDestination(g.partner, '44', '共青团广州市委员会办公室', { cache: noMisses });
    expect(noMisses.size).toBe(0);
  });

  it('keeps ambiguous answers as misses, for the spelling asked', async () => {
    const cache = new OrgCache();
    const f = fakePartner([org('1', '共青团某某（集团）委员会'), org('2', '共青团某某(集团)委员会')], {
      checkOrg: false,
    });
    const typed = '共青团某某 (集团) 委员会';
    const first = await resolveDestination(f.partner, '44', typed, { cache });
    const asked = f.calls.length;
    expect(await resolveDestination(f.partner, '44', typed, { cache })).toEqual(first);
    expect(f.calls).toHaveLength(asked);
    expect(first.kind).toBe('ambiguous');
  });

  it('holds at most max entries, dropping the least recently used', () => {
    const cache = new OrgCache({ max: 2 });
    const resolved = (id: string) => ({ kind: 'resolved' as const, org: { orgId: id, fullName: id } });
    cache.remember('p', '44', '甲', resolved('1'), 'canonical');
    cache.remember('p', '44', '乙', resolved('2'), 'canonical');
    expect(cache.lookup('p', '44', '甲')).toEqual(resolved('1')); // 甲 is now the most recent
    cache.remember('p', '44', '丙', resolved('3'), 'canonical');
    expect(cache.size).toBe(2);
    expect(cache.lookup('p', '44', '乙')).toBeUndefined();
    expect(cache.lookup('p', '44', '甲')).toEqual(resolved('1'));
    expect(cache.lookup('p', '44', '丙')).toEqual(resolved('3'));
  });

  it('answers copies: a caller changing a result does not change the cache', () => {
    const cache = new OrgCache();
    cache.remember('p', '44', '甲', { kind: 'resolved', org: { orgId: '1', fullName: '甲' } }, 'canonical');
    const hit = cache.lookup('p', '44', '甲');
    if (hit?.kind === 'resolved') hit.org.fullName = 'changed';
    expect(cache.lookup('p', '44', '甲')).toEqual({ kind: 'resolved', org: { orgId: '1', fullName: '甲' } });
  });
});
