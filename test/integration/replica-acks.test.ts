/**
 * REDIS_MIN_REPLICAS_ACK against real replication: this file starts its own primary and replica
 * (redis-server children) and the gateway in-process on the primary. With N=1 a 202 or a callback's
 * 204 comes only once the replica holds the write — shown by putting the replica to sleep (DEBUG SLEEP)
 * across the request: the answer waits for it to wake, and the replica holds the record as soon as
 * it comes. With fewer replicas than asked, or the replica SIGKILLed, the answer is 503
 * SERVICE_UNAVAILABLE with Retry-After after the timeout, and nothing is lost: a retry with the same
 * Idempotency-Key (or webhook-id) once the replicas are back answers as if the first had succeeded,
 * without a restart of the gateway. Concurrent requests share WAIT rounds (group commit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../scripts/lib/redis-server.js';
import { transferBody } from '../helpers/bodies.js';
import { api, callbackSecret, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startWorld, until, type World } from '../helpers/world.js';

const dir = mkdtempSync(join(tmpdir(), 'tgw-replica-acks-'));
let primary: RedisHandle;
let replica: RedisHandle;
let second: RedisHandle | undefined;
let onPrimary: Redis;
let w: World;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startReplica(name: string, port = 0): Promise<RedisHandle> {
  return startRedis({
    dir: join(dir, name),
    port,
    loglevel: 'warning',
    // DEBUG SLEEP (from loopback only) holds the replica still across a request.
    extraArgs: ['--replicaof', '127.0.0.1', String(primary.port), '--enable-debug-command', 'local'],
  });
}

const client = (r: RedisHandle) => new Redis(r.url, { maxRetriesPerRequest: 1 });

async function withClient<T>(r: RedisHandle, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = client(r);
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** Until the primary counts `n` replicas online and each of `replicas` says its link is up. */
async function inSync(n: number, replicas: RedisHandle[]): Promise<void> {
  await until(
    `${n} replica(s) in sync`,
    async () => {
      const info = await onPrimary.info('replication');
      if ((info.match(/^slave\d+:.*state=online/gm) ?? []).length !== n) return false;
      for (const r of replicas) {
        const own = await withClient(r, (c) => c.info('replication'));
        if (!own.includes('master_link_status:up') || own.includes('master_sync_in_progress:1')) return false;
      }
      return true;
    },
    30_000,
  );
}

/** Puts a replica to sleep for `seconds`; resolves once it has begun, with `woke` for its end. */
async function nap(r: RedisHandle, seconds: number): Promise<{ woke: Promise<unknown> }> {
  const c = client(r);
  await c.ping();
  const woke = c.call('DEBUG', 'SLEEP', String(seconds)).finally(() => c.disconnect());
  await sleep(50);
  // Wrapped: an async function returning the promise itself would wait for it.
  return { woke };
}

let n = 0;
/** A new transfer, or with `again` the same request again (same body, same Idempotency-Key). */
async function post(base: string, again?: { key: string; n: number }) {
  const i = again?.n ?? ++n;
  const key = again?.key ?? `ra-${i}-${Date.now()}`;
  const started = performance.now();
  const res = await api(base, 'POST', '/v1/transfers', {
    key: KEYS.beijing,
    body: transferBody(
      {
        externalRef: `BJ-RA-${i}`,
        destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' },
      },
      900 + i,
    ),
    headers: { 'idempotency-key': key },
  });
  return { ...res, key, n: i, ms: performance.now() - started };
}

function callback(gw: TestGateway, body: string, webhookId: string) {
  // One instant for the signature and the header (two clock reads can straddle a second).
  const at = new Date();
  const signature = new Webhook(callbackSecret(gw, 'national')).sign(webhookId, at, body);
  const started = performance.now();
  return api(gw.url, 'POST', '/v1/callbacks/national', {
    raw: body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  }).then((res) => ({ ...res, ms: performance.now() - started }));
}
const approval = (id: string) =>
  JSON.stringify({ type: 'transfer.approved', data: { transferId: id, partnerRef: `P-${id.slice(-6)}` } });

