/**
 * The express server every simulator runs on: raw bodies (partners sign bytes), the fault layer
 * around each partner route, the `/__control` endpoints, and a close() that leaves nothing behind.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { CallbackSender } from './callbacks.js';
import { Faults } from './faults.js';
import type { Lifecycle } from './lifecycle.js';
import {
  decisionSchema,
  type SimCounts,
  type SimLogger,
  type SimulatorControl,
  type SimulatorState,
  type RateLimit,
} from './types.js';

export interface SimRequest {
  method: string;
  path: string;
  /** The query string as sent, without '?', for signature checks. */
  rawQuery: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

export interface SimAnswer {
  status: number;
  /** An object is sent as JSON; a string is sent as is. */
  body: unknown;
  headers?: Record<string, string>;
}

export type SimHandler = (req: SimRequest) => SimAnswer | Promise<SimAnswer>;

export function newCounts(): SimCounts {
  return {
    requests: 0,
    byRoute: {},
    rateLimited: 0,
    down: 0,
    flaky: 0,
    malformed: 0,
    slow: 0,
    rejectedByFault: 0,
    authFailures: 0,
    submissions: 0,
    duplicates: 0,
  };
}

const MALFORMED = {
  invalid_json: '{"code":0,"data":{"unterminated',
  wrong_shape: '{"status":"ok","result":[1,2,3]}',
};

export interface SimServerOptions {
  target: string;
  state: SimulatorState;
  lifecycle: Lifecycle;
  sender: CallbackSender;
  rateLimit?: RateLimit | undefined;
  logger: SimLogger;
}

export class SimServer {
  readonly faults: Faults;
  private readonly app = express();
  private readonly closing = new AbortController();
  private server: Server | undefined;

  constructor(private readonly o: SimServerOptions) {
    this.faults = new Faults(o.rateLimit);
    this.app.disable('x-powered-by');
    this.app.use(express.raw({ type: () => true, limit: '1mb' }));
    this.mountControl();
  }

  /** The programmatic control shared by every simulator. */
  control(): SimulatorControl {
    const { lifecycle, sender } = this.o;
    return {
      setFaults: (spec) => this.faults.set(spec),
      clearFaults: () => this.faults.clear(),
      setDecision: (d) => lifecycle.setDecision(d),
      decide: (id, outcome, reason) => lifecycle.decide(id, outcome, reason),
      completeLocalReport: (id) => lifecycle.completeLocalReport(id),
      holdLocalReport: (id) => lifecycle.holdLocalReport(id),
      expire: (id) => lifecycle.expire(id),
      settle: () => sender.settle(),
    };
  }

  route(method: 'get' | 'post', path: string, name: string, handler: SimHandler): void {
    this.app[method](path, (req, res) => {
      void this.serve(name, handler, req, res);
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    const server = createServer(this.app);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
    return { url: `http://${host}:${bound}`, port: bound };
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.o.lifecycle.close();
    this.o.sender.close();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(name: string, handler: SimHandler, req: Request, res: Response): Promise<void> {
    const counts = this.o.state.counts;
    counts.requests++;
    counts.byRoute[name] = (counts.byRoute[name] ?? 0) + 1;
    try {
      const before = this.faults.before();
      if (before.kind !== 'pass') return this.inject(before, req, res);
      const answer = await handler(toSimRequest(req));
      const after = this.faults.after();
      if (after.kind !== 'pass') return this.inject(after, req, res);
      let body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const malformed = this.faults.malformed;
      if (malformed) {
        counts.malformed++;
        body = MALFORMED[malformed];
      }
      const slow = this.faults.slowMs;
      if (slow !== undefined) {
        counts.slow++;
        // The request is already processed: a caller that times out here has a stored application.
        await sleep(slow, undefined, { signal: this.closing.signal }).catch(() => undefined);
        if (res.destroyed || this.closing.signal.aborted) return;
      }
      res
        .status(malformed ? 200 : answer.status)
        .set({ 'content-type': 'application/json; charset=utf-8', ...answer.headers })
        .send(body);
    } catch (err) {
      this.o.logger.warn(`${this.o.target} simulator: ${name} failed: ${String(err)}`);
      if (!res.headersSent) res.status(500).type('text/plain').send('500 Internal Server Error');
    }
  }

  private inject(
    verdict: Exclude<ReturnType<Faults['before']>, { kind: 'pass' }>,
    req: Request,
    res: Response,
  ): void {
    if (verdict.kind === 'reset') {
      this.o.state.counts.flaky++;
      req.socket.destroy();
      return;
    }
    this.o.state.counts[verdict.counter]++;
    res
      .status(verdict.status)
      .set(verdict.headers ?? {})
      .type('text/plain')
      .send(verdict.body);
  }

  private mountControl(): void {
    const { state, lifecycle } = this.o;
    const json = (req: Request): unknown =>
      Buffer.isBuffer(req.body) && req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
    const guard = (fn: (req: Request, res: Response) => void) => (req: Request, res: Response) => {
      try {
        fn(req, res);
      } catch (err) {
        res.status(400).json({ error: err instanceof z.ZodError ? z.prettifyError(err) : String(err) });
      }
    };
    const id = (req: Request): string => String(req.params.id);
    this.app.post(
      '/__control/faults',
      guard((req, res) => {
        this.faults.set(json(req));
        res.json({ faults: this.faults.current() });
      }),
    );
    this.app.delete('/__control/faults', (_req, res) => {
      this.faults.clear();
      res.status(204).end();
    });
    this.app.get('/__control/state', (_req, res) => {
      res.json({
        counts: state.counts,
        faults: this.faults.current(),
        records: [...state.records.values()],
        callbacks: state.callbacks,
      });
    });
    this.app.post(
      '/__control/decision',
      guard((req, res) => {
        lifecycle.setDecision(decisionSchema.parse(json(req)));
        res.status(204).end();
      }),
    );
    const outcome = z.object({
      outcome: z.enum(['approve', 'reject']),
      reason: z.string().min(1).optional(),
    });
    this.app.post(
      '/__control/records/:id/decide',
      guard((req, res) => {
        const o = outcome.parse(json(req));
        res.status(lifecycle.decide(id(req), o.outcome, o.reason) ? 204 : 409).end();
      }),
    );
    this.app.post('/__control/records/:id/hold-report', (req, res) => {
      res.status(lifecycle.holdLocalReport(id(req)) ? 204 : 409).end();
    });
    this.app.post('/__control/records/:id/report', (req, res) => {
      res.status(lifecycle.completeLocalReport(id(req)) ? 204 : 409).end();
    });
    this.app.post('/__control/records/:id/expire', (req, res) => {
      res.status(lifecycle.expire(id(req)) ? 204 : 409).end();
    });
  }
}

function toSimRequest(req: Request): SimRequest {
  const q = req.originalUrl.indexOf('?');
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.params)) if (typeof v === 'string') params[k] = v;
  return {
    method: req.method,
    path: req.path,
    rawQuery: q === -1 ? '' : req.originalUrl.slice(q + 1),
    params,
    headers: req.headers,
    rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  };
}
