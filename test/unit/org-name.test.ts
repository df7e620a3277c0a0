import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { canonicalOrgName } from '../../src/domain/org-name.js';

const cjk = fc.integer({ min: 0x4e00, max: 0x9fff }).map((cp) => String.fromCodePoint(cp));
const asciiPart = fc.constantFrom(...'ABCXYZabcxyz0123456789()');
/** A name as a list of visible characters, CJK mostly, with the ASCII people mix in. */
const nameChars = fc.array(fc.oneof({ arbitrary: cjk, weight: 3 }, { arbitrary: asciiPart, weight: 1 }), {
  minLength: 1,
  maxLength: 30,
});

const fullWidth = (c: string): string =>
  /^[\x21-\x7e]$/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c;
const INVISIBLES = [' ', '\u3000', '\u00a0', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\t', '\n'];
const invisibleRun = fc.array(fc.constantFrom(...INVISIBLES), { maxLength: 3 }).map((a) => a.join(''));

describe('canonicalOrgName', () => {
  it('treats full-width and half-width parentheses and spaces alike', () => {
    expect(canonicalOrgName('共青团广州市天河区委员会（筹）')).toBe(
      canonicalOrgName('共青团广州市天河区委员会 (筹)'),
    );
    expect(canonicalOrgName('共青团广州市天河区委员会（筹）')).toBe('共青团广州市天河区委员会(筹)');
  });

  it.each(['〔筹〕', '［筹］', '[筹]', '【筹】', '〖筹〗', '﹙筹﹚', '﹝筹﹞', '⦅筹⦆'])(
    'reads %s as parentheses',
    (suffix) => {
      expect(canonicalOrgName(`共青团某某委员会${suffix}`)).toBe('共青团某某委员会(筹)');
    },
  );

  it('keeps title and quotation marks, which are part of names', () => {
    expect(canonicalOrgName('共青团《某某报》社委员会')).toBe('共青团《某某报》社委员会');
    expect(canonicalOrgName('「某某」团支部')).not.toBe(canonicalOrgName('(某某)团支部'));
  });

  it('folds full-width letters and digits, and lower-cases Latin letters', () => {
    expect(canonicalOrgName('共青团ＡＢＣ科技１２３有限公司委员会')).toBe('共青团abc科技123有限公司委员会');
    expect(canonicalOrgName('共青团IBM中国委员会')).toBe(canonicalOrgName('共青团ibm中国委员会'));
  });

  it('removes invisible characters and every kind of space', () => {
    expect(canonicalOrgName('\ufeff共青团\u200b某某\u3000委员会\u00a0\u2060')).toBe('共青团某某委员会');
  });

  it('is idempotent on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const once = canonicalOrgName(s);
        expect(canonicalOrgName(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('is unchanged by swapping ASCII and full-width forms', () => {
    fc.assert(
      fc.property(
        nameChars.chain((chars) =>
          fc.tuple(
            fc.constant(chars),
            fc.array(fc.boolean(), { minLength: chars.length, maxLength: chars.length }),
          ),
        ),
        ([chars, swaps]) => {
          const swapped = chars.map((c, i) => (swaps[i] ? fullWidth(c) : c)).join('');
          expect(canonicalOrgName(swapped)).toBe(canonicalOrgName(chars.join('')));
        },
      ),
    );
  });

  it('is unchanged by inserting spaces and invisible characters anywhere', () => {
    fc.assert(
      fc.property(
        nameChars.chain((chars) =>
          fc.tuple(
            fc.constant(chars),
            fc.array(invisibleRun, { minLength: chars.length + 1, maxLength: chars.length + 1 }),
          ),
        ),
        ([chars, runs]) => {
          const padded = runs[0] + chars.map((c, i) => c + runs[i + 1]).join('');
          expect(canonicalOrgName(padded)).toBe(canonicalOrgName(chars.join('')));
        },
      ),
    );
  });

  it('keeps names that differ in a CJK character apart', () => {
    fc.assert(
      fc.property(nameChars, fc.nat(), cjk, (chars, pick, replacement) => {
        const positions = chars.flatMap((c, i) => (/\p{Script=Han}/u.test(c) ? [i] : []));
        fc.pre(positions.length > 0);
        const at = positions[pick % positions.length]!;
        fc.pre(chars[at] !== replacement);
        const changed = chars.map((c, i) => (i === at ? replacement : c)).join('');
        expect(canonicalOrgName(changed)).not.toBe(canonicalOrgName(chars.join('')));
      }),
    );
  });
});
