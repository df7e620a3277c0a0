/**
 * Dates on the command line. Pure: no clock, no time zone of the machine running the CLI.
 *
 * A day (YYYY-MM-DD) means its midnight UTC. An instant is ISO 8601 with a zone (Z or ±hh:mm), the
 * seconds optional, a T or a space between date and time (so a time as the CLI prints it, e.g.
 * `2026-01-05 10:22:31Z`, can be pasted back). A time without a zone is refused: it would depend on
 * where the CLI runs.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Midnight UTC of a real calendar day, or undefined (2026-02-30 is not one). */
function utcDay(y: number, m: number, d: number): number | undefined {
  if (y < 1000 || m < 1 || m > 12 || d < 1) return undefined;
  const ms = Date.UTC(y, m - 1, d);
  return new Date(ms).getUTCDate() === d ? ms : undefined;
}

/** The instant `raw` names, or undefined when it is neither a day nor an instant with a zone. */
export function parseInstant(raw: string): Date | undefined {
  const day = DAY.exec(raw);
  if (day) {
    const ms = utcDay(Number(day[1]), Number(day[2]), Number(day[3]));
    return ms === undefined ? undefined : new Date(ms);
  }
  const at = INSTANT.exec(raw);
  if (!at) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = at;
  const midnight = utcDay(Number(y), Number(mo), Number(d));
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (midnight === undefined || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  return new Date(midnight + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 + millis);
}
