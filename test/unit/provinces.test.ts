import { builtInPartners } from '../../adapters/registry.js';
import { routeDestination } from '../../src/domain/routing.js';
import { describe, expect, it } from 'vitest';

import provinces from '../../fixtures/provinces.json' with { type: 'json' };
import { isIdRegionPrefix, isLeagueProvinceCode, provinceName } from '../../src/domain/provinces.js';

const SECTORS = ['91', '92', '93', '94', '95'];

describe('the province fixture', () => {
  it('lists the 34 province-level units, the 5 sectors and the 83 permit prefix', () => {
    expect(provinces.filter((p) => p.kind === 'province')).toHaveLength(34);
    expect(provinces.filter((p) => p.kind === 'sector').map((p) => p.code)).toEqual(SECTORS);
    expect(provinces.filter((p) => p.kind === 'id_prefix_only').map((p) => p.code)).toEqual(['83']);
    expect(new Set(provinces.map((p) => p.code)).size).toBe(provinces.length);
  });
});

const ROUTES = builtInPartners.routes();

describe('routeDestination', () => {
  it('sends 44 to guangdong and 35 to fujian', () => {
    expect(routeDestination('44', ROUTES)).toEqual({
      ok: true,
      target: 'guangdong',
      sector: false,
      name: '广东省',
    });
    expect(routeDestination('35', ROUTES)).toEqual({
      ok: true,
      target: 'fujian',
      sector: false,
      name: '福建省',
    });
  });

  it.each(SECTORS)('sends sector %s to national', (code) => {
    expect(routeDestination(code, ROUTES)).toMatchObject({ ok: true, target: 'national', sector: true });
  });

  it('sends every other mainland province to national', () => {
    const others = provinces.filter(
      (p) => p.kind === 'province' && p.destination && !['11', '35', '44'].includes(p.code),
    );
    expect(others).toHaveLength(28);
    for (const p of others) {
      expect(routeDestination(p.code, ROUTES)).toEqual({
        ok: true,
        target: 'national',
        sector: false,
        name: p.name,
      });
    }
  });

  it('refuses Beijing as internal, saying why', () => {
    const result = routeDestination('11', ROUTES);
    expect(result).toMatchObject({ ok: false, code: 'DESTINATION_IS_INTERNAL' });
    expect(result.ok === false && result.message).toMatch(/Beijing system itself/);
  });

  it.each(['71', '81', '82', '83'])('refuses %s, which has no reachable league system', (code) => {
    expect(routeDestination(code, ROUTES)).toMatchObject({ ok: false, code: 'INVALID_PROVINCE_CODE' });
  });

  it.each(['00', '99', '16', '1', '440', '', 'ab'])('refuses the unknown code %j', (code) => {
    expect(routeDestination(code, ROUTES)).toMatchObject({ ok: false, code: 'INVALID_PROVINCE_CODE' });
  });
});

describe('isIdRegionPrefix', () => {
  it('accepts province-level units, Hong Kong, Macao, Taiwan and 83', () => {
    for (const code of ['11', '44', '65', '71', '81', '82', '83']) expect(isIdRegionPrefix(code)).toBe(true);
  });

  it('refuses sector codes and unknown codes', () => {
    for (const code of [...SECTORS, '00', '99', '1']) expect(isIdRegionPrefix(code)).toBe(false);
  });
});

describe('isLeagueProvinceCode', () => {
  it('accepts Beijing, the other destinations and the sectors, nothing else', () => {
    for (const code of ['11', '44', '35', '51', ...SECTORS]) expect(isLeagueProvinceCode(code)).toBe(true);
    for (const code of ['71', '81', '82', '83', '99']) expect(isLeagueProvinceCode(code)).toBe(false);
  });
});

describe('provinceName', () => {
  it('names known codes only', () => {
    expect(provinceName('44')).toBe('广东省');
    expect(provinceName('93')).toBe('中央和国家机关');
    expect(provinceName('99')).toBeUndefined();
  });
});
