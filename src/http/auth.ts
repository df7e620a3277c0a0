/**
 * Bearer keys with scopes. Every configured key is held as its SHA-256 digest (keys may be configured
 * that way, so plain keys need not sit in config) and a presented key is hashed and compared against
 * each in constant time, so neither timing nor an early exit tells which key was close.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiKeyConfig, Scope } from '../config/index.js';
import { AppError } from '../domain/errors.js';

export interface Caller {
  keyId: string;
  scopes: ReadonlySet<Scope>;
}

interface HeldKey {
  id: string;
  digest: Buffer;
  scopes: ReadonlySet<Scope>;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class Authenticator {
  private readonly keys: HeldKey[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.keys = keys.map((k) => ({
      id: k.id,
      digest: k.key.startsWith('sha256:') ? Buffer.from(k.key.slice(7), 'hex') : sha256(k.key),
      scopes: new Set(k.scopes),
    }));
  }

  identify(authorization: string | undefined): Caller | null {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
    if (!match?.[1]) return null;
    const presented = sha256(match[1]);
    let found: HeldKey | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest) && !found) found = key;
    }
    return found ? { keyId: found.id, scopes: found.scopes } : null;
  }

  /** Middleware: a valid key holding `scope`, or 401/403 as problem+json. */
  require(scope: Scope): RequestHandler {
    return (req, res, next) => {
      const caller = this.identify(req.get('authorization'));
      if (!caller) {
        next(new AppError('unauthenticated', 'UNAUTHENTICATED', 'a valid bearer key is required'));
        return;
      }
      if (!caller.scopes.has(scope)) {
        next(new AppError('forbidden', 'FORBIDDEN', `this key lacks the ${scope} scope`));
        return;
      }
      res.locals.caller = caller;
      next();
    };
  }
}

export function callerOf(locals: Record<string, unknown>): Caller {
  const caller = locals.caller;
  if (!caller) throw new AppError('internal', 'INTERNAL', 'route reached without authentication');
  return caller as Caller;
}
