/**
 * HTTP to the national system: OAuth2 client-credentials token, cached until shortly before it
 * expires and refreshed once when an answer says the token is no longer valid. The token is the
 * adapter's only memory; it is not state worth persisting (a restart just asks for a new one).
 */
import type { AxiosInstance } from 'axios';
import { RetryablePartnerError } from '../errors.js';
import { parseJson, parseWith, send, transientStatusError, type RawAnswer, type Transport } from '../http.js';
import type { NationalConfig } from './config.js';
import { PATHS, errorBodySchema, tokenAnswerSchema } from './wire.js';

interface CachedToken {
  value: string;
  /** Epoch ms after which we stop using it (expiry minus the refresh margin). */
  useUntil: number;
}

export interface NationalRequest {
  method: 'GET' | 'POST';
  url: string;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  onSend?: (() => Promise<void>) | undefined;
}

export class NationalClient {
  private readonly transport: Transport;
  private token: CachedToken | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly config: NationalConfig,
    http: AxiosInstance,
    private readonly now: () => number = Date.now,
  ) {
    this.transport = { partner: 'national', http, baseUrl: config.baseUrl, timeoutMs: config.timeoutMs };
  }

  /** Sends with a bearer token; a 401 INVALID_TOKEN refreshes the token and tries exactly once more. */
  async request(req: NationalRequest): Promise<RawAnswer> {
    const first = await this.sendWithToken(req, await abortable(this.accessToken(), req.signal));
    if (!isInvalidToken(first)) return first;
    this.token = undefined;
    const second = await this.sendWithToken(req, await abortable(this.accessToken(), req.signal));
    if (isInvalidToken(second)) {
      throw new RetryablePartnerError('AUTH_FAILED', 'national: a fresh token was refused', {
        partner: 'national',
        status: 401,
      });
    }
    return second;
  }

  private sendWithToken(req: NationalRequest, token: string): Promise<RawAnswer> {
    return send(this.transport, {
      method: req.method,
      url: req.url,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        ...(req.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      ...(req.json === undefined ? {} : { body: JSON.stringify(req.json) }),
      signal: req.signal,
      onSend: req.onSend,
    });
  }

  /** Concurrent callers share one token request, so a burst does not stampede the token endpoint. */
  private accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.useUntil) return Promise.resolve(this.token.value);
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const started = this.now();
    const answer = await send(this.transport, {
      method: 'POST',
      url: PATHS.token,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.config.clientId,
        client_secret: this.config.clientSecret,
      }).toString(),
    });
    const transient = transientStatusError('national', answer);
    if (transient) throw transient;
    if (answer.status === 400 || answer.status === 401) {
      throw new RetryablePartnerError('AUTH_FAILED', 'national: client credentials refused', {
        partner: 'national',
        status: answer.status,
      });
    }
    const body = parseJson('national', answer.body, answer.status);
    const token = parseWith('national', tokenAnswerSchema, body, 'token answer', answer.status);
    const lifetimeMs = token.expires_in * 1000;
    // Never keep a token for less than half its life, even if the margin is larger than the lifetime.
    const margin = Math.min(this.config.tokenRefreshMarginMs, lifetimeMs / 2);
    this.token = { value: token.access_token, useUntil: started + lifetimeMs - margin };
    return token.access_token;
  }
}

/** Stops waiting for a shared token request when this caller is aborted; the request itself carries on for the others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const aborted = (): RetryablePartnerError =>
    new RetryablePartnerError('ABORTED', 'national: request aborted by caller', { partner: 'national' });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function isInvalidToken(answer: RawAnswer): boolean {
  if (answer.status !== 401) return false;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(answer.body));
    // A 401 without the documented body is still a token problem: a proxy in front may answer it.
    return !parsed.success || parsed.data.error.code === 'INVALID_TOKEN';
  } catch {
    return true;
  }
}
