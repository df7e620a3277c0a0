import fc from 'fast-check';
import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newTransferId, TRANSFER_ID, ulid } from '../../src/domain/ids.js';

describe('transfer ids', () => {
  it('are valid ULIDs that carry their time (checked by the ulid package)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (t) => {
        const id = ulid(t);
        expect(isValid(id)).toBe(true);
        expect(decodeTime(id)).toBe(t);
      }),
    );
  });

  it('sort by time and match the API id pattern', () => {
    const a = newTransferId(new Date(1_700_000_000_000));
    const b = newTransferId(new Date(1_700_000_000_001));
    expect(a < b).toBe(true);
    expect(a).toMatch(TRANSFER_ID);
    expect(new Set(Array.from({ length: 5000 }, () => ulid(1))).size).toBe(5000);
  });
});
