import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DotenvError, parseDotenv } from '../../../scripts/lib/dotenv.js';

describe('parseDotenv', () => {
  it('reads KEY=value lines, skips comments and blank lines', () => {
    expect(parseDotenv('# c\n\nA=1\r\n  B = two words \nexport C=3\n')).toEqual({
      A: '1',
      B: 'two words',
      C: '3',
    });
  });

  it('keeps =, {, ", # and + in unquoted values exactly', () => {
    const text = 'API_KEYS=[{"id":"x","key":"k=="}]\nS=whsec_ab+/cd=\nU=http://h/p?a=1#frag\n';
    expect(parseDotenv(text)).toEqual({
      API_KEYS: '[{"id":"x","key":"k=="}]',
      S: 'whsec_ab+/cd=',
      U: 'http://h/p?a=1#frag',
    });
  });

  it('removes one pair of quotes around the whole value', () => {
    expect(parseDotenv(`A="x y"\nB='z'\nC=""\nD="`)).toEqual({ A: 'x y', B: 'z', C: '', D: '"' });
  });

  it('refuses lines that are not KEY=value', () => {
    expect(() => parseDotenv('A=1\nnot a pair\n', 'f.env')).toThrow(DotenvError);
    expect(() => parseDotenv('A=1\nnot a pair\n', 'f.env')).toThrow(/f\.env:2/);
    expect(() => parseDotenv('1A=x')).toThrow(/invalid variable name/);
  });

  it('parses .env.example into valid JSON and whsec values', () => {
    const env = parseDotenv(readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8'));
    expect(JSON.parse(env.API_KEYS ?? '')).toHaveLength(3);
    expect(env.NOTIFY_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(env.PII_KEYS).toMatch(/^k2026a:[A-Za-z0-9+/]{43}=$/);
  });
});
