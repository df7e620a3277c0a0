/**
 * Personal data at rest: AES-256-GCM with key ids so keys can rotate. The first key encrypts; every
 * configured key decrypts. A sealed value is `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts),
 * so a record written under an old key stays readable after a new key is put first.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export interface PiiKey {
  id: string;
  key: Buffer;
}

export class PiiDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PiiDecryptionError';
  }
}

const b64 = (b: Buffer) => b.toString('base64url');

export class PiiCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly current: PiiKey;
  private readonly fingerprintKeys: Map<string, Buffer>;

  constructor(keys: readonly PiiKey[]) {
    const first = keys[0];
    if (!first) throw new Error('at least one PII key is required');
    this.current = first;
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    // Separate keys for fingerprints, derived so that a fingerprint never reveals an encryption key.
    this.fingerprintKeys = new Map(
      keys.map((k) => [k.id, createHmac('sha256', k.key).update('tgw:fingerprint:v1').digest()]),
    );
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  /** `aad` binds the ciphertext to its record (e.g. the transfer id), so it cannot be moved to another. */
  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.current.id, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new PiiDecryptionError('not a sealed value');
    const [, keyId, iv, tag, ct] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new PiiDecryptionError(`no PII key with id ${keyId} is configured`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new PiiDecryptionError(`sealed value failed authentication under key ${keyId}`);
    }
  }

  /**
   * Keyed hash for comparing values without storing them (e.g. an idempotent request's body, which
   * holds an ID number). `<keyId>.<hash>`, so a fingerprint taken before a key rotation still compares.
   */
  fingerprint(value: string, keyId: string = this.current.id): string {
    const key = this.fingerprintKeys.get(keyId);
    if (!key) throw new PiiDecryptionError(`no PII key with id ${keyId} is configured`);
    return `${keyId}.${createHmac('sha256', key).update(value, 'utf8').digest('base64url')}`;
  }

  /** Does `value` match a fingerprint taken earlier, under whichever key it names? */
  matchesFingerprint(value: string, fingerprint: string): boolean {
    const keyId = fingerprint.slice(0, fingerprint.indexOf('.'));
    if (!this.fingerprintKeys.has(keyId)) return false;
    return this.fingerprint(value, keyId) === fingerprint;
  }
}
