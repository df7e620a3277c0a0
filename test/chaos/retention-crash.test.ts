/**
 * Retention under crashes: a season's worth of finished transfers falls due for purging and then for
 * expiry while the worker processes running the sweep are SIGKILLed every 2.5 s (each lives about 5 s) and replaced. Every
 * transfer is at every moment either whole or purged (never half), each is purged once and expired
 * once (the totals, counted inside each atomic step, equal the number of transfers), and at the end
 * nothing of them is left in Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferBody } from '../helpers/bodies.js';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { Client, faults, Reader, report, size, killWorkersEvery } from './support.js';

const TRANSFERS = size(600, 5_000);
const KILL_EVERY_MS = 2_500;
/**
 * Windows in days: purged about 10 s after failing, deleted about 70 s after (quick) or 170 s after
 * (full: 5,000 purges by workers that die every 2.5 s need longer than a minute on a busy 2-core
 * machine, and a transfer that expires before its purge is deleted whole, never purged).
 */
const PII_DAYS = 0.00012;
const RECORD_DAYS = size(0.0008, 0.002);

let cluster: Cluster;
let reader: Reader;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: {
      PII_RETENTION_DAYS: String(PII_DAYS),
      RECORD_RETENTION_DAYS: String(RECORD_DAYS),
      RETENTION_SWEEP_MS: '250',
      JOB_LOCK_MS: '5000',
      // Every transfer fails at once (its org is unknown); let the lookups through quickly.
      RATE_LIMIT_NATIONAL: '1000',
      LOG_LEVEL: 'warn',
    },
  });
  reader = new Reader(cluster);
}, 120_000);
afterAll(async () => {
  await reader?.close();
  await cluster?.close();
}, 120_000);

const unknownOrg = (n: number) =>
  transferBody(
    {
      externalRef: `BJ-RETAIN-${n}`,
      destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' },
    },
    n,
  );

describe('chaos: the retention sweep with its workers SIGKILLed every 2.5 s', () => {
  it(`purges and expires each of ${TRANSFERS} finished transfers once, never half`, async () => {
    const started = Date.now();
    const api = await cluster.spawn('api');
    const workers = [await cluster.spawn('worker'), await cluster.spawn('worker')];
    processes.push(api, ...workers);
    const client = new Client(() => api.url, 'retain', unknownOrg);
    await client.postMany(0, TRANSFERS, 16);
    const ids = client.acknowledged;
    expect(ids).toHaveLength(TRANSFERS);

    const killer = killWorkersEvery(cluster, workers, processes, KILL_EVERY_MS);

    // Sampled while the sweep runs and dies: whole (sealed data, member, no purge time) or purged
    // (none of them), and never a transfer in flight purged.
    const r = reader.redis;
    const p = cluster.env.REDIS_PREFIX ?? 'tgw';
    let halfSeen = 0;
    let samples = 0;
    let purgedAll = false;
    const sampleUntil = Date.now() + 10 * 60_000;
    while (Date.now() < sampleUntil) {
      const stored = await reader.transfers(ids);
      samples += 1;
      let purged = 0;
      for (const t of stored) {
        const whole = t.piiSealed !== '' && t.doc.member !== undefined && !t.personalDataPurgedAt;
        const gone = t.piiSealed === '' && t.doc.member === undefined && Boolean(t.personalDataPurgedAt);
        if (!whole && !gone) halfSeen += 1;
        if (gone) purged += 1;
        if (gone && t.state !== 'failed') halfSeen += 1;
      }
      if (stored.length === ids.length && purged === ids.length) {
        purgedAll = true;
        break;
      }
      if (stored.length < ids.length) break; // expiry began before every purge was seen
      await new Promise((res) => setTimeout(res, 500));
    }
    // Then expiry: nothing of them is left.
    await waitFor(async () => (await reader.transfers(ids)).length === 0, 10 * 60_000);
    await waitFor(
      async () => Number(await r.hget(`${p}:retention:stats`, 'expiredTotal')) >= ids.length,
      60_000,
    );
    const kills = await killer.stop();

    const stats = await r.hgetall(`${p}:retention:stats`);
    // The store's own keys (records, indexes, schedules, markers) must hold nothing of them. A queue's
    // finished job that ran while its transfer expired is left to the queue's own bounds (ids only).
    const leftovers: string[] = [];
    const jobsLeft: string[] = [];
    const queueKey = new RegExp(`^${p}:(deliver-[a-z-]+|notify-beijing|maintenance):`);
    for (const key of await r.keys(`${p}:*`)) {
      const type = await r.type(key);
      const text =
        type === 'zset'
          ? (await r.zrange(key, 0, -1)).join(' ')
          : type === 'hash'
            ? JSON.stringify(await r.hgetall(key))
            : key;
      if (!ids.some((id) => key.includes(id) || text.includes(id))) continue;
      (queueKey.test(key) ? jobsLeft : leftovers).push(key);
    }
    const idemKeys = (await r.keys(`${p}:idem:*`)).length;
    const { errors, stray } = faults(processes);
    report('retention-crash', {
      transfers: ids.length,
      purgedTotal: Number(stats.purgedTotal ?? 0),
      expiredTotal: Number(stats.expiredTotal ?? 0),
      samples,
      halfSeen,
      purgedAllSeen: purgedAll,
      leftoverKeys: leftovers.join(' '),
      queueKeysNamingThem: jobsLeft.length,
      idempotencyKeysLeft: idemKeys,
      workerKills: kills,
      durationS: Math.round((Date.now() - started) / 1000),
      errorLines: errors.length,
    });

    expect(kills).toBeGreaterThan(5);
    expect(samples).toBeGreaterThan(3);
    expect(halfSeen).toBe(0);
    expect(Number(stats.purgedTotal)).toBe(ids.length);
    expect(Number(stats.expiredTotal)).toBe(ids.length);
    expect(leftovers).toEqual([]);
    expect(idemKeys).toBe(0);
    expect(errors).toEqual([]);
    expect(stray).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 500));
  }
}
