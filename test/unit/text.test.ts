/** src/domain/text.ts: which text no partner can use, how accepted text is normalised, and the walk over bodies. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { normalizeStrings, normalizeText, stringsIn, textProblem } from '../../src/domain/text.js';

/** Each kind of text the gateway refuses, inside an otherwise ordinary name unless it is the whole value. */
const REFUSED: [string, string, RegExp][] = [
  ['a NUL (C0)', '张\u0000三', /control character \(U\+0000\)/],
  ['a tab (C0)', '张\t三', /control character \(U\+0009\)/],
  ['a line feed (C0)', '张三\n', /control character \(U\+000A\)/],
  ['DEL', '张\u007F三', /control character \(U\+007F\)/],
  ['a C1 control (NEL)', '张\u0085三', /control character \(U\+0085\)/],
  ['a C1 control (CSI)', '张\u009B三', /control character \(U\+009B\)/],
  ['the line separator', '张\u2028三', /control character \(U\+2028\)/],
  ['the paragraph separator', '张\u2029三', /control character \(U\+2029\)/],
  ['the Arabic letter mark', '张\u061C三', /bidirectional control character \(U\+061C\)/],
  ['a left-to-right mark', '张\u200E三', /bidirectional control character \(U\+200E\)/],
  ['a right-to-left mark', '张\u200F三', /bidirectional control character \(U\+200F\)/],
  ['a right-to-left embedding', '张\u202B三', /bidirectional control character \(U\+202B\)/],
  ['a right-to-left override', '张\u202E三', /bidirectional control character \(U\+202E\)/],
  ['a pop directional formatting', '张\u202C三', /bidirectional control character \(U\+202C\)/],
  ['a left-to-right isolate', '张\u2066三', /bidirectional control character \(U\+2066\)/],
  ['a first strong isolate', '张\u2068三', /bidirectional control character \(U\+2068\)/],
  ['a pop directional isolate', '张\u2069三', /bidirectional control character \(U\+2069\)/],
  ['a zero-width space', '张\u200B三', /invisible format character \(U\+200B\)/],
  ['a zero-width joiner', '张\u200D三', /invisible format character \(U\+200D\)/],
  ['a zero-width non-joiner', '张\u200C三', /invisible format character \(U\+200C\)/],
  ['a word joiner', '张\u2060三', /invisible format character \(U\+2060\)/],
  ['a byte order mark', '\uFEFF张三', /invisible format character \(U\+FEFF\)/],
  ['a soft hyphen', '张\u00AD三', /invisible format character \(U\+00AD\)/],
  ['a Mongolian vowel separator', '张\u180E三', /invisible format character \(U\+180E\)/],
  ['a tag character', '张\u{E0041}三', /invisible format character \(U\+E0041\)/],
  ['an unpaired high surrogate', '张\uD800三', /unpaired UTF-16 surrogate/],
  ['an unpaired low surrogate', '张\uDC00三', /unpaired UTF-16 surrogate/],
  ['a high surrogate at the end', '张三\uD83D', /unpaired UTF-16 surrogate/],
  ['the replacement character', '张\uFFFD三', /U\+FFFD/],
  ['a noncharacter (U+FDD0)', '张\uFDD0三', /noncharacter \(U\+FDD0\)/],
  ['a noncharacter (U+FFFF)', '张\uFFFF三', /noncharacter \(U\+FFFF\)/],
  ['a noncharacter (U+1FFFE)', '张\u{1FFFE}三', /noncharacter \(U\+1FFFE\)/],
  ['spaces only', '   ', /must not be blank/],
  ['ideographic spaces only', '\u3000\u3000', /must not be blank/],
  ['no-break spaces only', '\u00A0', /must not be blank/],
  ['combining marks only', '\u0301\u0308', /must not be blank/],
  ['a combining mark and spaces only', ' \u0301 ', /must not be blank/],
  ['variation selectors only', '\uFE00\u{E0100}', /must not be blank/],
  ['a leading combining mark', '\u0301张三', /starts with a combining mark/],
  ['a leading combining mark after a space', ' \u0301张三', /starts with a combining mark/],
  ['a Hangul filler alone', '\u3164', /invisible filler character \(U\+3164\)/],
  ['a Hangul filler inside a name', '张\u3164三', /invisible filler character \(U\+3164\)/],
  ['a halfwidth Hangul filler', '\uFFA0', /invisible filler character \(U\+FFA0\)/],
  ['a Hangul choseong filler', '\u115F张三', /invisible filler character \(U\+115F\)/],
];

