/** Edge validation helpers: content type, and zod issues turned into problem+json field errors. */
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, type FieldError } from '../domain/errors.js';
import { fieldErrors } from '../domain/field-errors.js';
import { normalizeStrings, stringsIn, textProblem } from '../domain/text.js';

/** A POST that carries a body must say it is JSON; an empty body (e.g. cancel) needs no type. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    next(
      new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'),
    );
    return;
  }
  next();
};

/**
 * Parses a query or body with its schema; every problem becomes a field error under `root`. Text no
 * partner can use is refused in any field (src/domain/text.ts), and accepted text is NFC-normalised.
 */
function parseWith<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const result = schema.safeParse(value);
  const textErrors: FieldError[] = stringsIn(value).flatMap(([path, text]) => {
    const problem = textProblem(text);
    const at = [root, path].filter(Boolean).join('.');
    return problem ? [{ path: at, message: problem, code: 'VALIDATION_FAILED' }] : [];
  });
  if (!result.success || textErrors.length > 0) {
    const schemaErrors = result.success ? [] : fieldErrors(result.error.issues, { root });
    const seen = new Set(schemaErrors.map((e) => e.path));
    const errors = [...schemaErrors, ...textErrors.filter((e) => !seen.has(e.path))];
    throw new AppError(
      'invalid',
      'VALIDATION_FAILED',
      errors.map((e) => `${e.path || 'body'}: ${e.message}`).join('; '),
      errors,
    );
  }
  return normalizeStrings(result.data);
}

export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  return parseWith(schema, query, 'query');
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  return parseWith(schema, body, '');
}
