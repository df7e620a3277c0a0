/**
 * Partners send local times as digit strings (Guangdong `yyyy-MM-dd HH:mm:ss`, Fujian `yyyyMMddHHmmss`,
 * both UTC+8). The right number of digits is not yet a time: month 13, 30 February or hour 24 would
 * turn into an invalid Date (and a RangeError) further in. Wire schemas check this, so a partner's
 * impossible time is a malformed answer or callback, never a crash.
 */
export function isRealDateTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  if (hour > 23 || minute > 59 || second > 59) return false;
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** The six numbers of a time string, in order, whatever separates them. */
export function isRealTimeDigits(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  if (digits.length !== 14) return false;
  const n = (from: number, to: number) => Number(digits.slice(from, to));
  return isRealDateTime(n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14));
}
