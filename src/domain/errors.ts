/**
 * The one internal error class. `kind` is a closed set that maps to an HTTP status in one place
 * (src/http/problem.ts); `code` is the stable UPPER_SNAKE identifier clients branch on.
 */
export type ErrorKind =
  | 'invalid' // the request is well-formed but breaks a rule (422)
  | 'malformed' // the request cannot be read (400)
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'unsupported_media_type' // 415
  | 'payload_too_large' // 413
  | 'unprocessable' // 422 for non-field rules (e.g. CHECK_NOT_SUPPORTED)
  | 'unavailable' // 503
  | 'internal'; // 500, never shows its detail

export interface FieldError {
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  /** For `unavailable`: when to try again (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    errors?: FieldError[],
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.errors = errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
