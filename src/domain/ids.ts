/**
 * Transfer ids: `trf_` + a ULID (48-bit millisecond time, 80 random bits, Crockford base32), so ids
 * sort by creation time and the store's indexes page by them. Randomness comes from a pooled buffer:
 * one crypto call per few hundred ids instead of one per character.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function randomBytes10(): Buffer {
  if (offset + 10 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const slice = POOL.subarray(offset, offset + 10);
  offset += 10;
  return slice;
}

export function ulid(timeMs: number): string {
  let time = '';
  let t = timeMs;
  for (let i = 0; i < 10; i++) {
    time = (ALPHABET[t % 32] ?? '0') + time;
    t = Math.floor(t / 32);
  }
  // 80 random bits as 16 base32 characters: 5 bits each.
  const bytes = randomBytes10();
  let random = '';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += ALPHABET[(acc >> bits) & 31] ?? '0';
    }
    acc &= (1 << bits) - 1;
  }
  return time + random;
}

/** What a transfer id looks like; anything else cannot name a transfer. */
export const TRANSFER_ID = /^trf_[0-9A-HJKMNP-TV-Z]{26}$/;

export function newTransferId(now: Date): string {
  return `trf_${ulid(now.getTime())}`;
}
