/**
 * The demo's stand-in for the Beijing system: receives the gateway's notifications, verifies each one
 * (Standard Webhooks, over the raw body, with the gateway's NOTIFY_SECRET), drops redeliveries by
 * `webhook-id`, and prints one readable line per notification. Tests use it as a real receiver.
 *
 * Standalone: `node --import tsx scripts/beijing-receiver.ts` listens where NOTIFY_URL in .env.example
 * points, with its NOTIFY_SECRET.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';
import { verifyWebhook, WebhookVerificationError } from '../src/webhooks/standard-webhooks.js';
import { loadDotenvFile } from './lib/dotenv.js';

export interface ReceivedNotification {
  webhookId: string;
  type: string;
  data: Record<string, unknown>;
  /** As received, so a test can verify it again with another implementation. */
  rawBody: string;
  headers: Record<string, string>;
}

export interface BeijingReceiverOptions {
  port?: number;
  host?: string;
  secret: string;
  log?: (line: string) => void;
  /** Answer 500 to the first N deliveries (before verifying them), to exercise the gateway's retries. */
  failFirst?: number;
}

export interface BeijingReceiver {
  url: string;
  port: number;
  /** Verified notifications, once each, in arrival order. */
  received: ReceivedNotification[];
  /** Every delivery attempt with its webhook-id and our answer, redeliveries and failures included. */
  deliveries: { webhookId: string | undefined; status: number }[];
  close(): Promise<void>;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** `key=value` for each detail entry; a `dueAt` reads as `due <time>`. */
function detailSummary(detail: unknown): string {
  if (typeof detail !== 'object' || detail === null) return '';
  return Object.entries(detail)
    .map(([k, v]) => (k === 'dueAt' ? `due ${text(v)}` : `${k}=${text(v)}`))
    .join(' ');
}

export function describeNotification(type: string, data: Record<string, unknown>): string {
  const head = `${text(data.at)} ${text(data.transferId)} #${text(data.seq)}`;
  if (type === 'member.account_created') {
    return `${head} national account created: the member must change the national system's default password at first login`;
  }
  const change = `${text(data.previousState)} → ${text(data.state)}`;
  const tail = [type === 'transfer.state_changed' ? '' : `(${type})`, detailSummary(data.detail)].filter(
    Boolean,
  );
  return [head, change, ...tail].join(' ');
}

function headerRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]],
    ),
  );
}

export async function startBeijingReceiver(options: BeijingReceiverOptions): Promise<BeijingReceiver> {
  const { secret, host = '127.0.0.1', log = (line: string) => console.log(`[beijing] ${line}`) } = options;
  let failuresLeft = options.failFirst ?? 0;
  const received: ReceivedNotification[] = [];
  const deliveries: BeijingReceiver['deliveries'] = [];
  const seen = new Set<string>();

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.status(200).send('ok'));
  // Any path: the receiver is whatever NOTIFY_URL names. Raw bytes, since the signature covers them.
  app.post('/{*path}', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const webhookId = req.get('webhook-id');
    const answer = (status: number, body?: unknown) => {
      deliveries.push({ webhookId, status });
      if (body === undefined) res.status(status).end();
      else res.status(status).json(body);
    };
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      answer(500, { error: 'simulated outage' });
      return;
    }
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let id: string;
    try {
      id = verifyWebhook({ secrets: [secret], headers: req.headers, rawBody }).id;
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      log(`refused a delivery: ${err.reason}`);
      answer(401, { error: err.reason });
      return;
    }
    if (seen.has(id)) {
      answer(204); // already have it: acknowledge so the sender stops
      return;
    }
    let parsed: { type?: unknown; data?: unknown };
    try {
      parsed = JSON.parse(rawBody.toString('utf8')) as typeof parsed;
    } catch {
      answer(400, { error: 'body is not JSON' });
      return;
    }
    if (typeof parsed.type !== 'string' || typeof parsed.data !== 'object' || parsed.data === null) {
      answer(400, { error: 'expected {type, data}' });
      return;
    }
    const data = parsed.data as Record<string, unknown>;
    seen.add(id);
    received.push({
      webhookId: id,
      type: parsed.type,
      data,
      rawBody: rawBody.toString('utf8'),
      headers: headerRecord(req.headers),
    });
    log(describeNotification(parsed.type, data));
    answer(204);
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/notifications`,
    port,
    received,
    deliveries,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // the gateway's keep-alive connections would hold close() open
      await closed;
    },
  };
}

async function main(): Promise<void> {
  const env = loadDotenvFile(fileURLToPath(new URL('../.env.example', import.meta.url)));
  const target = new URL(env.NOTIFY_URL ?? 'http://127.0.0.1:3900/notifications');
  const secret = env.NOTIFY_SECRET;
  if (!secret) throw new Error('.env.example has no NOTIFY_SECRET');
  const receiver = await startBeijingReceiver({
    port: Number(target.port || 80),
    host: target.hostname,
    secret,
  });
  console.log(`[beijing] listening on ${receiver.url}; Ctrl-C stops`);
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(`[beijing] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
