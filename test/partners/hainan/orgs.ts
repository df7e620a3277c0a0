/**
 * Hainan's org directory for its simulator (a small inline fixture: there is no fixtures/orgs file
 * for a partner that lives in the tests). Names are spelt the partner's way, brackets full-width; ids
 * follow the descriptor's directoryId.
 */
import type { SimOrg } from '../../../adapters/sim/types.js';

export const hainanOrgId = (provinceCode: string, n: number): string =>
  `HN${provinceCode}${String(n).padStart(6, '0')}`;

const NAMES = [
  '共青团海南省委员会',
  '共青团海口市委员会',
  '共青团海口市美兰区委员会',
  '共青团海口市龙华区委员会',
  '共青团三亚市委员会',
  '共青团三亚市吉阳区委员会',
  '共青团儋州市委员会',
  '共青团琼海市委员会',
  '共青团海南大学委员会',
  '共青团海南师范大学委员会',
  '共青团中国科学院深海科学与工程研究所（三亚）委员会',
  '共青团海南港航控股有限公司（海口港）委员会',
  '共青团海南省农垦投资控股集团有限公司（海垦控股）委员会',
  '共青团中国热带农业科学院（儋州）委员会',
] as const;

export const HAINAN_ORGS: readonly SimOrg[] = NAMES.map((fullName, i) => ({
  orgId: hainanOrgId('46', i + 1),
  fullName,
  provinceCode: '46',
}));

/** A directory entry by its exact name (tests). */
export function hainanOrg(fullName: (typeof NAMES)[number]): SimOrg {
  const org = HAINAN_ORGS.find((o) => o.fullName === fullName);
  if (!org) throw new Error(`no hainan org ${fullName}`);
  return org;
}
