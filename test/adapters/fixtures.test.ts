import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OrgDirectory, orgFixtureSchema } from '../../adapters/sim/orgs.js';
import { generate } from '../../scripts/gen-org-fixtures.js';
import { canonicalOrgName } from '../../src/domain/org-name.js';

const load = (target: string) =>
  orgFixtureSchema.parse(
    JSON.parse(readFileSync(new URL(`../../fixtures/orgs/${target}.json`, import.meta.url), 'utf8')),
  );

const ID_STYLE = { national: /^ZT\d{10}$/, guangdong: /^GD44\d{8}$/, fujian: /^35\d{16}$/ } as const;

describe('org fixtures', () => {
  const generated = generate();

  it.each(['national', 'guangdong', 'fujian'] as const)(
    '%s: committed JSON is exactly what the generator writes',
    (target) => {
      expect(load(target)).toEqual(generated[target]);
    },
  );

  it.each(['national', 'guangdong', 'fujian'] as const)(
    '%s: unique ids in the partner style, unique canonical names',
    (target) => {
      const orgs = load(target);
      expect(orgs.length).toBeGreaterThanOrEqual(200);
      expect(new Set(orgs.map((o) => o.orgId)).size).toBe(orgs.length);
      expect(new Set(orgs.map((o) => `${o.provinceCode}|${canonicalOrgName(o.fullName)}`)).size).toBe(
        orgs.length,
      );
      for (const o of orgs) expect(o.orgId).toMatch(ID_STYLE[target]);
      // Real directories mix full-width and half-width brackets.
      expect(orgs.some((o) => o.fullName.includes('（'))).toBe(true);
      expect(orgs.some((o) => o.fullName.includes('('))).toBe(true);
    },
  );

  it('national holds the five sectors and no province served by another system', () => {
    const codes = new Set(load('national').map((o) => o.provinceCode));
    for (const c of ['91', '92', '93', '94', '95']) expect(codes).toContain(c);
    for (const c of ['11', '35', '44', '71', '81', '82']) expect(codes).not.toContain(c);
    expect(load('guangdong').every((o) => o.provinceCode === '44')).toBe(true);
    expect(load('fujian').every((o) => o.provinceCode === '35')).toBe(true);
  });

  it('the directory finds exact names only, as the partner spells them', () => {
    const dir = OrgDirectory.fromFixture(load('guangdong'));
    expect(dir.find('44', '共青团香港中文大学（深圳）委员会')?.orgId).toBe('GD4410050274');
    for (const near of [
      '共青团香港中文大学(深圳)委员会',
      '共青团香港中文大学 （深圳）委员会',
      ' 共青团香港中文大学（深圳）委员会',
      '共青团香港中文大学（深圳）委员会\u3000',
      '共青团香港中文大学〔深圳〕委员会',
      '共青团ＴＣＬ科技集团股份有限公司委员会',
      '共青团tcl科技集团股份有限公司委员会',
    ])
      expect(dir.find('44', near), near).toBeUndefined();
    expect(dir.find('44', '共青团TCL科技集团股份有限公司委员会')?.orgId).toBe('GD4410060318');
    expect(dir.find('35', '共青团香港中文大学（深圳）委员会')).toBeUndefined();
  });

  it('the directory searches literally, trimming the keyword only as a Java back end does', () => {
    const dir = OrgDirectory.fromFixture(load('guangdong'));
    expect(dir.search('44', '香港中文大学（深圳）', 5).map((o) => o.orgId)).toEqual(['GD4410050274']);
    expect(dir.search('44', '香港中文大学(深圳)', 5)).toEqual([]);
    expect(dir.search('44', '香港中文 大学', 5)).toEqual([]);
    expect(dir.search('44', 'ＴＣＬ', 5)).toEqual([]);
    expect(dir.search('44', 'tcl', 5)).toEqual([]);
    expect(dir.search('44', 'TCL', 5).map((o) => o.fullName)).toEqual([
      '共青团TCL科技集团股份有限公司委员会',
    ]);
    expect(dir.search('44', '天河区', 100).length).toBeGreaterThan(20);
    // ASCII spaces and controls at either end go; an ideographic space or NBSP is part of the keyword.
    expect(dir.search('44', ' \t天河区 ', 100)).toEqual(dir.search('44', '天河区', 100));
    expect(dir.search('44', '\u3000天河区', 100)).toEqual([]);
    expect(dir.search('44', '\u00a0天河区', 100)).toEqual([]);
    expect(dir.search('44', '   ', 100)).toEqual([]);
    // Shortest names first, at most `limit`.
    const some = dir.search('44', '天河区', 3).map((o) => o.fullName);
    expect(some[0]).toBe('共青团广州市天河区委员会');
    expect(some).toHaveLength(3);
  });

  it('the directory suggests near names however the miss was typed, in the partner spelling', () => {
    const dir = OrgDirectory.fromFixture(load('guangdong'));
    expect(dir.suggest('44', '共青团华南理工大学团委').map((o) => o.fullName)).toContain(
      '共青团华南理工大学委员会',
    );
    expect(dir.suggest('44', '共青团香港中文大学 (深圳) 委员会').map((o) => o.fullName)).toContain(
      '共青团香港中文大学（深圳）委员会',
    );
    expect(dir.suggest('44', '完全无关XYZ')).toEqual([]);
  });

  it('the directory keeps canonically equal names apart: two orgs, each found by its own spelling', () => {
    const dir = new OrgDirectory([
      { orgId: 'A', fullName: '共青团某某（集团）委员会', provinceCode: '44' },
      { orgId: 'B', fullName: '共青团某某(集团)委员会', provinceCode: '44' },
    ]);
    expect(dir.size).toBe(2);
    expect(dir.find('44', '共青团某某（集团）委员会')?.orgId).toBe('A');
    expect(dir.find('44', '共青团某某(集团)委员会')?.orgId).toBe('B');
    expect(dir.find('44', '共青团某某 (集团) 委员会')).toBeUndefined();
    expect(
      dir
        .search('44', '某某', 10)
        .map((o) => o.orgId)
        .sort(),
    ).toEqual(['A', 'B']);
    expect(
      dir
        .suggest('44', '共青团某某〔集团〕委员会')
        .map((o) => o.orgId)
        .sort(),
    ).toEqual(['A', 'B']);
  });
});
