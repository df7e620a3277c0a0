/**
 * The core never names a partner: use cases, HTTP, delivery and queues act on the registry and on
 * capabilities. A partner id used as a value in their code (a string literal, a property, a key)
 * would make a new partner silently behave like, or unlike, a built-in one. Comments and prose may
 * mention partners (the national system is a thing a member knows by that name).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtInPartners } from '../../adapters/registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CORE = ['src/usecases', 'src/http', 'src/delivery', 'queues'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The source without its comments (line and block), so only code and its strings remain. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** A partner id as a value: a whole string literal, a property access, or an object key. */
function idUse(flags = ''): RegExp {
  const ids = builtInPartners.ids.join('|');
  return new RegExp(`(['"\`])(${ids})\\1|\\.(${ids})\\b|\\b(${ids})\\s*:`, flags);
}

describe('the core is partner-agnostic', () => {
  it.each(CORE)('no partner id appears in the code of %s', (dir) => {
    const pattern = idUse('g');
    const found = files(join(ROOT, dir)).flatMap((path) =>
      code(readFileSync(path, 'utf8'))
        .split('\n')
        .flatMap((line, i) =>
          [...line.matchAll(pattern)].map(
            (m) => `${relative(ROOT, path)}:${i + 1}: ${m[0]} in ${line.trim()}`,
          ),
        ),
    );
    expect(found).toEqual([]);
  });

  it('would notice one (the check itself works)', () => {
    const pattern = idUse();
    expect(pattern.test(code("const local = target !== 'national';"))).toBe(true);
    expect(pattern.test(code('const q = producer.queues.fujian;'))).toBe(true);
    expect(pattern.test(code('const rates = { guangdong: 10 };'))).toBe(true);
    expect(pattern.test(code('if (t.target === `fujian`) return;'))).toBe(true);
    expect(pattern.test(code('// the national name check'))).toBe(false);
    expect(pattern.test(code("const d = 'a national-sector code';"))).toBe(false);
    expect(pattern.test(code('const x = facts.nationalAccountCreated;'))).toBe(false);
  });
});
