/**
 * A stand-in gateway for the conformance suite: receives partner callbacks on loopback, checks
 * their Standard Webhooks signature with src/webhooks, and keeps what arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { verifyWebhook } from '../../src/webhooks/standard-webhooks.js';

export interface ReceivedCallback {
  target: string;
  webhookId: string;
  body: unknown;
}

export interface Receiver {
  url: string;
  received: ReceivedCallback[];
  /** Callbacks whose signature did not verify (should stay empty). */
  refused: string[];
  waitFor(predicate: (c: ReceivedCallback) => boolean, timeoutMs?: number): Promise<ReceivedCallback>;
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const received: ReceivedCallback[] = [];
  const refused: string[] = [];
  const app = express();
  app.post('/v1/callbacks/:target', express.raw({ type: () => true }), (req, res) => {
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const { id } = verifyWebhook({ secrets: [secret], headers: req.headers, rawBody: raw });
      received.push({
        target: String(req.params.target),
        webhookId: id,
        body: JSON.parse(raw.toString('utf8')),
      });
      res.status(204).end();
    } catch (err) {
      refused.push(String(err));
      res.status(401).end();
    }
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    refused,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching callback within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
