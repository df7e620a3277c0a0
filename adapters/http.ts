/**
 * The HTTP boundary shared by the adapters: one request helper that never throws anything but
 * PartnerError, keeps the answer body as raw text (signatures and our own JSON parsing need it),
 * and enforces a whole-request deadline as well as the caller's AbortSignal.
 */
import { isAxiosError, type AxiosInstance } from 'axios';
import type { z } from 'zod';
import type { Target } from '../src/domain/transfer.js';
import { PartnerProtocolError, RetryablePartnerError } from './errors.js';

export interface Transport {
  partner: Target;
  http: AxiosInstance;
  baseUrl: string;
  timeoutMs: number;
}

export interface OutgoingRequest {
  method: 'GET' | 'POST';
  /** Path with its query string already encoded, exactly as signed. */
  url: string;
  headers?: Record<string, string>;
  /** Sent byte for byte; callers serialise and sign it. */
  body?: string;
  signal?: AbortSignal | undefined;
  /** See CallOptions.onSend: awaited just before the request leaves; its error is not a partner's. */
  onSend?: (() => Promise<void>) | undefined;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

export async function send(t: Transport, req: OutgoingRequest): Promise<RawAnswer> {
  // axios' own `timeout` is an idle-socket timeout in Node; the deadline signal bounds the whole
  // exchange, so a partner trickling bytes cannot hold a worker past timeoutMs either.
  if (req.signal?.aborted) {
    throw new RetryablePartnerError('ABORTED', `${t.partner}: request aborted by caller`, {
      partner: t.partner,
    });
  }
  await req.onSend?.();
  const deadline = AbortSignal.timeout(t.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
  try {
    const res = await t.http.request<unknown>({
      baseURL: t.baseUrl,
      url: req.url,
      method: req.method,
      headers: req.headers ?? {},
      data: req.body,
      timeout: t.timeoutMs,
      signal,
      responseType: 'text',
      // Keep bodies untouched both ways: we sign what we send and parse what we get ourselves.
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: 4 * 1024 * 1024,
    });
    return { status: res.status, headers: flattenHeaders(res.headers), body: bodyText(res.data) };
  } catch (err) {
    if (req.signal?.aborted) {
      throw new RetryablePartnerError('ABORTED', `${t.partner}: request aborted by caller`, {
        partner: t.partner,
        cause: err,
      });
    }
    if (deadline.aborted || (isAxiosError(err) && TIMEOUT_CODES.has(err.code ?? ''))) {
      throw new RetryablePartnerError('TIMEOUT', `${t.partner}: no answer within ${t.timeoutMs} ms`, {
        partner: t.partner,
        cause: err,
        timeout: true,
      });
    }
    const code = isAxiosError(err) ? (err.code ?? 'unknown') : 'unknown';
    throw new RetryablePartnerError('NETWORK_ERROR', `${t.partner}: network error (${code})`, {
      partner: t.partner,
      cause: err,
    });
  }
}

function bodyText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return data === undefined || data === null ? '' : JSON.stringify(data);
}

function flattenHeaders(headers: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.map(String).join(', ') : String(v);
  }
  return out;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** 429 and 5xx mean the same for every partner; anything else is the partner's own protocol. */
export function transientStatusError(partner: Target, answer: RawAnswer): RetryablePartnerError | undefined {
  if (answer.status === 429) {
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
    return new RetryablePartnerError('RATE_LIMITED', `${partner}: rate limited (HTTP 429)`, {
      partner,
      status: 429,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (answer.status >= 500) {
    return new RetryablePartnerError('PARTNER_UNAVAILABLE', `${partner}: HTTP ${answer.status}`, {
      partner,
      status: answer.status,
    });
  }
  return undefined;
}

export function parseJson(partner: Target, body: string, status?: number): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new PartnerProtocolError('MALFORMED_RESPONSE', `${partner}: answer is not JSON`, {
      partner,
      cause: err,
      ...(status === undefined ? {} : { status }),
    });
  }
}

export function parseWith<S extends z.ZodType>(
  partner: Target,
  schema: S,
  value: unknown,
  what: string,
  status?: number,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid';
    throw new PartnerProtocolError('SCHEMA_MISMATCH', `${partner}: unexpected ${what} (${where})`, {
      partner,
      cause: result.error,
      ...(status === undefined ? {} : { status }),
    });
  }
  return result.data;
}

/** RFC 3986 encoding (encodeURIComponent leaves !'()* alone); used wherever a query is signed. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function queryString(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
