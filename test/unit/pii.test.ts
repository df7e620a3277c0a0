import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PiiCipher } from '../../src/crypto/pii.js';

const A = { id: 'a', key: randomBytes(32) };
const B = { id: 'b', key: randomBytes(32) };

describe('PiiCipher', () => {
  it('seals with the first key and opens with any configured key (rotation)', () => {
    const old = new PiiCipher([A]);
    const sealed = old.seal('11010519491231002X', 'trf_1');
    expect(sealed).toMatch(/^v1\.a\./);
    expect(sealed).not.toContain('11010519491231002X');
    const rotated = new PiiCipher([B, A]);
    expect(rotated.open(sealed, 'trf_1')).toBe('11010519491231002X');
    expect(rotated.seal('x', 'trf_1')).toMatch(/^v1\.b\./);
  });

  it('never seals the same value to the same text (random IV)', () => {
    const c = new PiiCipher([A]);
    expect(c.seal('same', 'id')).not.toBe(c.seal('same', 'id'));
  });

  it('refuses tampered text, another record, and retired keys', () => {
    const c = new PiiCipher([A]);
    const sealed = c.seal('secret', 'trf_1');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => c.open(parts.join('.'), 'trf_1')).toThrow(/failed authentication/);
    expect(() => c.open(sealed, 'trf_2')).toThrow(/failed authentication/);
    expect(() => new PiiCipher([B]).open(sealed, 'trf_1')).toThrow(/no PII key with id a/);
    expect(() => c.open('plain', 'trf_1')).toThrow(/not a sealed value/);
  });

  it('keeps fingerprints comparable across a key rotation', () => {
    const fp = new PiiCipher([A]).fingerprint('{"body":1}');
    const rotated = new PiiCipher([B, A]);
    expect(rotated.matchesFingerprint('{"body":1}', fp)).toBe(true);
    expect(rotated.matchesFingerprint('{"body":2}', fp)).toBe(false);
    expect(new PiiCipher([B]).matchesFingerprint('{"body":1}', fp)).toBe(false);
  });
});
