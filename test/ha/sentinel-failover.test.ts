/**
 * Sentinel failover under load: a primary, two replicas and three sentinels (Debian's redis-server on
 * loopback); 1 API and 2 worker processes following the primary through the sentinels, with
 * REDIS_MIN_REPLICAS_ACK=1 so a 202 means "on a replica too". The primary is SIGKILLed in the middle of
 * the run: a replica is promoted, the gateway follows it without a restart, the client sees at most
 * 503 with Retry-After meanwhile, and every acknowledged transfer exists afterwards and reached its
 * partner exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelGroup, type SentinelGroup } from '../../scripts/lib/redis-topology.js';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { Client, faults, reckon, Reader, report } from '../chaos/support.js';

const FULL = process.env.HA_SCALE === 'full';
const TRANSFERS = FULL ? 1_000 : 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let group: SentinelGroup;
let cluster: Cluster;
let reader: Reader;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tgw-sentinel-'));
  group = await startSentinelGroup({
    dir,
    replicas: 2,
    sentinels: 3,
    downAfterMs: 1_000,
    failoverTimeoutMs: 5_000,
  });
  cluster = await startCluster({
    redisEnv: {
      REDIS_SENTINELS: group.sentinelsEnv,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_MIN_REPLICAS_ACK: '1',
      REDIS_REPLICAS_ACK_TIMEOUT_MS: '1000',
    },
    env: { LOG_LEVEL: 'info', JOB_LOCK_MS: '5000', RATE_LIMIT_NATIONAL: '40' },
  });
  reader = new Reader(cluster);
}, 180_000);

afterAll(async () => {
  await reader?.close();
  await cluster?.close();
  await group?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 180_000);

interface Ready {
  status: number;
  redis?: { ok: boolean; detail?: { mode?: string; role?: string; primary?: string; failovers?: number } };
}

async function readyz(url: string): Promise<Ready> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    const body = (await res.json()) as { checks?: { redis?: Ready['redis'] } };
    return { status: res.status, ...(body.checks?.redis ? { redis: body.checks.redis } : {}) };
  } catch {
    return { status: 0 };
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('ha: Sentinel failover in the middle of a run', () => {
  it(`keeps every acknowledged transfer of ${TRANSFERS} and delivers each once`, async () => {
    const started = Date.now();
    const api = await cluster.spawn('api');
    const workers = [await cluster.spawn('worker'), await cluster.spawn('worker')];
    processes.push(api, ...workers);
    const oldPrimary = await group.primary();
    const before = await readyz(api.url);
    expect(before.redis?.detail).toMatchObject({ mode: 'sentinel', role: 'master', failovers: 0 });
    expect(before.redis?.detail?.primary).toMatch(new RegExp(`:${oldPrimary.port}$`));

    const client = new Client(() => api.url, 'sentinel');
    const posting = client.postMany(0, TRANSFERS, 16, undefined, FULL ? 20 : 40);

    // The primary dies once a third of the transfers were acknowledged.
    while (client.acknowledged.length < TRANSFERS / 3) await sleep(50);
    const statusesBefore = client.statusSummary;
    const killedAt = Date.now();
    const { port: killedPort } = await group.killPrimary();
    const failover = await group.waitForFailover(killedPort, 60_000);
    // The gateway has followed when its readiness names the new primary again.
    let followedMs = -1;
    let notReadySeen = 0;
    while (Date.now() - killedAt < 60_000) {
      const r = await readyz(api.url);
      if (r.status !== 200) notReadySeen += 1;
      if (r.status === 200 && r.redis?.detail?.primary?.endsWith(`:${failover.port}`)) {
        followedMs = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    await posting;
    const figures = await reckon(cluster, reader, client, { timeoutMs: 10 * 60_000 });
    const after = await readyz(api.url);
    const workerFailovers = await Promise.all(workers.map((w) => metric(w.url, 'tgw_redis_failovers_total')));
    const apiFailovers = await metric(api.url, 'tgw_redis_failovers_total');
    const acks = {
      confirmed: await metric(api.url, 'tgw_redis_replica_acks_total{outcome="confirmed"}'),
      refused: await metric(api.url, 'tgw_redis_replica_acks_total{outcome="refused"}'),
    };
    const { errors, stray } = faults(processes);
    const statuses = client.statusSummary;
    report('ha-sentinel-failover', {
      scale: FULL ? 'full' : 'quick',
      ...figures,
      killedPrimary: killedPort,
      newPrimary: failover.port,
      sentinelFailoverMs: failover.ms,
      gatewayFollowedMs: followedMs,
      readyzNotReadyPolls: notReadySeen,
      clientStatuses: statuses,
      clientStatusesBeforeKill: statusesBefore,
      replicaAcks: acks,
      failoversSeen: { api: apiFailovers, workers: workerFailovers },
      durationS: Math.round((Date.now() - started) / 1000),
      errorLines: errors.length,
    });

    // Clients saw 202, and 503 during the switch: never a 500, never a dropped connection.
    expect(Object.keys(statuses).filter((s) => s !== '202' && s !== '503')).toEqual([]);
    expect(figures.acknowledged).toBe(TRANSFERS);
    expect(figures.missing).toBe(0);
    expect(figures.stillAccepted).toBe(0);
    expect(figures.failed).toBe(0);
    expect(figures.delivered).toBe(TRANSFERS);
    expect(figures.notExactlyOnePartnerRecord).toBe(0);
    expect(figures.phantomPartnerRecords).toBe(0);
    expect(followedMs).toBeGreaterThan(0);
    expect(after.redis?.detail).toMatchObject({ mode: 'sentinel', role: 'master' });
    expect(after.redis?.detail?.failovers).toBeGreaterThanOrEqual(1);
    expect(apiFailovers).toBeGreaterThanOrEqual(1);
    expect(acks.confirmed).toBeGreaterThanOrEqual(TRANSFERS);
    expect(errors).toEqual([]);
    expect(stray).toEqual([]);
  });
});
