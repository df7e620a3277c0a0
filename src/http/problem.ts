/**
 * Every error leaves as application/problem+json (RFC 9457), from this one place. An unknown error
 * becomes a bare 500 INTERNAL: its message, stack and any partner detail stay in the log.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { AppError, type ErrorKind, type FieldError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { isStoreFull, isStoreUnavailable } from '../store/errors.js';
import { ReplicasNotConfirmedError } from '../store/replicas.js';

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
  if (problem.status === 503) res.setHeader('Retry-After', String(err.retryAfterSeconds ?? RETRY_AFTER_S));
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** Seconds a client should wait after a 503 when nothing more precise is known (a Redis reconnect). */
export const RETRY_AFTER_S = 2;

/** The store is out of reach: the same answer on every route, whatever the request. */
export function storeUnavailable(): AppError {
  return new AppError(
    'unavailable',
    'SERVICE_UNAVAILABLE',
    'the gateway cannot reach its store right now; nothing was changed, try again shortly',
    undefined,
    { retryAfterSeconds: RETRY_AFTER_S },
  );
}

/** Written to the primary, but fewer replicas confirmed it than REDIS_MIN_REPLICAS_ACK asks for. */
export function replicasNotConfirmed(): AppError {
  return new AppError(
    'unavailable',
    'SERVICE_UNAVAILABLE',
    'the store could not confirm the write on enough replicas in time; it is not acknowledged: try again shortly (intake: with the same Idempotency-Key, which finds the transfer if it was stored)',
    undefined,
    { retryAfterSeconds: RETRY_AFTER_S },
  );
}

/** body-parser reports its failures with a `type`; map each to what the caller did wrong. */
function fromBodyParser(err: object): AppError | null {
  if (!('type' in err)) return null;
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
      return new AppError(
        'unsupported_media_type',
        'UNSUPPORTED_MEDIA_TYPE',
        'unsupported Content-Encoding; send the body uncompressed, gzip, deflate or br',
      );
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('malformed', 'REQUEST_ABORTED', 'the request body did not arrive whole');
    default:
      return null;
  }
}

/** A path whose percent-encoding does not decode: the same answer on every route, the dashboard's too. */
export function malformedPath(): AppError {
  return new AppError('malformed', 'MALFORMED_PATH', 'the path holds a malformed percent-encoding');
}

/**
 * The codes of a body that does not inflate: zlib's (gzip, deflate: Z_DATA_ERROR, Z_BUF_ERROR …) and
 * Brotli's, which Node names after the decoder's error (ERR__ERROR_FORMAT_PADDING_1 …).
 */
const INFLATE_ERROR = /^(Z_|ERR__ERROR_)/;

/**
 * Errors raised by Express or Node while reading a request (before any route ran) carry a 4xx
 * `status`: a path parameter with a malformed percent-encoding, a compressed body that does not
 * inflate. They are the caller's, never a 500.
 */
function fromClientError(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  const parsed = fromBodyParser(err);
  if (parsed) return parsed;
  const status = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (err instanceof URIError) return malformedPath();
  const code = 'code' in err ? err.code : undefined;
  if (typeof code === 'string' && INFLATE_ERROR.test(code)) {
    return new AppError('malformed', 'MALFORMED_BODY', 'the compressed request body could not be inflated');
  }
  if (status === 413) return fromBodyParser({ type: 'entity.too.large' });
  if (status === 415) {
    return new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 JSON');
  }
  return new AppError('malformed', 'MALFORMED_REQUEST', 'the request could not be read');
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  let fullLoggedAt = 0;
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      // The answer is already on its way (or the client is gone): nothing to tell anyone.
      if (!isStoreUnavailable(err) && !fromClientError(err))
        log.error({ err, method: req.method, path: req.path }, 'error after the answer was sent');
      return;
    }
    const known = err instanceof AppError ? err : fromClientError(err);
    if (known && known.kind !== 'internal') {
      sendProblem(res, known);
      return;
    }
    if (isStoreUnavailable(err)) {
      // An outage is logged once by the connection monitor, not once per request; a full store
      // (noeviction at maxmemory) needs an operator, so it is an error, at most once a minute.
      if (isStoreFull(err) && Date.now() - fullLoggedAt > 60_000) {
        fullLoggedAt = Date.now();
        log.error({ err: (err as Error).message }, 'redis is out of memory: requests refused with 503');
      }
      sendProblem(
        res,
        err instanceof ReplicasNotConfirmedError ? replicasNotConfirmed() : storeUnavailable(),
      );
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, new AppError('internal', 'INTERNAL', 'an internal error occurred; it has been logged'));
  };
}
