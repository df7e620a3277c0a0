/**
 * The store's Lua scripts name every key they touch in KEYS, never a name built inside the script:
 * Redis Cluster (and any proxy in front of it) routes a script by its KEYS and may refuse anything
 * else. One server forgives a script that builds its keys, so this is checked on the source.
 */
import { describe, expect, it } from 'vitest';
import { STATES, TERMINAL_STATES } from '../../src/domain/transfer.js';
import * as scripts from '../../src/store/scripts.js';

const SCRIPTS = Object.entries(scripts).filter(
  (entry): entry is [string, string] => typeof entry[1] === 'string',
);

/** Commands whose arguments after the name are keys only. */
const ALL_KEYS = new Set(['DEL', 'UNLINK', 'EXISTS']);
/** Commands that take no key. */
const KEYLESS = new Set(['TIME']);

/** Every `redis.call('CMD', arg, …)` of a script: the command and its top-level arguments. */
function calls(lua: string): { command: string; args: string[] }[] {
  const found: { command: string; args: string[] }[] = [];
  const start = /redis\.call\(\s*'([A-Za-z]+)'/g;
  for (let m = start.exec(lua); m; m = start.exec(lua)) {
    let depth = 1;
    let i = m.index + m[0].length;
    let current = '';
    const args: string[] = [];
    for (; i < lua.length && depth > 0; i += 1) {
      const c = lua[i] ?? '';
      if (c === '(' || c === '[' || c === '{') depth += 1;
      if (c === ')' || c === ']' || c === '}') depth -= 1;
      if (depth === 1 && c === ',') {
        if (current.trim()) args.push(current.trim());
        current = '';
      } else if (depth > 0) current += c;
    }
    if (current.trim()) args.push(current.trim());
    found.push({ command: (m[1] ?? '').toUpperCase(), args });
  }
  return found;
}

describe('store scripts', () => {
  it('are found', () => {
    expect(SCRIPTS.map(([name]) => name).sort()).toEqual(
      [
        'ADOPT_FINISHED',
        'CREATE_TRANSFER',
        'EXPIRE_RECORD',
        'SWAP_RECORD',
        'TRANSITION',
        'UPDATE_FIELDS',
      ].sort(),
    );
  });

  for (const [name, lua] of SCRIPTS) {
    it(`${name}: every key it touches comes from KEYS`, () => {
      const touched = calls(lua);
      expect(touched.length).toBeGreaterThan(0);
      for (const { command, args } of touched) {
        if (KEYLESS.has(command)) continue;
        const keys = ALL_KEYS.has(command) ? args : args.slice(0, 1);
        for (const key of keys) expect(key, `${name}: ${command} ${args.join(', ')}`).toMatch(/^KEYS\[.+\]$/);
      }
      // No key name is put together inside a script (the prefix no longer reaches it at all).
      expect(lua).not.toMatch(/\.\.\s*':(idx|retention|trf|notify|outbox|dedupe)/);
    });
  }

  it("TRANSITION finds each state's index right after its fixed keys, in STATES order", () => {
    STATES.forEach((state, i) =>
      expect(scripts.TRANSITION).toContain(`['${state}'] = ${scripts.TRANSITION_FIXED_KEYS + 1 + i}`),
    );
  });

  it("EXPIRE_RECORD finds each terminal state's index right after its fixed keys", () => {
    TERMINAL_STATES.forEach((state, i) =>
      expect(scripts.EXPIRE_RECORD).toContain(`['${state}'] = ${scripts.EXPIRE_FIXED_KEYS + 1 + i}`),
    );
    const firstToDelete = scripts.EXPIRE_FIXED_KEYS + TERMINAL_STATES.length + 1;
    expect(scripts.EXPIRE_RECORD).toContain(
      `for i = ${firstToDelete}, #KEYS do redis.call('DEL', KEYS[i]) end`,
    );
  });
});