const ACCEPTED: [string, string][] = [
  ['a Chinese name', '张三'],
  ['a name with a middle dot', '阿依古丽·买买提'],
  ['a name outside the BMP', '𠮷野'],
  ['an ideographic variation sequence', '葛\u{E0100}'],
  ['a decomposed accent after a letter', 'Cafe\u0301'],
  ['pinyin with a tone mark', 'Zhāng Sān'],
  ['an org name with brackets and inner spaces', '共青团上海国际港务 (集团) 股份有限公司委员会'],
  ['leading and trailing spaces around text', '  张三\u3000'],
  ['a Hangul syllable', '한국'],
  ['digits and punctuation', 'No. 1-2, 3/F'],
  ['an emoji without joiners', '🙂'],
  ['the empty string (left to the schema)', ''],
];

describe('textProblem', () => {
  it.each(REFUSED)('refuses %s', (_what, value, message) => {
    expect(textProblem(value)).toMatch(message);
  });

  it.each(ACCEPTED)('accepts %s', (_what, value) => {
    expect(textProblem(value)).toBeNull();
  });

  it('names the first offending character of its class', () => {
    expect(textProblem('a\u200Bb\u2060c')).toBe('holds an invisible format character (U+200B)');
    expect(textProblem('a\u202Eb\u200Bc')).toBe('holds a bidirectional control character (U+202E)');
  });

  it('whatever it accepts is still something once normalised, and stays acceptable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (value) => {
        if (value === '' || textProblem(value) !== null) return;
        const normalized = normalizeText(value);
        expect(normalized).not.toBe('');
        expect(textProblem(normalized)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every string holding a C0 or C1 control, wherever it is', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 6 }),
        fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
        fc.string({ maxLength: 6 }),
        (before, control, after) => {
          expect(textProblem(before + String.fromCharCode(control) + after)).not.toBeNull();
        },
      ),
    );
  });
});

describe('normalizeText', () => {
  it('composes to NFC', () => {
    expect(normalizeText('Cafe\u0301')).toBe('Caf\u00E9');
    expect(normalizeText('Zha\u0304ng')).toBe('Zh\u0101ng');
    // A CJK compatibility ideograph is the same character as its unified form once normalised.
    expect(normalizeText('共青团\uF963京某某大学委员会')).toBe('共青团北京某某大学委员会');
    // Decomposed Hangul jamo compose to the syllable.
    expect(normalizeText('\u1112\u1161\u11AB')).toBe('\uD55C');
  });

  it('trims leading and trailing spaces, including ideographic and no-break spaces', () => {
    expect(normalizeText(' 张三 ')).toBe('张三');
    expect(normalizeText('\u3000张三\u3000')).toBe('张三');
    expect(normalizeText('\u00A0\t张三\r\n')).toBe('张三');
  });

  it('keeps the spaces inside', () => {
    expect(normalizeText('  Zhang  San ')).toBe('Zhang  San');
    expect(normalizeText('上海 (集团)')).toBe('上海 (集团)');
  });

  it('leaves NFC text without outer spaces as it is, and is idempotent', () => {
    expect(normalizeText('张三')).toBe('张三');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (value) => {
        const once = normalizeText(value);
        expect(normalizeText(once)).toBe(once);
        expect(once).toBe(once.normalize('NFC'));
      }),
    );
  });
});

