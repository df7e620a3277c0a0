/**
 * Redis SIGKILLed in the middle of a run (no shutdown), down a few seconds, restarted from its AOF:
 * Beijing's client sees 202s and 503s (with Retry-After), never a 500; partner callbacks that hit the
 * outage are answered 503 and retried by the partners; every acknowledged transfer survives and reaches
 * its partner exactly once, and the journeys complete without restarting a gateway process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { Client, faults, reckon, Reader, report, size } from './support.js';

const TRANSFERS = size(400, 20_000);
const DOWN_MS = 4_000;

let cluster: Cluster;
let reader: Reader;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: {
      JOB_LOCK_MS: '5000',
      RATE_LIMIT_NATIONAL: '200',
      RATE_LIMIT_GUANGDONG: '200',
      RATE_LIMIT_FUJIAN: '200',
      LOG_LEVEL: 'info',
    },
  });
  reader = new Reader(cluster);
}, 120_000);
afterAll(async () => {
  await reader?.close();
  await cluster?.close();
}, 120_000);

describe('chaos: Redis SIGKILLed mid-run and restarted from its AOF', () => {
  it(`answers only 202 and 503, and loses none of ${TRANSFERS} acknowledged transfers`, async () => {
    const started = Date.now();
    const api = await cluster.spawn('api');
    const workers = [await cluster.spawn('worker'), await cluster.spawn('worker')];
    processes.push(api, ...workers);
    const client = new Client(() => api.url, 'redis');

    const posting = client.postMany(0, TRANSFERS, 16);
    // Kill once a third of the transfers are in.
    while (client.acknowledged.length < TRANSFERS / 3) await new Promise((r) => setTimeout(r, 50));
    const killedAt = Date.now();
    await cluster.killRedis();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    await cluster.restartRedis();
    const restartedAt = Date.now();
    await posting;

    // Completion needs the partners' callbacks (some of which hit the outage and were retried).
    const figures = await reckon(cluster, reader, client, {
      timeoutMs: 10 * 60_000,
      settled: (t) => t.state === 'completed',
    });
    const { errors, stray } = faults(processes);
    const statuses = client.statusSummary;
    await Promise.race([
      Promise.all(Object.values(cluster.partners).map((p) => p.control.settle())),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    const callbacks = Object.values(cluster.partners).flatMap((p) => p.state.callbacks);
    report('redis-restart', {
      ...figures,
      redisDownMs: restartedAt - killedAt,
      clientStatuses: statuses,
      callbackOutcomes: callbacks.reduce<Record<string, number>>((acc, c) => {
        acc[c.outcome] = (acc[c.outcome] ?? 0) + 1;
        return acc;
      }, {}),
      outageLogLines: processes.flatMap((p) => p.logs).filter((l) => l.msg === 'redis unreachable; retrying')
        .length,
      durationS: Math.round((Date.now() - started) / 1000),
      errorLines: errors.length,
    });

    expect(Object.keys(statuses).sort()).toEqual(
      Object.keys(statuses)
        .filter((s) => s === '202' || s === '503')
        .sort(),
    );
    expect(statuses['503'] ?? 0).toBeGreaterThan(0); // the outage was seen
    expect(figures.acknowledged).toBe(TRANSFERS);
    expect(figures.missing).toBe(0);
    expect(figures.failed).toBe(0);
    expect(figures.delivered).toBe(TRANSFERS);
    expect(figures.notExactlyOnePartnerRecord).toBe(0);
    expect(figures.phantomPartnerRecords).toBe(0);
    expect(figures.attemptsUndercounted).toBe(0);
    expect(errors).toEqual([]);
    expect(stray).toEqual([]);
  });
});
