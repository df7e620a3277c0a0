/**
 * A tiny .env parser, enough for .env.example: `KEY=value` lines, `#` comment lines and blank lines.
 * The value is everything after the first `=`, taken as is (it may hold `=`, `{`, `"`, `#`, spaces);
 * only surrounding whitespace is trimmed, and one pair of matching quotes around the whole value is
 * removed. An optional leading `export ` is allowed. No variable expansion, no multi-line values.
 */
import { readFileSync } from 'node:fs';

export class DotenvError extends Error {
  override name = 'DotenvError';
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseDotenv(text: string, source = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new DotenvError(`${source}:${index + 1}: expected KEY=value, got "${line}"`);
    const key = line
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, '');
    if (!KEY.test(key)) throw new DotenvError(`${source}:${index + 1}: invalid variable name "${key}"`);
    let value = line.slice(eq + 1).trim();
    const first = value[0];
    if (value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)) {
      value = value.slice(1, -1);
    }
    out[key] = value;
  });
  return out;
}

export function loadDotenvFile(path: string): Record<string, string> {
  return parseDotenv(readFileSync(path, 'utf8'), path);
}
