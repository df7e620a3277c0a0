/**
 * Every error leaves as application/problem+json (RFC 9457), from this one place. An unknown error
 * becomes a bare 500 INTERNAL: its message, stack and any partner detail stay in the log.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { AppError, type ErrorKind, type FieldError } from '../domain/errors.js';
import type { Logger } from '../log.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 422,
  malformed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  unavailable: 503,
  internal: 500,
};

const TITLE: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
}

export function problemOf(err: AppError): Problem {
  const status = STATUS[err.kind];
  return {
    type: `https://transfer-gateway.invalid/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLE[status] ?? 'Error',
    status,
    detail: err.message,
    code: err.code,
    ...(err.errors?.length ? { errors: err.errors } : {}),
  };
}

export function sendProblem(res: Response, err: AppError): void {
  const problem = problemOf(err);
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="transfer-gateway"');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** body-parser reports its failures with a `type`; map each to what the caller did wrong. */
function fromBodyParser(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null || !('type' in err)) return null;
  switch (err.type) {
    case 'entity.too.large':
      return new AppError(
        'payload_too_large',
        'PAYLOAD_TOO_LARGE',
        'the request body is larger than the limit',
      );
    case 'entity.parse.failed':
      return new AppError('malformed', 'MALFORMED_JSON', 'the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 JSON');
    case 'request.aborted':
      return new AppError('malformed', 'REQUEST_ABORTED', 'the request was aborted');
    default:
      return null;
  }
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof AppError ? err : fromBodyParser(err);
    if (known && known.kind !== 'internal') {
      sendProblem(res, known);
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    if (res.headersSent) return;
    sendProblem(res, new AppError('internal', 'INTERNAL', 'an internal error occurred; it has been logged'));
  };
}
