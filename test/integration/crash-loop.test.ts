/**
 * A worker's death is not a failed transfer, and a transfer that itself kills its worker is bounded.
 * Real worker processes, restarted whenever they die (as an orchestrator would): one transfer kills
 * its worker each time it is delivered; the others, caught in the same crashes, are delivered once
 * each; the killer fails with DELIVERY_CRASH_LOOP after DELIVERY_MAX_CRASHES runs, with a log line
 * that names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferBody } from '../helpers/bodies.js';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { KEYS } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

let cluster: Cluster;
let api: GatewayProcess;
const workers: GatewayProcess[] = [];
let deaths = 0;
let supervising = true;

async function supervise(slot: number): Promise<void> {
  while (supervising) {
    const w = await cluster.spawn('worker', { preload: ['./test/helpers/kill-on-submit.ts'] });
    workers[slot] = w;
    await w.exited;
    if (supervising) deaths += 1;
  }
}

beforeAll(async () => {
  cluster = await startCluster({
    env: { JOB_LOCK_MS: '1500', DELIVERY_MAX_CRASHES: '3', RATE_LIMIT_GUANGDONG: '200' },
    decision: { mode: 'never' },
  });
  api = await cluster.spawn('api');
}, 60_000);
afterAll(async () => {
  supervising = false;
  await cluster?.close();
}, 60_000);

describe('a transfer that kills its worker', () => {
  it('fails with DELIVERY_CRASH_LOOP after a bounded number of crashes; the others are delivered once', async () => {
    const supervisors = [supervise(0), supervise(1)];
    await until('two workers', () => workers.filter(Boolean).length === 2, 30_000);
    const post = async (ref: string, n: number) => {
      const res = await fetch(`${api.url}/v1/transfers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.beijing}`,
          'content-type': 'application/json',
          'idempotency-key': ref,
        },
        body: JSON.stringify(transferBody({ externalRef: ref }, n)),
      });
      expect(res.status).toBe(202);
      return String(((await res.json()) as { id: string }).id);
    };
    const killer = await post('BJ-KILLER-1', 8800);
    const others: string[] = [];
    for (let i = 0; i < 20; i++) others.push(await post(`BJ-CL-${i}`, 8801 + i));

    const get = async (id: string) =>
      (await (
        await fetch(`${api.url}/v1/transfers/${id}`, { headers: { authorization: `Bearer ${KEYS.beijing}` } })
      ).json()) as { state: string; attempts: number; lastError: { code: string; message: string } | null };

    await until('the killer to fail', async () => (await get(killer)).state === 'failed', 90_000);
    const k = await get(killer);
    expect(k.lastError?.code).toBe('DELIVERY_CRASH_LOOP');
    expect(deaths).toBe(3);
    await until(
      'every other transfer to be delivered',
      async () => (await Promise.all(others.map(get))).every((t) => t.state === 'awaiting_local_report'),
      60_000,
    );
    for (const id of others) {
      expect(cluster.partners.guangdong.state.records.get(id)?.submissions).toBeGreaterThanOrEqual(1);
      expect((await get(id)).attempts).toBeGreaterThanOrEqual(
        cluster.partners.guangdong.state.records.get(id)?.submissions ?? 0,
      );
    }
    expect(cluster.partners.guangdong.state.records.has(killer)).toBe(false);
    const named = workers
      .flatMap((w) => w.logs)
      .filter((l) => l.level === 'error' && l.code === 'DELIVERY_CRASH_LOOP' && l.transferId === killer);
    expect(named).toHaveLength(1);
    supervising = false;
    for (const w of workers) w.kill();
    await Promise.all(supervisors);
  }, 180_000);
});
