/**
 * Request bodies: JSON in UTF-8, and nothing else.
 *
 * Express's JSON parser decodes any charset whose name starts with `utf-` (utf-7 and utf-16 among them)
 * and turns invalid UTF-8 bytes into U+FFFD, which would then travel to a partner. Here the bytes are
 * read raw (with Express's size limit and Content-Encoding handling), the declared charset must be
 * UTF-8 (or absent: JSON is UTF-8 by definition), and the bytes are decoded strictly: anything else
 * is 415 UNSUPPORTED_MEDIA_TYPE, and text that is not JSON is 400 MALFORMED_JSON. Nothing is stored.
 */
import express, { type RequestHandler } from 'express';
import { AppError } from '../domain/errors.js';

export const JSON_TYPES = ['application/json', 'application/*+json'];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The `charset` parameter of a Content-Type header, lower-cased, or undefined when there is none. A
 * header that names two different charsets names none we can trust: answered as the foreign one.
 */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  let found: string | undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (found !== undefined && canonical(found) !== canonical(value))
      return canonical(found) === 'utf-8' ? value : found;
    found = value;
  }
  return found;
}

const canonical = (charset: string): string => (charset === 'utf8' ? 'utf-8' : charset);

/** Refuses a declared charset other than UTF-8. */
export function requireUtf8Charset(contentType: string | undefined): void {
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError(
      'unsupported_media_type',
      'UNSUPPORTED_MEDIA_TYPE',
      `bodies must be UTF-8 JSON; charset "${charset.slice(0, 40)}" is not accepted`,
    );
  }
}

/** Decodes UTF-8 strictly (a leading BOM is dropped); invalid bytes are 415. */
export function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AppError(
      'unsupported_media_type',
      'UNSUPPORTED_MEDIA_TYPE',
      'the body is not valid UTF-8; send JSON encoded as UTF-8',
    );
  }
}

/**
 * Middleware: a JSON body of at most `limit` bytes, parsed into `req.body` (undefined when empty).
 * Authentication runs before it on every route, so an anonymous caller costs no parsing.
 */
export function jsonBody(limit: number): RequestHandler[] {
  const raw = express.raw({ type: JSON_TYPES, limit, inflate: true });
  const parse: RequestHandler = (req, _res, next) => {
    const bytes: unknown = req.body;
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
      req.body = undefined;
      next();
      return;
    }
    requireUtf8Charset(req.get('content-type'));
    const text = decodeUtf8(bytes);
    try {
      req.body = JSON.parse(text) as unknown;
    } catch {
      throw new AppError('malformed', 'MALFORMED_JSON', 'the request body is not valid JSON');
    }
    next();
  };
  return [raw, parse];
}
