/** The notification sender's exact request (headers, body) and its errors, against a local HTTP server. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  NotificationDeliveryError,
  NotificationSender,
  type OutgoingNotification,
} from '../../../src/notify/sender.js';
import { verifyWebhook } from '../../../src/webhooks/standard-webhooks.js';

const SECRET = 'whsec_zKOfFu3GQG0HE+AxMciqr6fZmrV0nR4q';
const notification: OutgoingNotification = {
  type: 'transfer.state_changed',
  transferId: 'trf_01JABCDEFGHJKMNPQRSTVWXYZ0',
  externalRef: 'BJ-2023-000123',
  seq: 3,
  state: 'awaiting_local_report',
  previousState: 'accepted',
  at: '2026-03-01T08:00:00.000Z',
  detail: { partnerRef: 'GD-42', dueAt: '2026-03-31T08:00:00.000Z' },
};

interface Captured {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}
let server: Server;
let url: string;
let captured: Captured[] = [];
let answer: { status: number; headers?: Record<string, string> } = { status: 204 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notifications`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  captured = [];
  answer = { status: 204 };
});

describe('NotificationSender', () => {
  it('POSTs {type, data} as JSON with Standard Webhooks headers that both implementations accept', async () => {
    await new NotificationSender({ url, secret: SECRET }).send(notification);
    expect(captured).toHaveLength(1);
    const [req] = captured;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/notifications');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual({
      type: 'transfer.state_changed',
      data: {
        transferId: notification.transferId,
        externalRef: 'BJ-2023-000123',
        state: 'awaiting_local_report',
        previousState: 'accepted',
        at: '2026-03-01T08:00:00.000Z',
        detail: { partnerRef: 'GD-42', dueAt: '2026-03-31T08:00:00.000Z' },
        seq: 3,
      },
    });
    expect(req!.headers['webhook-id']).toBe(`msg_${notification.transferId}_3`);
    expect(Number(req!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(req!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWebhook({ secrets: [SECRET], headers: req!.headers, rawBody: req!.body }).id).toBe(
      `msg_${notification.transferId}_3`,
    );
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req!.headers[h])]),
    );
    expect(new Webhook(SECRET).verify(req!.body, headers)).toEqual(JSON.parse(req!.body));
  });

  it('keeps the webhook-id across attempts and signs each attempt with a fresh timestamp', async () => {
    let now = new Date('2026-03-01T08:00:00Z');
    const sender = new NotificationSender({ url, secret: SECRET, now: () => now });
    await sender.send(notification);
    now = new Date('2026-03-01T09:30:00Z');
    await sender.send(notification);
    const [a, b] = captured;
    expect(a!.headers['webhook-id']).toBe(b!.headers['webhook-id']);
    expect(a!.headers['webhook-timestamp']).toBe(String(Date.parse('2026-03-01T08:00:00Z') / 1000));
    expect(b!.headers['webhook-timestamp']).toBe(String(Date.parse('2026-03-01T09:30:00Z') / 1000));
    expect(a!.body).toBe(b!.body);
  });

  it('names the notification type it is given (member.account_created) and adds nothing else', async () => {
    await new NotificationSender({ url, secret: SECRET }).send({
      ...notification,
      type: 'member.account_created',
      detail: {},
    });
    const body = JSON.parse(captured[0]!.body) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('member.account_created');
    expect(Object.keys(body.data).sort()).toEqual(
      ['at', 'detail', 'externalRef', 'previousState', 'seq', 'state', 'transferId'].sort(),
    );
    expect(captured[0]!.body).not.toMatch(/password/i);
  });

  it('throws NotificationDeliveryError with the status (and Retry-After) on a non-2xx', async () => {
    answer = { status: 503, headers: { 'retry-after': '30' } };
    const err = await new NotificationSender({ url, secret: SECRET })
      .send(notification)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationDeliveryError);
    expect(err).toMatchObject({ status: 503, retryAfterMs: 30_000 });
  });

  it('treats a redirect as not acknowledged', async () => {
    answer = { status: 302, headers: { location: 'http://example.invalid/' } };
    const err = await new NotificationSender({ url, secret: SECRET })
      .send(notification)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NotificationDeliveryError', status: 302 });
  });

  it('throws NotificationDeliveryError without a status when nobody listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await new NotificationSender({ url: `http://127.0.0.1:${port}/`, secret: SECRET })
      .send(notification)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationDeliveryError);
    expect(err).toMatchObject({ status: undefined });
  });

  it('gives up after timeoutMs', async () => {
    const slow = createServer(() => undefined); // never answers
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.address() as AddressInfo).port;
    try {
      const err = await new NotificationSender({
        url: `http://127.0.0.1:${port}/`,
        secret: SECRET,
        timeoutMs: 100,
      })
        .send(notification)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotificationDeliveryError);
      expect((err as Error).message).toBe('no answer within 100 ms');
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});
