/**
 * A partner down (503 to everything) while transfers keep arriving: its breaker opens in each worker
 * process and the queue waits, so transfers spend no attempts while it is open: only the calls that
 * opened each breaker and one probe per reset period reach the dead partner. When the partner is
 * back, everything drains; nothing fails, nothing is lost, and the other partners never wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { Client, faults, FULL, reckon, Reader, report, size } from './support.js';

const TRANSFERS = size(200, 1_000);
const DOWN_MS = FULL ? 30_000 : 12_000;
const VOLUME = 10;
const RESET_MS = 5_000;
const CONCURRENCY = 8;
const WORKERS = 2;

let cluster: Cluster;
let reader: Reader;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: {
      JOB_LOCK_MS: '5000',
      RATE_LIMIT_GUANGDONG: '100',
      RATE_LIMIT_NATIONAL: '100',
      BREAKER_VOLUME_THRESHOLD: String(VOLUME),
      BREAKER_ERROR_PERCENT: '50',
      BREAKER_RESET_MS: String(RESET_MS),
      DELIVERY_CONCURRENCY: String(CONCURRENCY),
      DELIVERY_BACKOFF_BASE_MS: '500',
      DELIVERY_BACKOFF_MAX_MS: '5000',
      LOG_LEVEL: 'info',
    },
  });
  reader = new Reader(cluster);
}, 120_000);
afterAll(async () => {
  await reader?.close();
  await cluster?.close();
}, 120_000);

describe('chaos: a partner down while transfers arrive', () => {
  it(`spends no attempts while its breaker is open, and delivers all ${TRANSFERS} when it is back`, async () => {
    const started = Date.now();
    const api = await cluster.spawn('api');
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => cluster.spawn('worker')));
    processes.push(api, ...workers);
    const guangdong = cluster.partners.guangdong;
    const client = new Client(() => api.url, 'outage');

    guangdong.control.setFaults({ down: true });
    const downAt = Date.now();
    await client.postMany(0, TRANSFERS, 16, 'guangdong');
    // National keeps flowing meanwhile: one partner's outage never holds another's transfers.
    const nationalClient = new Client(() => api.url, 'outage-national');
    await nationalClient.postMany(100_000, 50, 8, 'national');
    const national = await reckon(cluster, reader, nationalClient, {
      timeoutMs: 60_000,
      alsoKnown: client.acknowledged,
    });
    const nationalDoneMs = Date.now() - downAt;

    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - downAt))));
    const refusedWhileDown = guangdong.state.counts.down;
    guangdong.control.clearFaults();
    const upAt = Date.now();

    const figures = await reckon(cluster, reader, client, {
      timeoutMs: 5 * 60_000,
      alsoKnown: nationalClient.acknowledged,
    });
    const drainS = (Date.now() - upAt) / 1000;
    const { errors, stray } = faults(processes);
    const opened = processes
      .flatMap((p) => p.logs)
      .filter((l) => l.msg === 'breaker open' && l.partner === 'guangdong');
    // Each worker process's breaker lets through: the calls that opened it (the volume, plus those
    // already in flight), then one probe per reset period while the partner is down.
    const bound = WORKERS * (VOLUME + CONCURRENCY + Math.ceil(DOWN_MS / RESET_MS) + 1);
    report('partner-outage', {
      ...figures,
      partnerDownS: DOWN_MS / 1000,
      requestsToDownPartner: refusedWhileDown,
      requestBound: bound,
      breakerOpenings: opened.length,
      attemptsBeyondOnePerTransfer: figures.attempts - figures.acknowledged,
      drainAfterRecoveryS: Math.round(drainS * 10) / 10,
      otherPartnerDelivered: `${national.delivered}/${national.acknowledged} within ${Math.round(nationalDoneMs / 100) / 10} s`,
      clientStatuses: client.statusSummary,
      durationS: Math.round((Date.now() - started) / 1000),
      errorLines: errors.length,
    });

    expect(figures.acknowledged).toBe(TRANSFERS);
    expect(figures.delivered).toBe(TRANSFERS);
    expect(figures.failed).toBe(0);
    expect(figures.missing).toBe(0);
    expect(figures.notExactlyOnePartnerRecord).toBe(0);
    expect(figures.phantomPartnerRecords).toBe(0);
    expect(figures.attemptsUndercounted).toBe(0);
    expect(opened.length).toBeGreaterThan(0);
    expect(refusedWhileDown).toBeLessThanOrEqual(bound);
    // The attempts spent while it was down are exactly the requests it refused: none were wasted beyond.
    expect(figures.attempts - figures.partnerSubmissions).toBeLessThanOrEqual(refusedWhileDown);
    expect(national.delivered).toBe(national.acknowledged);
    expect(errors).toEqual([]);
    expect(stray).toEqual([]);
  });
});
