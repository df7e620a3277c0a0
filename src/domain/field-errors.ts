/**
 * Zod's issues as the field errors every 422 lists: one converter for every request the gateway
 * validates (bodies and queries alike), with messages a person can act on and the path of the field.
 */
import type { z } from 'zod';
import type { FieldError } from './errors.js';

export const VALIDATION_FAILED = 'VALIDATION_FAILED';

export interface ConvertOptions {
  /** Prefix of every path (e.g. `query`). */
  root?: string;
  /** A field's own code for a format problem (e.g. INVALID_PHONE); VALIDATION_FAILED otherwise. */
  formatCode?: (issue: z.core.$ZodIssueInvalidStringFormat, path: string) => string | undefined;
}

export function fieldErrors(issues: readonly z.core.$ZodIssue[], options: ConvertOptions = {}): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [options.root, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: 'unknown field',
        code: VALIDATION_FAILED,
      }));
    }
    const code =
      issue.code === 'invalid_format'
        ? (options.formatCode?.(issue, path) ?? VALIDATION_FAILED)
        : VALIDATION_FAILED;
    return [{ path, message: messageFor(issue), code }];
  });
}

function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'required'
        : `expected ${issue.expected}, got ${typeName(issue.input)}`;
    case 'too_small':
      if (issue.origin !== 'string') return issue.message;
      return issue.minimum === 1 ? 'must not be empty' : `must have at least ${issue.minimum} characters`;
    case 'too_big':
      return issue.origin === 'string' ? `must have at most ${issue.maximum} characters` : issue.message;
    case 'invalid_value': {
      const values = issue.values.map(String).join(', ');
      return issue.input === undefined ? `required; one of: ${values}` : `must be one of: ${values}`;
    }
    case 'invalid_union': {
      if (issue.discriminator === undefined || issue.inclusive === false) return issue.message;
      const options = (issue.options ?? []).map(String).join(', ');
      return at(issue.input, issue.discriminator) === undefined
        ? `required; one of: ${options}`
        : `must be one of: ${options}`;
    }
    default:
      return issue.message;
  }
}

/** Reads a nested own property of unknown JSON without trusting its shape. */
export function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
