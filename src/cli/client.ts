/**
 * The gateway's HTTP API as the CLI uses it. Every failure becomes one of three errors: AuthError
 * (401/403), ApiError (any other problem+json), UnreachableError (no HTTP answer). Answers are checked
 * against the CLI's view of them (wire.ts) rather than trusted.
 */
import type { z } from 'zod';
import type { CliConfig } from '../config/cli.js';
import { ApiError, AuthError, UnreachableError, type ProblemInfo } from './errors.js';
import { FinishedTransferPage, RetentionStatus } from './retention-wire.js';
import {
  NotificationPage,
  ProblemWire,
  ReplayResult,
  TargetList,
  TargetStatus,
  Transfer,
  TransferPage,
} from './wire.js';

export type Fetch = typeof fetch;

export interface TransferQuery {
  state?: string | undefined;
  target?: string | undefined;
  overdue?: boolean | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Finished transfers for export: `since`/`until` are ISO instants (UTC, with Z). */
export interface FinishedQuery {
  state?: string | undefined;
  target?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export class GatewayClient {
  constructor(
    private readonly config: CliConfig,
    private readonly fetchImpl: Fetch = fetch,
    private readonly timeoutMs = 30_000,
  ) {}

  get url(): string {
    return this.config.url;
  }

  listTransfers(q: TransferQuery) {
    const params = new URLSearchParams();
    if (q.state) params.set('state', q.state);
    if (q.target) params.set('target', q.target);
    if (q.overdue) params.set('overdue', 'true');
    if (q.limit) params.set('limit', String(q.limit));
    if (q.cursor) params.set('cursor', q.cursor);
    return this.request('GET', `/v1/transfers?${params.toString()}`, TransferPage);
  }

  getTransfer(id: string) {
    return this.request('GET', `/v1/transfers/${encodeURIComponent(id)}`, Transfer);
  }

  retryTransfer(id: string) {
    return this.request('POST', `/v1/transfers/${encodeURIComponent(id)}/retry`, Transfer);
  }

  targets() {
    return this.request('GET', '/v1/ops/targets', TargetList);
  }

  setTargetPaused(target: string, paused: boolean) {
    const action = paused ? 'pause' : 'resume';
    return this.request('POST', `/v1/ops/targets/${encodeURIComponent(target)}/${action}`, TargetStatus);
  }

  listNotifications(q: { status: string; limit?: number | undefined; cursor?: string | undefined }) {
    const params = new URLSearchParams({ status: q.status });
    if (q.limit) params.set('limit', String(q.limit));
    if (q.cursor) params.set('cursor', q.cursor);
    return this.request('GET', `/v1/notifications?${params.toString()}`, NotificationPage);
  }

  /** Without ids: every failed notification. */
  replayNotifications(ids?: readonly string[]) {
    return this.request('POST', '/v1/notifications/replay', ReplayResult, ids ? { ids } : undefined);
  }

  retention() {
    return this.request('GET', '/v1/ops/retention', RetentionStatus);
  }

  finishedTransfers(q: FinishedQuery) {
    const params = new URLSearchParams();
    if (q.state) params.set('state', q.state);
    if (q.target) params.set('target', q.target);
    if (q.since) params.set('since', q.since);
    if (q.until) params.set('until', q.until);
    if (q.cursor) params.set('cursor', q.cursor);
    if (q.limit) params.set('limit', String(q.limit));
    return this.request('GET', `/v1/ops/finished-transfers?${params.toString()}`, FinishedTransferPage);
  }

  private async request<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.output<S>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.key) headers.authorization = `Bearer ${this.config.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(`${this.config.url}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(this.config.url, networkReason(err, this.timeoutMs));
    }
    const json = parseJson(text);
    if (status < 200 || status > 299) {
      const problem = problemOf(status, json);
      if (status === 401 || status === 403) throw new AuthError(problem, this.config.key !== undefined);
      throw new ApiError(problem);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ApiError({
        status,
        code: 'UNEXPECTED_RESPONSE',
        detail: `the answer to ${method} ${path.split('?')[0]} is not what the gateway sends; is ${this.config.url} the gateway?`,
      });
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function problemOf(status: number, json: unknown): ProblemInfo {
  const parsed = ProblemWire.safeParse(json);
  if (!parsed.success) {
    return { status, code: `HTTP_${status}`, detail: 'the answer was not problem+json' };
  }
  const p = parsed.data;
  return {
    status,
    code: p.code,
    detail: p.detail ?? '',
    ...(p.errors?.length ? { errors: p.errors.map((e) => ({ path: e.path, message: e.message })) } : {}),
  };
}

/** fetch says "fetch failed" and puts the socket's error (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
