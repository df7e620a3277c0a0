/**
 * SIGTERM under load, as a rolling deploy does it: worker processes and the API process are stopped
 * with SIGTERM (each finishes what it is doing, then exits 0) and replaced while Beijing keeps posting.
 * A client that loses its connection retries with the same Idempotency-Key. Nothing acknowledged is
 * lost, nothing is delivered twice to a partner's records, and every stop is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { Client, faults, reckon, Reader, report, size } from './support.js';

const TRANSFERS = size(400, 2_000);

let cluster: Cluster;
let reader: Reader;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: {
      // Delivery spread over a minute or so, so that stops land while jobs run and requests arrive.
      RATE_LIMIT_NATIONAL: '10',
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

describe('chaos: SIGTERM under load', () => {
  it(`stops cleanly and loses none of ${TRANSFERS} acknowledged transfers`, async () => {
    const started = Date.now();
    let api = await cluster.spawn('api');
    const workers = [await cluster.spawn('worker'), await cluster.spawn('worker')];
    processes.push(api, ...workers);
    const client = new Client(() => api.url, 'sigterm');
    const exits: { name: string; code: number | null; signal: string | null }[] = [];

    let rolling = true;
    let restarts = 0;
    const roll = (async () => {
      let turn = 0;
      while (rolling) {
        await new Promise((r) => setTimeout(r, 1_500));
        if (!rolling) break;
        const which = turn++ % 3;
        if (which === 0) {
          // The API: stop it, start the next one on the same port (as a deploy behind a load balancer).
          const old = api;
          await old.stop();
          exits.push({ name: old.name, ...(await old.exited) });
          api = await cluster.spawn('api');
          processes.push(api);
        } else {
          const slot = which - 1;
          const old = workers[slot]!;
          const replacement = await cluster.spawn('worker');
          processes.push(replacement);
          workers[slot] = replacement;
          await old.stop();
          exits.push({ name: old.name, ...(await old.exited) });
        }
        restarts += 1;
      }
    })();

    // A steady stream rather than one burst, so API stops meet requests in flight.
    await client.postMany(0, TRANSFERS, 4, undefined, 200);
    const figures = await reckon(cluster, reader, client, { timeoutMs: 10 * 60_000 });
    rolling = false;
    await roll;
    const { errors, stray } = faults(processes);
    report('sigterm', {
      ...figures,
      restarts,
      exitCodes: exits.map((e) => e.code ?? e.signal).join(','),
      clientStatuses: client.statusSummary,
      durationS: Math.round((Date.now() - started) / 1000),
      errorLines: errors.length,
    });

    expect(restarts).toBeGreaterThan(0);
    expect(exits.every((e) => e.code === 0)).toBe(true);
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
