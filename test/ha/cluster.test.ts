/**
 * The gateway on a real Redis Cluster of 3 primaries (scripts/lib/redis-topology.ts), in-process with
 * the partner simulators and a Beijing receiver, through the journeys the integration suite runs on
 * one server: a national transfer to completion with its notifications, Guangdong and Fujian through
 * local reporting, a rejection, an operator's retry, an operator's pause and resume, a callback
 * duplicate, the outbox relay, readiness, and retention (purge and expiry on the movable clock).
 * Every store script is given each key it touches in KEYS, all in the store's slot, so the cluster
 * runs it where that slot lives; the logs must show no error and no slot refusal.
 *
 * The key space, read from every primary: the store's keys share one slot (its scripts need that),
 * each queue keeps to a slot of its own, and the queues spread over more than one primary. The
 * per-primary key counts are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { builtInPartners } from '../../adapters/registry.js';
import { deliveryJobId, MAINTENANCE_QUEUE, NOTIFY_QUEUE } from '../../queues/names.js';
import { startRedisCluster, type RedisClusterGroup } from '../../scripts/lib/redis-topology.js';
import { transferBody } from '../helpers/bodies.js';
import { MovableClock } from '../helpers/clock.js';
import { api, callbackSecret, KEYS } from '../helpers/gateway.js';
import { startWorld, until, type World } from '../helpers/world.js';

/** A fixed prefix: the queues' hash tags, and so which primary each lands on, are the same every run. */
const PREFIX = 'tgw-ha';
const STORE_TAG = `{${PREFIX}}`;
const QUEUES = [...builtInPartners.all().map((d) => d.queue), NOTIFY_QUEUE, MAINTENANCE_QUEUE];

