/**
 * Notifications to Beijing over real HTTP, real Redis, real queue: a transition reaches a real
 * beijing-receiver signed and in order; failures are retried with the same webhook-id; exhausted ones are
 * listed and replayed by operators; ones left in the outbox are queued by the relay.
 */
import type { Job } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationJobId, type NotificationJobData } from '../../queues/names.js';
import { notificationJobOptions } from '../../queues/options.js';
import { startBeijingReceiver, type BeijingReceiver } from '../../scripts/beijing-receiver.js';
import { Transitions } from '../../src/usecases/transitions.js';
import { transferBody } from '../helpers/bodies.js';
import { api, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { testEnv } from '../helpers/env.js';
import { uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

const SECRET = testEnv().NOTIFY_SECRET!;
const FAST = { backoffBaseMs: 50, backoffMaxMs: 200 };
let n = 0;

/** A gateway on a prefix of its own, so each block's queue and receiver are its own. */
function gatewayFor(receiverUrl: string, env: Record<string, string> = {}): Promise<TestGateway> {
  return startTestGateway(
    { NOTIFY_URL: receiverUrl, REDIS_PREFIX: uniquePrefix(`notif-${++n}`), WORKERS: 'notify', ...env },
    { notify: FAST },
  );
}

async function createTransfer(gw: TestGateway): Promise<string> {
  const res = await api(gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-NOTIFY-${++n}` }, n),
    headers: { 'idempotency-key': `notify-${n}-${Date.now()}` },
  });
  expect(res.status).toBe(202);
  return String(res.body.id);
}

/** accepted → failed, as the delivery worker would after a partner's permanent refusal. */
function fail(transitions: Transitions, id: string) {
  return transitions.apply(id, {
    from: ['accepted'],
    to: 'failed',
    event: {
      at: new Date().toISOString(),
      type: 'failed',
      source: 'worker',
      detail: { code: 'PARTNER_REFUSED' },
    },
    notify: { detail: { code: 'PARTNER_REFUSED' } },
  });
}

/** Transitions whose queueing always fails: the notification is left to the outbox. */
function withQueueDown(gw: TestGateway): Transitions {
  return new Transitions(
    gw.store,
    { enqueueNotification: () => Promise.reject(new Error('queue down')) },
    gw.log,
  );
}

describe('delivery to a receiver that answers', () => {
  let gw: TestGateway;
  let receiver: BeijingReceiver;
  const lines: string[] = [];
  beforeAll(async () => {
    receiver = await startBeijingReceiver({ secret: SECRET, log: (l) => lines.push(l) });
    gw = await gatewayFor(receiver.url);
  });
  afterAll(async () => {
    await gw.close();
    await receiver.close();
  });

  it('sends every state change signed, with seq = the transfer version and both states', async () => {
    const id = await createTransfer(gw);
    const outcome = await fail(gw.transitions, id);
    expect(outcome).toMatchObject({ ok: true, previousState: 'accepted', notified: true });
    const got = await until('the notification', () =>
      receiver.received.find((r) => r.data.transferId === id),
    );
    const transfer = await gw.store.get(id);
    expect(got.type).toBe('transfer.state_changed');
    expect(got.data).toEqual({
      transferId: id,
      externalRef: transfer!.doc.externalRef,
      state: 'failed',
      previousState: 'accepted',
      at: expect.any(String),
      detail: { code: 'PARTNER_REFUSED' },
      seq: transfer!.version,
    });
    expect(got.webhookId).toBe(`msg_${id}_${transfer!.version}`);
    // The independent implementation accepts what we sent.
    expect(new Webhook(SECRET).verify(got.rawBody, got.headers)).toEqual(JSON.parse(got.rawBody));
    // Nothing personal leaves: not the name, ID number or phone in any form.
    expect(got.rawBody).not.toMatch(/张|110105|1380000|member/);
    expect(
      lines.some(
        (l) => l.includes(id) && l.includes('accepted → failed') && l.includes('code=PARTNER_REFUSED'),
      ),
    ).toBe(true);
  });

  it('announces a national account creation without a state change, and the receiver says to change the password', async () => {
    const id = await createTransfer(gw);
    const outcome = await gw.transitions.apply(id, {
      from: '*',
      event: { at: new Date().toISOString(), type: 'member.account_created', source: 'callback' },
      notify: { type: 'member.account_created' },
    });
    expect(outcome).toMatchObject({ ok: true, notified: true });
    const got = await until('the account notification', () =>
      receiver.received.find((r) => r.data.transferId === id),
    );
    expect(got.type).toBe('member.account_created');
    expect(got.data).toMatchObject({ state: 'accepted', previousState: 'accepted', detail: {} });
    expect(got.rawBody).not.toMatch(/password/i);
    expect(lines.some((l) => l.includes(id) && /must change .*default password/.test(l))).toBe(true);
  });

  it('lists delivered notifications as completed, without personal data', async () => {
    const res = await api<{ items: Record<string, unknown>[] }>(
      gw.url,
      'GET',
      '/v1/notifications?status=completed',
      {
        key: KEYS.ops,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(2);
    expect(res.body.items[0]).toMatchObject({
      status: 'completed',
      attemptsMade: expect.any(Number),
      notification: {
        type: expect.any(String),
        state: expect.any(String),
        previousState: expect.any(String),
        at: expect.any(String),
      },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/张|110105|1380000/);
  });

  it('pages with limit and cursor, and lists every queue state', async () => {
    const path = '/v1/notifications?status=completed&limit=1';
    const first = await api<{ items: { id: string }[]; nextCursor: string | null }>(gw.url, 'GET', path, {
      key: KEYS.ops,
    });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBe('1');
    const second = await api<{ items: { id: string }[] }>(gw.url, 'GET', `${path}&cursor=1`, {
      key: KEYS.ops,
    });
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0]!.id).not.toBe(first.body.items[0]!.id);
    for (const status of ['waiting', 'delayed', 'active', 'failed']) {
      const res = await api<{ items: unknown[] }>(gw.url, 'GET', `/v1/notifications?status=${status}`, {
        key: KEYS.ops,
      });
      expect(res.status, status).toBe(200);
      expect(res.body.items, status).toEqual([]);
    }
  });
});

describe('retries', () => {
  it('retries a failing receiver until it acknowledges, with the same webhook-id each time, recorded once', async () => {
    const receiver = await startBeijingReceiver({ secret: SECRET, failFirst: 3, log: () => undefined });
    const gw = await gatewayFor(receiver.url);
    try {
      const id = await createTransfer(gw);
      const { version } = (await fail(gw.transitions, id)) as { version: number };
      await until('delivery after 3 failures', () => receiver.received.length === 1);
      expect(receiver.deliveries.map((d) => d.status)).toEqual([500, 500, 500, 204]);
      expect(new Set(receiver.deliveries.map((d) => d.webhookId))).toEqual(new Set([`msg_${id}_${version}`]));
      // A redelivery of the same message is acknowledged and not recorded twice.
      const [first] = receiver.received;
      const again = await fetch(receiver.url, {
        method: 'POST',
        headers: first!.headers,
        body: first!.rawBody,
      });
      expect(again.status).toBe(204);
      expect(receiver.received).toHaveLength(1);
      const job = await gw.notifications.queue.getJob(notificationJobId(id, version));
      expect(await job?.getState()).toBe('completed');
      expect(job?.attemptsMade).toBe(4);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it('refuses a delivery signed with another secret (401)', async () => {
    const receiver = await startBeijingReceiver({ secret: SECRET, log: () => undefined });
    const other = 'whsec_' + Buffer.from('another secret, not beijing').toString('base64');
    const gw = await gatewayFor(receiver.url, { NOTIFY_SECRET: other });
    try {
      const id = await createTransfer(gw);
      await fail(gw.transitions, id);
      await until('a refused delivery', () => receiver.deliveries.length > 0);
      expect(receiver.deliveries[0]!.status).toBe(401);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });
});

describe('exhausted notifications, operators, and the outbox relay', () => {
  let gw: TestGateway;
  let receiver: BeijingReceiver | undefined;
  let port: number;
  let url: string;
  let exhausted: { id: string; seq: number; jobId: string };

  beforeAll(async () => {
    // Find a free port, then leave it closed: Beijing is down.
    const probe = await startBeijingReceiver({ secret: SECRET, log: () => undefined });
    ({ port, url } = probe);
    await probe.close();
    // The relay runs only when the test says so.
    gw = await gatewayFor(url, { OUTBOX_SWEEP_MS: '600000', OUTBOX_GRACE_MS: '100' });
  });
  afterAll(async () => {
    await gw.close();
    await receiver?.close();
  });

  it('keeps a notification that exhausted its attempts in the failed list, for ops only', async () => {
    const id = await createTransfer(gw);
    const outcome = await fail(withQueueDown(gw), id);
    if (!outcome.ok) throw new Error('transition refused');
    const seq = outcome.version;
    await gw.store.removeNotificationFromOutbox(id, seq); // as the relay would once it queues this job:
    const jobId = notificationJobId(id, seq);
    await gw.notifications.queue.add(
      'notify',
      { transferId: id, seq },
      { ...notificationJobOptions, attempts: 2, jobId },
    );
    exhausted = { id, seq, jobId };
    const job = await until('the job to fail for good', async () => {
      const j = (await gw.notifications.queue.getJob(jobId)) as Job<NotificationJobData> | undefined;
      return (await j?.getState()) === 'failed' ? j : undefined;
    });
    expect(job.attemptsMade).toBe(2);

    const list = await api<{ items: Record<string, unknown>[]; nextCursor: string | null }>(
      gw.url,
      'GET',
      '/v1/notifications?status=failed',
      { key: KEYS.ops },
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      {
        id: jobId,
        transferId: id,
        seq,
        status: 'failed',
        attemptsMade: 2,
        failedReason: 'could not reach the Beijing system',
        lastAttemptAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        notification: {
          type: 'transfer.state_changed',
          state: 'failed',
          previousState: 'accepted',
          at: expect.any(String),
        },
      },
    ]);
    expect(list.body.nextCursor).toBeNull();

    expect((await api(gw.url, 'GET', '/v1/notifications?status=failed')).status).toBe(401);
    expect((await api(gw.url, 'GET', '/v1/notifications?status=failed', { key: KEYS.beijing })).status).toBe(
      403,
    );
    expect((await api(gw.url, 'POST', '/v1/notifications/replay', { key: KEYS.reader })).status).toBe(403);
    expect((await api(gw.url, 'POST', `/v1/notifications/${jobId}/replay`)).status).toBe(401);
    const bad = await api(gw.url, 'GET', '/v1/notifications?status=lost', { key: KEYS.ops });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers 404 for an unknown job and 422 for a malformed replay body, replaying nothing', async () => {
    const unknown = await api(gw.url, 'POST', '/v1/notifications/trf_01JAAAAAAAAAAAAAAAAAAAAAAA-n9/replay', {
      key: KEYS.ops,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOTIFICATION_NOT_FOUND');
    const mixed = await api(gw.url, 'POST', '/v1/notifications/replay', {
      key: KEYS.ops,
      body: { ids: [exhausted.jobId, 'trf_01JAAAAAAAAAAAAAAAAAAAAAAA-n9'] },
    });
    expect(mixed.status).toBe(404);
    const malformed = await api(gw.url, 'POST', '/v1/notifications/replay', {
      key: KEYS.ops,
      body: { ids: 'all' },
    });
    expect(malformed.status).toBe(422);
    expect(await (await gw.notifications.queue.getJob(exhausted.jobId))?.getState()).toBe('failed');
  });

  it('replays every failed notification once Beijing is back, and it is delivered', async () => {
    receiver = await startBeijingReceiver({ port, secret: SECRET, log: () => undefined });
    const res = await api(gw.url, 'POST', '/v1/notifications/replay', { key: KEYS.ops });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ replayed: 1 });
    const r = receiver;
    const got = await until('the replayed notification', () =>
      r.received.find((x) => x.data.transferId === exhausted.id),
    );
    expect(got.data).toMatchObject({ seq: exhausted.seq, state: 'failed', previousState: 'accepted' });
    await until(
      'the job to complete',
      async () => (await (await gw.notifications.queue.getJob(exhausted.jobId))?.getState()) === 'completed',
    );
    const again = await api(gw.url, 'POST', `/v1/notifications/${exhausted.jobId}/replay`, { key: KEYS.ops });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('NOTIFICATION_NOT_FAILED');
  });

  it('replays one failed notification by id', async () => {
    const id = await createTransfer(gw);
    const outcome = await fail(withQueueDown(gw), id);
    if (!outcome.ok) throw new Error('transition refused');
    await gw.store.removeNotificationFromOutbox(id, outcome.version);
    const jobId = notificationJobId(id, outcome.version);
    // A job that already failed for good (no attempts left), as after a long outage.
    await receiver!.close();
    await gw.notifications.queue.add(
      'notify',
      { transferId: id, seq: outcome.version },
      { ...notificationJobOptions, attempts: 1, jobId },
    );
    await until(
      'the job to fail',
      async () => (await (await gw.notifications.queue.getJob(jobId))?.getState()) === 'failed',
    );
    receiver = await startBeijingReceiver({ port, secret: SECRET, log: () => undefined });
    const res = await api(gw.url, 'POST', `/v1/notifications/${jobId}/replay`, { key: KEYS.ops });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ replayed: 1 });
    const r = receiver;
    await until('the replayed notification', () => r.received.some((x) => x.data.transferId === id));
  });

  it('queues notifications left in the outbox when the relay sweeps', async () => {
    const id = await createTransfer(gw);
    const outcome = await fail(withQueueDown(gw), id);
    if (!outcome.ok) throw new Error('transition refused');
    const jobId = notificationJobId(id, outcome.version);
    expect(await gw.notifications.queue.getJob(jobId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 150)); // past OUTBOX_GRACE_MS
    expect(await gw.relay.sweep()).toBeGreaterThanOrEqual(1);
    const r = receiver!;
    const got = await until('the relayed notification', () =>
      r.received.find((x) => x.data.transferId === id),
    );
    expect(got.data).toMatchObject({ seq: outcome.version, state: 'failed', previousState: 'accepted' });
    expect(await gw.store.notificationOutboxDue(new Date(), 100)).toEqual([]);
  });
});
