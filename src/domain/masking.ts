/**
 * Masks for personal data in responses and logs (docs/api.md). Each rule applies only to input of the
 * exact expected length; anything else is masked whole, because a rule applied to an odd value
 * (a 15-digit ID, a phone with a country code) could reveal more than the rule means to.
 * Lengths are counted in code points so a rare character outside the BMP is never split in half.
 */

const stars = (count: number): string => '*'.repeat(count);

function keepEnds(value: string, expectedLength: number, head: number, tail: number): string {
  const chars = Array.from(value);
  if (chars.length !== expectedLength) return stars(chars.length);
  return chars.slice(0, head).join('') + stars(expectedLength - head - tail) + chars.slice(-tail).join('');
}

/** `11010519491231002X` → `110105********002X` (first 6, last 4). */
export function maskIdNumber(idNumber: string): string {
  return keepEnds(idNumber, 18, 6, 4);
}

/** `13800000000` → `138****0000` (first 3, last 4). */
export function maskPhone(phone: string): string {
  return keepEnds(phone, 11, 3, 4);
}

/** `张三` → `张*`, `欧阳娜娜` → `欧***`, a one-character name → `*`. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length < 2) return stars(chars.length);
  return chars[0] + stars(chars.length - 1);
}