describe('stringsIn', () => {
  it('lists every string with its dotted path, in document order', () => {
    const body = {
      externalRef: 'BJ-1',
      member: { name: '张三', idNumber: 'x', tags: ['a', { b: 'c' }] },
      confirmedWithMember: false,
      count: 3,
      nothing: null,
    };
    expect(stringsIn(body)).toEqual([
      ['externalRef', 'BJ-1'],
      ['member.name', '张三'],
      ['member.idNumber', 'x'],
      ['member.tags.0', 'a'],
      ['member.tags.1.b', 'c'],
    ]);
  });

  it('gives a bare string the empty path, and nothing for other scalars', () => {
    expect(stringsIn('x')).toEqual([['', 'x']]);
    expect(stringsIn(3)).toEqual([]);
    expect(stringsIn(null)).toEqual([]);
    expect(stringsIn(undefined)).toEqual([]);
    expect(stringsIn(true)).toEqual([]);
    expect(stringsIn([])).toEqual([]);
    expect(stringsIn({})).toEqual([]);
  });

  it('treats a __proto__ key from JSON as an ordinary field', () => {
    const body: unknown = JSON.parse('{"__proto__": {"x": "\\u200b"}}');
    expect(stringsIn(body)).toEqual([['__proto__.x', '\u200B']]);
  });

  it('walks an array nested 30,000 levels deep without overflowing the stack', () => {
    const depth = 30_000;
    const body: unknown = JSON.parse(`${'['.repeat(depth)}"\\u200b"${']'.repeat(depth)}`);
    const found = stringsIn(body);
    expect(found).toHaveLength(1);
    const [path, value] = found[0]!;
    expect(value).toBe('\u200B');
    expect(path.split('.')).toHaveLength(depth);
  });

  it('walks objects nested 30,000 levels deep without overflowing the stack', () => {
    const depth = 30_000;
    const body: unknown = JSON.parse(`${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`);
    const found = stringsIn(body);
    expect(found).toHaveLength(1);
    expect(found[0]![0]).toBe(Array(depth).fill('a').join('.'));
  });

  it('finds every string of any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const expected = JSON.stringify(value).match(/"(?:[^"\\]|\\.)*"/g) ?? [];
        // Every string of the document is a key or a value; stringsIn lists the values.
        const keys = countKeys(value);
        expect(stringsIn(value)).toHaveLength(expected.length - keys);
      }),
    );
  });
});

function countKeys(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v: unknown) => n + countKeys(v), 0);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).reduce((n, [, v]) => n + 1 + countKeys(v), 0);
  }
  return 0;
}

describe('normalizeStrings', () => {
  it('normalises every string of a nested value and leaves the rest alone', () => {
    const input = {
      member: { name: ' 张三 ', phone: '13800000000' },
      reason: { kind: 'employed_with_org', employerName: 'Cafe\u0301 ' },
      list: [' a ', 1, null, true, { x: '\u3000b' }],
      confirmedWithMember: false,
    };
    expect(normalizeStrings(input)).toEqual({
      member: { name: '张三', phone: '13800000000' },
      reason: { kind: 'employed_with_org', employerName: 'Caf\u00E9' },
      list: ['a', 1, null, true, { x: 'b' }],
      confirmedWithMember: false,
    });
  });

  it('does not change its input', () => {
    const input = { a: [' x '] };
    normalizeStrings(input);
    expect(input).toEqual({ a: [' x '] });
  });

  it('normalises a bare string and passes other scalars through', () => {
    expect(normalizeStrings(' x ')).toBe('x');
    expect(normalizeStrings(5)).toBe(5);
    expect(normalizeStrings(null)).toBeNull();
    expect(normalizeStrings(undefined)).toBeUndefined();
  });

  it('keeps keys as they are (only values are text), in their order', () => {
    expect(normalizeStrings({ ' k ': ' v ' })).toEqual({ ' k ': 'v' });
    expect(Object.keys(normalizeStrings({ b: 1, a: ' x ', c: [' y '] }))).toEqual(['b', 'a', 'c']);
  });

  it('keeps a __proto__ key from JSON an ordinary field, never a prototype', () => {
    const out = normalizeStrings(JSON.parse('{"__proto__": {"polluted": " yes "}}') as object);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('copes with a value nested 30,000 levels deep', () => {
    const depth = 30_000;
    const body: unknown = JSON.parse(`${'['.repeat(depth)}" x "${']'.repeat(depth)}`);
    const out = normalizeStrings(body);
    let inner: unknown = out;
    for (let i = 0; i < depth; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe('x');
  });
});
