import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { maskIdNumber, maskName, maskPhone } from '../../src/domain/masking.js';

describe('maskIdNumber', () => {
  it('keeps the first 6 and last 4 characters', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
  });

  it.each(['110105491231002', '1101051949123100', '11010519491231002X1', ''])(
    'masks %j whole when it is not 18 characters',
    (raw) => {
      expect(maskIdNumber(raw)).toBe('*'.repeat(Array.from(raw).length));
    },
  );

  it('never shows the birth date or sequence of an 18-character value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 18, maxLength: 18 }), (raw) => {
        const masked = Array.from(maskIdNumber(raw));
        expect(masked).toHaveLength(18);
        expect(masked.slice(6, 14).every((c) => c === '*')).toBe(true);
      }),
    );
  });
});

describe('maskPhone', () => {
  it('keeps the first 3 and last 4 digits', () => {
    expect(maskPhone('13800000000')).toBe('138****0000');
    expect(maskPhone('19912345678')).toBe('199****5678');
  });

  it.each(['+8613800000000', '1380000000', '010-12345678', ''])('masks %j whole', (raw) => {
    expect(maskPhone(raw)).toBe('*'.repeat(Array.from(raw).length));
  });
});

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['欧阳娜娜', '欧***'],
    ['李', '*'],
    ['阿卜杜热合曼·买买提', '阿*********'],
    ['', ''],
  ])('masks %j as %j', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('counts code points, so a character outside the BMP is never split', () => {
    expect(maskName('𠮷野家')).toBe('𠮷**');
    expect(maskName('王𠮷')).toBe('王*');
  });

  it('shows at most the first character of any name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (name) => {
        const chars = Array.from(name);
        const masked = Array.from(maskName(name));
        expect(masked).toHaveLength(chars.length);
        expect(masked.slice(chars.length > 1 ? 1 : 0).every((c) => c === '*')).toBe(true);
      }),
    );
  });
});
