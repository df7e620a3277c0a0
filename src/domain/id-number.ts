/**
 * Resident ID numbers (居民身份证号码, GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit
 * sequence (odd = male), ISO 7064 MOD 11-2 check character. The national system uses the number as
 * the member's username, so a wrong one is worth refusing at the door with the exact rule it broke.
 */
import { isIdRegionPrefix } from './provinces.js';

export type IdNumberResult =
  | { ok: true; value: string; regionCode: string; birthDate: string; sex: 'male' | 'female' }
  | { ok: false; message: string };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/**
 * Hong Kong, Macao and Taiwan residence permits carry the whole-region code 810000/820000/830000,
 * so the "no 00 city digits" rule that catches mainland typos cannot apply to them.
 */
const WHOLE_REGION_PREFIXES: ReadonlySet<string> = new Set(['81', '82', '83']);

/** Birth dates are written in China time; comparing in UTC would refuse someone born "today" before 08:00. */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

export function checkDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('checkDigit needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export function parseIdNumber(raw: string, now: Date = new Date()): IdNumberResult {
  const fail = (message: string): IdNumberResult => ({ ok: false, message });
  if (/^\d{15}$/.test(raw)) {
    return fail('15-digit legacy ID numbers are not accepted; give the 18-character number');
  }
  if (/\s/.test(raw)) return fail('ID number must not contain spaces');
  const length = Array.from(raw).length;
  if (length !== 18) return fail(`ID number must be 18 characters (got ${length})`);
  if (!/^\d{17}[\dXx]$/.test(raw)) {
    return fail('ID number must be 17 digits followed by a digit or X');
  }
  const value = raw.toUpperCase();

  const regionCode = value.slice(0, 6);
  const province = value.slice(0, 2);
  if (!isIdRegionPrefix(province)) {
    return fail(`region code ${regionCode} does not start with a province-level code (got ${province})`);
  }
  if (WHOLE_REGION_PREFIXES.has(province)) {
    if (regionCode !== `${province}0000`) {
      return fail(`region code ${regionCode} is not valid; residence permits use ${province}0000`);
    }
  } else if (value.slice(2, 4) === '00') {
    return fail(`region code ${regionCode} has no city part (digits 3–4 are 00)`);
  }

  const birthDate = `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
  const dateProblem = birthDateProblem(birthDate, now);
  if (dateProblem !== undefined) return fail(dateProblem);

  const expected = checkDigit(value.slice(0, 17));
  const given = value[17];
  if (given !== expected) {
    return fail(`check digit does not match (expected ${expected}, got ${given})`);
  }

  return {
    ok: true,
    value,
    regionCode,
    birthDate,
    sex: Number(value[16]) % 2 === 1 ? 'male' : 'female',
  };
}

/** Messages name the rule, never the date: the birth date is the part of the number masks hide. */
function birthDateProblem(isoDate: string, now: Date): string | undefined {
  const date = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== isoDate) {
    return 'birth date (characters 7–14) is not a real calendar date';
  }
  if (Number(isoDate.slice(0, 4)) < 1900) return 'birth date (characters 7–14) is before 1900';
  const todayInChina = new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
  if (isoDate > todayInChina) return 'birth date (characters 7–14) is in the future';
  return undefined;
}
