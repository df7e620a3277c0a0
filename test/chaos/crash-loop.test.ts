/**
 * Crash loop: 1 API and 2 worker processes; one worker is SIGKILLed every 2 s and replaced, for as
 * long as transfers are flowing (an OOM-killed pod, a bad node). A worker's death is not a failed
 * transfer: every acknowledged transfer must reach its partner, none may fail, and attempts must
 * never undercount what the partners received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { Client, faults, FULL, reckon, Reader, report, size, killWorkersEvery } from './support.js';

const TRANSFERS = size(300, 2_000);
const KILL_EVERY_MS = 2_000;

let cluster: Cluster;
let reader: Reader;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: {
      // A dead worker's jobs run again after the lock (JOB_LOCK_MS) expires; shorter than production
      // so the run takes minutes, not an hour. The partners' production rate limits (quick: 10/s
      // each) spread delivery over many kills, with jobs waiting and running in every killed worker.
      JOB_LOCK_MS: '5000',
      RATE_LIMIT_NATIONAL: FULL ? '20' : '10',
      RATE_LIMIT_GUANGDONG: '10',
      RATE_LIMIT_FUJIAN: '10',
      LOG_LEVEL: 'warn',
    },
  });
  reader = new Reader(cluster);
}, 120_000);
afterAll(async () => {
  await reader?.close();
  await cluster?.close();
}, 120_000);

describe('chaos: a worker SIGKILLed every 2 s', () => {
  it(`loses none of ${TRANSFERS} acknowledged transfers and fails none`, async () => {
    const started = Date.now();
    const api = await cluster.spawn('api');
    processes.push(api);
    const workers = [await cluster.spawn('worker'), await cluster.spawn('worker')];
    processes.push(...workers);
    const client = new Client(() => api.url, 'crash');

    const killer = killWorkersEvery(cluster, workers, processes, KILL_EVERY_MS);

    await client.postMany(0, TRANSFERS, 16);
    const figures = await reckon(cluster, reader, client, { timeoutMs: 15 * 60_000 });
    const kills = await killer.stop();
    const { errors, stray } = faults(processes);
    report('crash-loop', {
      ...figures,
      workerKills: kills,
      clientStatuses: client.statusSummary,
      durationS: Math.round((Date.now() - started) / 1000),
      errorLines: errors.length,
    });

    expect(figures.acknowledged).toBe(TRANSFERS);
    expect(figures.missing).toBe(0);
    expect(figures.stillAccepted).toBe(0);
    expect(figures.failed).toBe(0);
    expect(figures.delivered).toBe(TRANSFERS);
    expect(figures.notExactlyOnePartnerRecord).toBe(0);
    expect(figures.phantomPartnerRecords).toBe(0);
    expect(figures.attemptsUndercounted).toBe(0);
    expect(kills).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(stray).toEqual([]);
  });
});