const NATIONAL = { destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' } };
const GUANGDONG = { destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' } };
const FUJIAN = { destination: { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' } };

type Transfer = {
  id: string;
  state: string;
  attempts: number;
  nationalAccountCreated: boolean;
  member: { name: string } | null;
  personalDataPurgedAt: string | null;
  localReport: { status: string } | null;
  events: { type: string; source: string; detail?: Record<string, unknown> }[];
};

let dir: string;
let cluster: RedisClusterGroup;
/** The transfer the purge test leaves for the expiry test. */
const expiring: string[] = [];
let w: World;
const clock = new MovableClock();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tgw-ha-gateway-cluster-'));
  cluster = await startRedisCluster({ dir, primaries: 3 });
  w = await startWorld({
    decision: { mode: 'approve', delayMs: 100 },
    localReportDelayMs: 150,
    gateway: { clock },
    partnerNow: () => clock.now(),
    redisEnv: { REDIS_URL: undefined, REDIS_CLUSTER_NODES: cluster.nodesEnv },
    env: {
      REDIS_PREFIX: PREFIX,
      // Retention, reconciliation and local-report tracking run when a test says so; the relay too.
      RETENTION_SWEEP_MS: '3600000',
      RECONCILE_INTERVAL_MS: '3600000',
      LOCAL_REPORT_CHECK_MS: '3600000',
      OUTBOX_GRACE_MS: '100',
      OUTBOX_SWEEP_MS: '600000',
    },
  });
}, 180_000);

afterAll(async () => {
  await w?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function post(overrides: Record<string, unknown>): Promise<string> {
  n += 1;
  const res = await api(w.gw.url, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody({ externalRef: `BJ-HA-${n}`, ...overrides }, 500 + n),
    headers: { 'idempotency-key': `ha-${n}-${Date.now()}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return String(res.body.id);
}
const get = (id: string) => api<Transfer>(w.gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing });
const view = async (id: string) => (await get(id)).body;
const inState = (id: string, state: string, timeoutMs = 20_000) =>
  until(`${id} to be ${state}`, async () => ((await view(id)).state === state ? view(id) : null), timeoutMs);
const toldBeijing = (id: string) => w.beijing.received.filter((r) => r.data.transferId === id);
/** Every notification written for the transfer was delivered (their records go on delivery). */
const notified = (id: string) =>
  until(`${id}'s notifications delivered`, async () =>
    (await w.gw.redis.hlen(`${STORE_TAG}:trf:${id}:notifications`)) === 0 ? true : null,
  );

// --- the key space, read from each primary ----------------------------------------------------------

interface PrimaryKeys {
  address: string;
  slots: [number, number][];
  keys: { key: string; slot: number }[];
}

/** Every key of every primary with its slot (SCAN on each node: a cluster client's SCAN sees one). */
async function keysByPrimary(): Promise<PrimaryKeys[]> {
  const masters = await cluster.masters();
  return Promise.all(
    masters.map(async (m) => {
      const node = new Redis({ host: m.host, port: m.port, maxRetriesPerRequest: 1 });
      try {
        const names: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
          cursor = next;
          names.push(...batch);
        } while (cursor !== '0');
        const pipe = node.pipeline();
        for (const key of names) pipe.call('CLUSTER', 'KEYSLOT', key);
        const slots = ((await pipe.exec()) ?? []).map(([err, slot]) => {
          if (err) throw err;
          return Number(slot);
        });
        return {
          address: `${m.host}:${m.port}`,
          slots: m.slots,
          keys: names.map((key, i) => ({ key, slot: slots[i] ?? -1 })),
        };
      } finally {
        node.disconnect();
      }
    }),
  );
}

/** Which group a key belongs to: the store, a queue (by name), or 'other'. */
function groupOf(key: string): string {
  if (key.startsWith(`${STORE_TAG}:`)) return 'store';
  const queue = QUEUES.find((q) => key.startsWith(`{${PREFIX}:${q}}:`));
  return queue ?? 'other';
}

describe('journeys on a 3-primary Redis Cluster', () => {
  it('is ready, having asked every primary', async () => {
    const res = await api<{ checks: { redis: { ok: boolean; detail: Record<string, unknown> } } }>(
      w.gw.url,
      'GET',
      '/readyz',
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.checks.redis.detail).toMatchObject({ mode: 'cluster', role: 'master' });
    const masters = await cluster.masters();
    expect(String(res.body.checks.redis.detail.primary).split(',')).toHaveLength(masters.length);
  });

  it('national: submitted → completed, Beijing told of every change and of the account', async () => {
    const id = await post(NATIONAL);
    const t = await inState(id, 'completed');
    await until('account created', async () => (await view(id)).nationalAccountCreated || null);
    expect(t.events.find((e) => e.type === 'partner_approved')?.source).toBe('callback');
    await until('three notifications', () => toldBeijing(id).length >= 3 || null);
    const kinds = toldBeijing(id).map(
      (r) => `${r.type}:${String(r.data.previousState)}>${String(r.data.state)}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'transfer.state_changed:accepted>submitted',
        'transfer.state_changed:submitted>completed',
        'member.account_created:completed>completed',
      ]),
    );
    const seqs = toldBeijing(id).map((r) => r.data.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    await notified(id);
  });

  it('guangdong and fujian: awaiting_local_report → completed when the member reports locally', async () => {
    for (const dest of [GUANGDONG, FUJIAN]) {
      const id = await post(dest);
      const t = await inState(id, 'completed');
      expect(t.localReport).toMatchObject({ status: 'completed' });
      const types = t.events.map((e) => e.type);
      expect(types.indexOf('awaiting_local_report')).toBeLessThan(types.indexOf('local_report_completed'));
      await until('the completion notice', () => toldBeijing(id).find((r) => r.data.state === 'completed'));
    }
  });

  it('a rejection carries the partner reason to the transfer and to Beijing', async () => {
    w.national.control.setDecision({ mode: 'reject', delayMs: 50, reason: '该团员不属于本组织' });
    try {
      const id = await post(NATIONAL);
      const t = await inState(id, 'rejected');
      expect(t.events.find((e) => e.type === 'rejected')?.detail?.reason).toBe('该团员不属于本组织');
      await until('the rejection notice', () => toldBeijing(id).find((r) => r.data.state === 'rejected'));
    } finally {
      w.national.control.setDecision({ mode: 'approve', delayMs: 100 });
    }
  });

  it("an operator's retry of a failed transfer really runs again", async () => {
    w.guangdong.control.setFaults({ reject: { reason: '材料不全' } });
    const id = await post(GUANGDONG);
    const failed = await inState(id, 'failed');
    expect(failed.attempts).toBe(1);
    w.guangdong.control.clearFaults();
    const retry = await api<Transfer>(w.gw.url, 'POST', `/v1/transfers/${id}/retry`, { key: KEYS.ops });
    expect(retry.status).toBe(202);
    expect(retry.body.state).toBe('accepted');
    const t = await inState(id, 'completed');
    expect(t.attempts).toBe(2);
    expect(t.events.map((e) => e.type)).toContain('retry_requested');
    // Leaving `failed` took it out of the retention schedules; finishing again put it back.
    const finished = await w.gw.redis.zscore(`${STORE_TAG}:idx:finished`, id);
    expect(Number(finished)).toBeGreaterThan(0);
  });

  it("an operator's pause holds a target's deliveries in its queue; resume delivers them", async () => {
    type Status = { paused: boolean; counts: { waiting: number } };
    const action = (verb: 'pause' | 'resume') =>
      api<Status>(w.gw.url, 'POST', `/v1/ops/targets/fujian/${verb}`, { key: KEYS.ops });
    const paused = await action('pause');
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toBe(true);
    try {
      const id = await post(FUJIAN);
      await new Promise((r) => setTimeout(r, 500));
      expect((await view(id)).state).toBe('accepted');
      const targets = await api<{ items: (Status & { target: string })[] }>(
        w.gw.url,
        'GET',
        '/v1/ops/targets',
        { key: KEYS.ops },
      );
      expect(targets.body.items.find((t) => t.target === 'fujian')).toMatchObject({
        paused: true,
        counts: { waiting: 1 },
      });
      expect((await action('resume')).body.paused).toBe(false);
      await inState(id, 'completed');
    } finally {
      await action('resume');
    }
  });

  it('twelve copies of one callback at once: all acknowledged, applied once', async () => {
    w.national.control.setDecision({ mode: 'never' });
    try {
      const id = await post(NATIONAL);
      await inState(id, 'submitted');
      const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: id, partnerRef: 'X-1' } });
      const webhookId = `msg_${Math.random().toString(36).slice(2)}`;
      const at = new Date();
      const headers = {
        'content-type': 'application/json',
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(callbackSecret(w.gw, 'national')).sign(webhookId, at, body),
      };
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          api(w.gw.url, 'POST', '/v1/callbacks/national', { raw: body, headers }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(204));
      const t = await view(id);
      expect(t.state).toBe('completed');
      expect(t.events.filter((e) => e.type === 'partner_approved')).toHaveLength(1);
      expect(await w.gw.redis.exists(`${STORE_TAG}:dedupe:callback:national:${webhookId}`)).toBe(1);
    } finally {
      w.national.control.setDecision({ mode: 'approve', delayMs: 100 });
    }
  });

  it('the outbox relay queues a stored transfer whose job was lost, and notifications left behind', async () => {
    let lost = '';
    // The process "dies" between storing the transfer and queueing its job, as in a crash.
    const enqueue = vi.spyOn(w.gw.producer, 'enqueue').mockImplementationOnce((id) => {
      lost = id;
      return Promise.reject(new Error('queue down'));
    });
    // And every notification of the changes that follow is left to the outbox.
    const notify = vi
      .spyOn(w.gw.notifications, 'enqueueNotification')
      .mockRejectedValue(new Error('queue down'));
    try {
      const res = await api(w.gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        body: transferBody({ externalRef: 'BJ-HA-OUTBOX', ...NATIONAL }, 599),
        headers: { 'idempotency-key': `ha-outbox-${Date.now()}` },
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(lost).not.toBe('');
      expect(await w.gw.store.inOutbox(lost)).toBe(true);
      expect(await w.gw.producer.queue('national').getJob(deliveryJobId(lost, 1))).toBeUndefined();
      await new Promise((r) => setTimeout(r, 150)); // past OUTBOX_GRACE_MS
      expect(await w.gw.relay.sweep()).toBeGreaterThanOrEqual(1);
      expect(await w.gw.store.inOutbox(lost)).toBe(false);
      await inState(lost, 'completed');
      await until('its notifications in the outbox', async () => {
        const due = await w.gw.store.notificationOutboxDue(new Date(Date.now() + 60_000), 100);
        return due.filter((d) => d.transferId === lost).length >= 2 || null;
      });
    } finally {
      enqueue.mockRestore();
      notify.mockRestore();
    }
    expect(toldBeijing(lost)).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    expect(await w.gw.relay.sweep()).toBeGreaterThanOrEqual(2);
    await until('the relayed notifications', () =>
      toldBeijing(lost).some((r) => r.data.state === 'completed') ? true : null,
    );
    expect(toldBeijing(lost).map((r) => `${String(r.data.previousState)}>${String(r.data.state)}`)).toEqual(
      expect.arrayContaining(['accepted>submitted', 'submitted>completed']),
    );
    expect(
      (await w.gw.store.notificationOutboxDue(new Date(Date.now() + 60_000), 100)).filter(
        (d) => d.transferId === lost,
      ),
    ).toEqual([]);
    await notified(lost);
  });
});

describe('the key space', () => {
  it('spreads over the primaries: the store in one slot, each queue in a slot of its own', async () => {
    // One transfer still in flight, so the store holds a record as well as its indexes. Its delivery
    // takes a slot of the national rate limit: a key in the store's tag, never the untagged name.
    w.national.control.setDecision({ mode: 'never' });
    const id = await post(NATIONAL);
    try {
      await until('the national rate limit in the store tag', async () =>
        (await w.gw.redis.exists(`${STORE_TAG}:ratelimit:national`)) === 1 ? true : null,
      );
      expect(await w.gw.redis.exists(`${PREFIX}:ratelimit:national`)).toBe(0);
      await inState(id, 'submitted');
    } finally {
      w.national.control.setDecision({ mode: 'approve', delayMs: 100 });
    }
    const primaries = await keysByPrimary();
    const rows = primaries.map((p) => {
      const byGroup: Record<string, number> = {};
      for (const { key } of p.keys) byGroup[groupOf(key)] = (byGroup[groupOf(key)] ?? 0) + 1;
      return {
        primary: p.address,
        slots: p.slots.map(([a, b]) => `${a}-${b}`).join(','),
        keys: p.keys.length,
        ...byGroup,
      };
    });
    console.log('ha: keys per primary of the gateway on a 3-primary Redis Cluster');
    console.table(rows);

    expect(primaries).toHaveLength(3);
    const holding = primaries.filter((p) => p.keys.length > 0);
    expect(holding.length).toBeGreaterThan(1);
    const all = primaries.flatMap((p) => p.keys.map((k) => ({ ...k, primary: p.address })));
    // Nothing of the gateway's lies outside its tags (the rate limits included).
    expect(all.filter((k) => groupOf(k.key) === 'other').map((k) => k.key)).toEqual([]);
    const store = all.filter((k) => groupOf(k.key) === 'store');
    expect(store.map((k) => k.key)).toEqual(
      expect.arrayContaining([`${STORE_TAG}:trf:${id}`, `${STORE_TAG}:idx:st:submitted:national`]),
    );
    expect(new Set(store.map((k) => k.slot)).size).toBe(1);
    expect(new Set(store.map((k) => k.primary)).size).toBe(1);
    for (const queue of QUEUES) {
      const keys = all.filter((k) => groupOf(k.key) === queue);
      expect(keys.length, queue).toBeGreaterThan(0);
      expect(new Set(keys.map((k) => k.slot)).size, queue).toBe(1);
    }
  });
});

describe('retention on the cluster, on a movable clock', () => {
  it('purges personal data after PII_RETENTION_DAYS, rewriting every primary’s AOF', async () => {
    const id = await post(NATIONAL);
    await inState(id, 'completed');
    await notified(id);
    clock.advanceDays(89.9);
    await w.gw.retention.sweep();
    expect((await view(id)).member).not.toBeNull();

    clock.advanceDays(0.2);
    const run = await w.gw.retention.sweep();
    expect(run.purged).toBeGreaterThanOrEqual(1);
    expect(run.aofRewrite).toBe('requested');
    const t = await view(id);
    expect(t.member).toBeNull();
    expect(t.personalDataPurgedAt).toEqual(expect.any(String));
    expect(t.state).toBe('completed');
    // Frozen: the hash is gone, the packed part holds it all; a late callback changes nothing.
    expect(await w.gw.redis.exists(`${STORE_TAG}:trf:${id}`)).toBe(0);
    expect(await w.gw.redis.exists(`${STORE_TAG}:trf:${id}:packed`)).toBe(1);
    const stats = await w.gw.retentionStore.stats();
    expect(Number(stats.aofRewritesTotal)).toBeGreaterThanOrEqual(1);
    expect(Number(stats.purgedTotal)).toBeGreaterThanOrEqual(1);
    expiring.push(id);
  });

  it('expires the record after RECORD_RETENTION_DAYS: 404, no index entry, no key names it', async () => {
    const [id] = expiring;
    if (!id) throw new Error('the purge test did not run');
    clock.advanceDays(309.8); // 399.9 days after it finished
    await w.gw.retention.sweep();
    expect((await get(id)).status).toBe(200);
    clock.advanceDays(0.2);
    const run = await w.gw.retention.sweep();
    expect(run.expired).toBeGreaterThanOrEqual(1);
    const res = await get(id);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'TRANSFER_NOT_FOUND' });
    for (const state of ['completed', 'accepted', 'submitted']) {
      expect(await w.gw.redis.zscore(`${STORE_TAG}:idx:st:${state}:national`, id)).toBeNull();
    }
    expect(await w.gw.redis.zscore(`${STORE_TAG}:idx:finished`, id)).toBeNull();
    // Its keys and its jobs, on whichever primary they lay, are gone.
    const everywhere = (await keysByPrimary()).flatMap((p) => p.keys.map((k) => k.key));
    expect(everywhere.filter((k) => k.includes(id))).toEqual([]);
    expect(Number((await w.gw.retentionStore.stats()).expiredTotal)).toBeGreaterThanOrEqual(1);
  });
});

describe('the logs', () => {
  it('show no error, and no redirection or slot refusal from the cluster', () => {
    const lines = w.gw.logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as { level?: number; msg?: string });
    expect(parsed.filter((l) => (l.level ?? 0) >= 50)).toEqual([]);
    expect(lines.filter((l) => /CROSSSLOT|MOVED|ASK |non local key|undeclared key/i.test(l))).toEqual([]);
  });
});
