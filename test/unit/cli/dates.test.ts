/** Dates on the command line: a day is its midnight UTC; an instant needs its zone. */
import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../../src/cli/dates.js';

const iso = (raw: string) => parseInstant(raw)?.toISOString();

describe('parseInstant', () => {
  it('reads a day as its midnight UTC', () => {
    expect(iso('2026-01-05')).toBe('2026-01-05T00:00:00.000Z');
    expect(iso('2028-02-29')).toBe('2028-02-29T00:00:00.000Z');
    expect(iso('2026-12-31')).toBe('2026-12-31T00:00:00.000Z');
  });

  it('reads an instant with Z or an offset, seconds and fractions optional, T or a space', () => {
    expect(iso('2026-01-05T10:22:31Z')).toBe('2026-01-05T10:22:31.000Z');
    expect(iso('2026-01-05T10:22:31.123Z')).toBe('2026-01-05T10:22:31.123Z');
    expect(iso('2026-01-05T10:22:31.123456789Z')).toBe('2026-01-05T10:22:31.123Z');
    expect(iso('2026-01-05T10:22:31.5Z')).toBe('2026-01-05T10:22:31.500Z');
    expect(iso('2026-01-05T10:22Z')).toBe('2026-01-05T10:22:00.000Z');
    expect(iso('2026-01-05 10:22:31Z')).toBe('2026-01-05T10:22:31.000Z'); // as tgw prints times
    expect(iso('2026-01-05t10:22:31z')).toBe('2026-01-05T10:22:31.000Z');
    expect(iso('2026-01-05T18:00+08:00')).toBe('2026-01-05T10:00:00.000Z');
    expect(iso('2026-01-01T02:30:00+05:30')).toBe('2025-12-31T21:00:00.000Z');
    expect(iso('2026-01-05T20:00:00-05:00')).toBe('2026-01-06T01:00:00.000Z');
  });

  it.each([
    '',
    'yesterday',
    '2026-1-5',
    '20260105',
    '2026-13-01',
    '2026-00-10',
    '2026-02-29', // not a leap year
    '2026-02-30',
    '2026-04-31',
    '2026-01-00',
    '0999-01-01',
    '2026-01-05T10:22:31', // no zone: it would depend on where the CLI runs
    '2026-01-05T24:00:00Z',
    '2026-01-05T23:60:00Z',
    '2026-01-05T23:59:60Z',
    '2026-01-05T10:00+24:00',
    '2026-01-05T10:00+08:60',
    '2026-01-05T10:00+0800',
    '2026-01-05T10Z',
    ' 2026-01-05',
    '2026-01-05 ',
    '1767571200000',
  ])('refuses %j', (raw) => {
    expect(parseInstant(raw)).toBeUndefined();
  });
});
