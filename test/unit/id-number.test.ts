import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { checkDigit, parseIdNumber } from '../../src/domain/id-number.js';

const NOW = new Date('2024-06-01T00:00:00Z');

const MAINLAND = [
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
].concat(['41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65']);

const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

const region = fc.oneof(
  fc
    .tuple(fc.constantFrom(...MAINLAND), digits(2), digits(2))
    .filter(([, city]) => city !== '00')
    .map(([p, city, county]) => p + city + county),
  fc.constantFrom('810000', '820000', '830000'),
);

const birth = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2024-05-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

const validId = fc.tuple(region, birth, digits(3)).map(([r, date, seq]) => {
  const body = r + date.replaceAll('-', '') + seq;
  return { id: body + checkDigit(body), region: r, date, seq };
});

const failure = (raw: string, now = NOW): string => {
  const result = parseIdNumber(raw, now);
  if (result.ok) throw new Error(`expected ${raw} to be refused`);
  return result.message;
};

describe('checkDigit', () => {
  it('computes the ISO 7064 MOD 11-2 character', () => {
    expect(checkDigit('11010519491231002')).toBe('X');
    expect(checkDigit('44010619900101123')).toBe('5');
  });

  it('refuses anything but 17 digits', () => {
    expect(() => checkDigit('1101051949123100')).toThrow(RangeError);
    expect(() => checkDigit('1101051949123100A')).toThrow(RangeError);
  });
});

describe('parseIdNumber', () => {
  it.each([
    ['11010519491231002X', '1949-12-31', 'female'],
    ['440106199001011235', '1990-01-01', 'male'],
    ['35020320040229001X', '2004-02-29', 'male'],
    ['650102200001014566', '2000-01-01', 'female'],
    ['110108200109155670', '2001-09-15', 'male'],
    ['810000199505050022', '1995-05-05', 'female'],
  ])('accepts %s', (raw, birthDate, sex) => {
    expect(parseIdNumber(raw, NOW)).toEqual({
      ok: true,
      value: raw,
      regionCode: raw.slice(0, 6),
      birthDate,
      sex,
    });
  });

  it('normalises a lower-case x', () => {
    expect(parseIdNumber('11010519491231002x', NOW)).toMatchObject({ ok: true, value: '11010519491231002X' });
  });

  it('accepts every well-formed number with its computed check digit', () => {
    fc.assert(
      fc.property(validId, ({ id, region: r, date, seq }) => {
        expect(parseIdNumber(id, NOW)).toEqual({
          ok: true,
          value: id,
          regionCode: r,
          birthDate: date,
          sex: Number(seq[2]) % 2 === 1 ? 'male' : 'female',
        });
      }),
    );
  });

  it('refuses a number with any single character changed', () => {
    const mutation = validId.chain(({ id }) =>
      fc.record({
        id: fc.constant(id),
        at: fc.integer({ min: 0, max: 17 }),
        to: fc.constantFrom(...'0123456789X'),
      }),
    );
    fc.assert(
      fc.property(
        mutation.filter(({ id, at, to }) => id[at] !== to),
        ({ id, at, to }) => {
          expect(parseIdNumber(id.slice(0, at) + to + id.slice(at + 1), NOW).ok).toBe(false);
        },
      ),
    );
  });

  it('names the check digit it expected', () => {
    expect(failure('110105194912310023')).toBe('check digit does not match (expected X, got 3)');
  });

  it('refuses a 15-digit legacy number with its own message', () => {
    expect(failure('110105491231002')).toBe(
      '15-digit legacy ID numbers are not accepted; give the 18-character number',
    );
  });

  it.each([
    ['1101051949123100', 'ID number must be 18 characters (got 16)'],
    ['1101051949123100211', 'ID number must be 18 characters (got 19)'],
    ['11010519491231002Y', 'ID number must be 17 digits followed by a digit or X'],
    ['1101051949X231002X', 'ID number must be 17 digits followed by a digit or X'],
    ['110105 19491231002', 'ID number must not contain spaces'],
    ['', 'ID number must be 18 characters (got 0)'],
  ])('refuses the malformed %j', (raw, message) => {
    expect(failure(raw)).toBe(message);
  });

  it('refuses a region that is not a province-level code', () => {
    const body = '99010519900101123';
    expect(failure(body + checkDigit(body))).toMatch(/province-level code \(got 99\)/);
    const sector = '91010519900101123';
    expect(failure(sector + checkDigit(sector))).toMatch(/got 91/);
  });

  it('refuses a mainland region without a city part', () => {
    const body = '44000019900101123';
    expect(failure(body + checkDigit(body))).toMatch(/digits 3–4 are 00/);
  });

  it('refuses a residence-permit prefix with a sub-region', () => {
    const body = '81010119900101123';
    expect(failure(body + checkDigit(body))).toMatch(/residence permits use 810000/);
  });

  it.each([
    ['20230230', 'not a real calendar date'],
    ['20230229', 'not a real calendar date'],
    ['19001301', 'not a real calendar date'],
    ['18991231', 'before 1900'],
    ['20240602', 'in the future'],
  ])('refuses the birth date %s', (date, problem) => {
    const body = `110105${date}002`;
    const message = failure(body + checkDigit(body));
    expect(message).toContain(problem);
    // The birth date is the part masks hide; messages must not repeat it.
    expect(message).not.toContain(date.slice(0, 4));
  });

  it('judges "today" in China time', () => {
    const body = '11010520240602002';
    const id = body + checkDigit(body);
    expect(parseIdNumber(id, new Date('2024-06-01T15:59:59Z')).ok).toBe(false);
    expect(parseIdNumber(id, new Date('2024-06-01T16:00:00Z')).ok).toBe(true);
  });
});
