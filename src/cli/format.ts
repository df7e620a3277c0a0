/** Text output: tables aligned by display width (Chinese org names are two columns a character), times. */

export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function println(out: Output, text = ''): void {
  out.write(`${text}\n`);
}

/**
 * Strings from the API printed as they are could carry terminal escape sequences (a partner's refusal
 * reason, say); control characters are shown as U+FFFD instead.
 */
export function clean(value: unknown): string {
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** Columns a string takes in a terminal: East Asian wide and fullwidth characters take two. */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

/** Rows under a header, each column as wide as its widest cell, two spaces apart; no trailing blanks. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows].map((r) => r.map(clean));
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all.map((r) =>
    r
      .map((cell, i) => pad(cell, widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** 2026-01-05T10:22:31.123Z → 2026-01-05 10:22:31Z (UTC, as the API gives it). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** An event's detail as `key=value` pairs of its simple values, cut to `max` characters. */
export function detailText(detail: Record<string, unknown> | undefined, max = 80): string {
  if (!detail) return '';
  const parts = Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${clean(v)}`);
  const nested = Object.entries(detail).filter(([, v]) => v !== null && typeof v === 'object');
  for (const [k, v] of nested) {
    parts.push(Array.isArray(v) ? `${k}=[${v.length}]` : `${k}={…}`);
  }
  const text = parts.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function json(out: Output, value: unknown): void {
  println(out, JSON.stringify(value, null, 2));
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