async function acks(base: string): Promise<{ confirmed: number; refused: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (outcome: string) =>
    Number(new RegExp(`^tgw_redis_replica_acks_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1]);
  return { confirmed: read('confirmed'), refused: read('refused') };
}

const recordKey = (gw: TestGateway, id: string) => `${gw.config.REDIS_PREFIX}:trf:${id}`;
const stateOf = async (gw: TestGateway, id: string) =>
  String((await api(gw.url, 'GET', `/v1/transfers/${id}`, { key: KEYS.beijing })).body.state);

function expect503(res: { status: number; headers: Headers; body: Record<string, unknown> }) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

beforeAll(async () => {
  primary = await startRedis({ dir: join(dir, 'primary'), loglevel: 'warning' });
  onPrimary = new Redis(primary.url, { maxRetriesPerRequest: 1 });
  replica = await startReplica('replica-1');
  await inSync(1, [replica]);
  // The default timeout (1 s): a DEBUG SLEEP well under it is waited for, not refused.
  w = await startWorld({ redisEnv: { REDIS_URL: primary.url }, env: { REDIS_MIN_REPLICAS_ACK: '1' } });
}, 60_000);

afterAll(async () => {
  await w?.close();
  onPrimary?.disconnect();
  await Promise.all([second?.stop(), replica?.stop()]);
  await primary?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('REDIS_MIN_REPLICAS_ACK=1 with one replica', () => {
  it('answers 202 only once the replica holds the transfer', async () => {
    expect(w.gw.config.REDIS_MIN_REPLICAS_ACK).toBe(1);
    expect(w.gw.config.REDIS_REPLICAS_ACK_TIMEOUT_MS).toBe(1000);
    const before = await acks(w.gw.url);
    const reader = client(replica);
    await reader.ping();
    try {
      const { woke } = await nap(replica, 0.4);
      const res = await post(w.gw.url);
      const held = await reader.hget(recordKey(w.gw, String(res.body.id)), 'doc');
      await woke;
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      // The replica slept ~350 ms more after the request began: the 202 waited for it.
      expect(res.ms).toBeGreaterThanOrEqual(250);
      expect(held, 'the record on the replica right after the 202').not.toBeNull();
      expect(JSON.parse(held ?? '{}')).toMatchObject({ id: res.body.id });
    } finally {
      reader.disconnect();
    }
    const after = await acks(w.gw.url);
    expect(after.confirmed).toBeGreaterThan(before.confirmed);
    expect(after.refused).toBe(before.refused);
  });

  it("answers a partner's callback 204 only once the replica holds its effect", async () => {
    const res = await post(w.gw.url);
    expect(res.status).toBe(202);
    const id = String(res.body.id);
    await until('the transfer to be submitted', async () => (await stateOf(w.gw, id)) === 'submitted');
    const before = await acks(w.gw.url);
    const reader = client(replica);
    await reader.ping();
    try {
      const { woke } = await nap(replica, 0.4);
      const cb = await callback(w.gw, approval(id), `msg_ra_${id}`);
      const state = await reader.hget(recordKey(w.gw, id), 'state');
      await woke;
      expect(cb.status, JSON.stringify(cb.body)).toBe(204);
      expect(cb.ms).toBeGreaterThanOrEqual(250);
      expect(state, 'the state on the replica right after the 204').toBe('completed');
    } finally {
      reader.disconnect();
    }
    expect((await acks(w.gw.url)).confirmed).toBeGreaterThan(before.confirmed);
  });

  it('group commit: 50 concurrent intakes cost fewer WAIT rounds than requests', async () => {
    const burst = async (): Promise<number> => {
      await onPrimary.config('RESETSTAT');
      const results = await Promise.all(Array.from({ length: 50 }, () => post(w.gw.url)));
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(202));
      const stats = await onPrimary.info('commandstats');
      return Number(/^cmdstat_wait:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
    };
    const before = await acks(w.gw.url);
    // A quick replica: a round lasts a round trip, so only requests that meet one in flight share it.
    const quick = await burst();
    // A slow replica (asleep for the first 300 ms): everyone who asks meanwhile shares the next round.
    const { woke } = await nap(replica, 0.3);
    const slow = await burst();
    await woke;
    console.log(`group commit: 50 intakes cost ${quick} WAIT rounds (quick replica), ${slow} (slow replica)`);
    expect(quick).toBeGreaterThan(0);
    expect(quick).toBeLessThan(50);
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThanOrEqual(5);
    expect((await acks(w.gw.url)).confirmed - before.confirmed).toBe(100);
  });

  it('replica SIGKILLed: 503s; restarted: 202s again, the refused requests retried, no gateway restart', async () => {
    // A transfer waiting for its partner's word, for a callback while the replica is gone.
    const pending = await post(w.gw.url);
    expect(pending.status).toBe(202);
    const pendingId = String(pending.body.id);
    await until('the transfer to be submitted', async () => (await stateOf(w.gw, pendingId)) === 'submitted');
    const before = await acks(w.gw.url);

    const { port } = replica;
    const gone = new Promise((r) => replica.process.once('exit', r));
    replica.process.kill('SIGKILL');
    await gone;
    await replica.stop();
    await inSync(0, []);

    const atPartner = w.national.state.records.size;
    const refused = [await post(w.gw.url), await post(w.gw.url)];
    for (const res of refused) {
      expect503(res);
      expect(res.ms).toBeGreaterThanOrEqual(900); // after the 1 s timeout, not at once
      expect(String(res.body.detail)).toMatch(/replicas/);
    }
    // Not acknowledged, so not queued either: the partner gets nothing a failover could make the
    // gateway forget (the outbox relay, too, waits for the replica), however long it waits.
    await new Promise((r) => setTimeout(r, 7_000));
    expect(w.national.state.records.size).toBe(atPartner);
    const cbBody = approval(pendingId);
    const cb = await callback(w.gw, cbBody, `msg_ra_kill_${pendingId}`);
    expect503(cb);
    // The three requests, and the outbox relay's own tries (it waits for the replica too).
    expect((await acks(w.gw.url)).refused - before.refused).toBeGreaterThanOrEqual(3);

    replica = await startReplica('replica-1', port);
    await inSync(1, [replica]);
    const fresh = await post(w.gw.url);
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(202);
    // The refused ones were stored on the primary: their retries find them, and the replica has them.
    for (const res of refused) {
      const again = await post(w.gw.url, res);
      expect(again.status, JSON.stringify(again.body)).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const id = String(again.body.id);
      expect(await withClient(replica, (c) => c.exists(recordKey(w.gw, id)))).toBe(1);
    }
    // The partner retries its callback (same webhook-id): a duplicate of what was applied, now confirmed.
    const retried = await callback(w.gw, cbBody, `msg_ra_kill_${pendingId}`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(204);
    expect(await withClient(replica, (c) => c.hget(recordKey(w.gw, pendingId), 'state'))).toBe('completed');
  }, 90_000);
});

describe('REDIS_MIN_REPLICAS_ACK=2 with one replica', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      REDIS_URL: primary.url,
      REDIS_PREFIX: uniquePrefix('acks-2'),
      ROLE: 'api',
      LOG_LEVEL: 'warn',
      REDIS_MIN_REPLICAS_ACK: '2',
      REDIS_REPLICAS_ACK_TIMEOUT_MS: '200',
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses with 503 after the timeout, loses nothing, and takes the retry once a second replica joins', async () => {
    const before = await acks(gw.url);
    const first = await post(gw.url);
    expect503(first);
    expect(first.ms).toBeGreaterThanOrEqual(180);
    expect(first.ms).toBeLessThan(5_000);
    const afterRefusal = await acks(gw.url);
    // The request (and, when a sweep falls in between, the outbox relay waiting for the replicas).
    expect(afterRefusal.refused - before.refused).toBeGreaterThanOrEqual(1);
    expect(afterRefusal.confirmed).toBe(before.confirmed);
    // Stored on the primary (and the one replica), though not acknowledged.
    expect(await gw.store.count()).toBe(1);

    second = await startReplica('replica-2');
    await inSync(2, [replica, second]);
    const retry = await post(gw.url, first);
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const id = String(retry.body.id);
    const list = await api<{ items: { id: string }[] }>(gw.url, 'GET', '/v1/transfers', {
      key: KEYS.beijing,
    });
    expect(list.body.items.map((t) => t.id)).toEqual([id]);
    const prefix = gw.config.REDIS_PREFIX;
    const records = (await onPrimary.keys(`${prefix}:trf:*`)).filter((k) => /^[^:]+:trf:[^:]+$/.test(k));
    expect(records).toEqual([`${prefix}:trf:${id}`]);
    for (const r of [replica, second]) {
      expect(await withClient(r, (c) => c.exists(`${prefix}:trf:${id}`))).toBe(1);
    }
    // The retry (and the outbox relay, if its sweep came by once the replica joined).
    expect((await acks(gw.url)).confirmed - afterRefusal.confirmed).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
