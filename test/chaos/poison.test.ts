/**
 * Poison among valid transfers to the same partner: stored transfers the national adapter cannot
 * encode (an exception inside the adapter, before any request leaves) and ones whose personal data
 * does not open. They fail alone with DELIVERY_ERROR after a bounded number of tries and spend no
 * attempts; the partner's breaker stays closed; every valid transfer goes out on its first attempt,
 * held back by nothing, and the drain time is reported beside that of a run without poison in the
 * same cluster (the partner's rate limit bounds both).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPartners } from '../../adapters/registry.js';
import { DeliveryProducer } from '../../queues/producer.js';
import { loadConfig } from '../../src/config/index.js';
import { PiiCipher } from '../../src/crypto/pii.js';
import { startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { storePoison } from '../helpers/poison.js';
import { Client, faults, reckon, Reader, report, size } from './support.js';

const VALID = size(200, 200);
const POISON = 12;
const RATE = 50;

let cluster: Cluster;
let reader: Reader;
let redis: Redis;
let producer: DeliveryProducer;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: { RATE_LIMIT_NATIONAL: String(RATE), LOG_LEVEL: 'info' },
    decision: { mode: 'never' },
  });
  reader = new Reader(cluster);
  redis = new Redis(cluster.redis.url, { maxRetriesPerRequest: null });
  producer = new DeliveryProducer(
    redis,
    { store: cluster.env.REDIS_PREFIX!, queue: () => cluster.env.REDIS_PREFIX! },
    builtInPartners.all(),
  );
}, 120_000);
afterAll(async () => {
  await producer?.close();
  await redis?.quit();
  await reader?.close();
  await cluster?.close();
}, 120_000);

/** Posts `VALID` national transfers at once; answers how long until all are submitted. */
async function drain(client: Client, from: number): Promise<number> {
  const started = Date.now();
  await client.postMany(from, VALID, 16, 'national');
  const ids = client.acknowledged;
  for (;;) {
    const ts = await reader.transfers(ids);
    if (ts.length === ids.length && ts.every((t) => t.state !== 'accepted')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return (Date.now() - started) / 1000;
}

describe('chaos: poison transfers among valid ones to the same partner', () => {
  it('fail alone, keep the breaker closed, and do not slow the valid ones', async () => {
    const api = await cluster.spawn('api');
    const workers = [await cluster.spawn('worker'), await cluster.spawn('worker')];
    processes.push(api, ...workers);

    const baselineClient = new Client(() => api.url, 'clean');
    const baselineS = await drain(baselineClient, 0);

    const config = loadConfig(cluster.env);
    const deps = {
      redis,
      prefix: config.REDIS_PREFIX,
      store: reader.store,
      cipher: new PiiCipher(config.PII_KEYS),
      queue: producer,
    };
    const poison: string[] = [];
    for (let i = 0; i < POISON; i++) {
      poison.push(await storePoison(deps, i % 3 === 2 ? 'bad_pii' : 'bad_org_name', i));
    }
    const client = new Client(() => api.url, 'poisoned');
    const withPoisonS = await drain(client, 10_000);
    const figures = await reckon(cluster, reader, client, {
      alsoKnown: [...baselineClient.acknowledged, ...poison],
    });

    for (;;) {
      const ts = await reader.transfers(poison);
      if (ts.every((t) => t.state === 'failed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const poisoned = await reader.transfers(poison);
    const logs = processes.flatMap((p) => p.logs);
    const breakerOpened = logs.filter((l) => l.msg === 'breaker open').length;
    const { errors, stray } = faults(processes);
    const causeLines = errors.filter((e) => e.includes('"code":"DELIVERY_ERROR"'));
    report('poison', {
      ...figures,
      poison: POISON,
      poisonFailedWith: [...new Set(poisoned.map((t) => t.facts.lastError?.code))],
      poisonAttempts: poisoned.reduce((sum, t) => sum + t.attempts, 0),
      poisonTries: poisoned.map((t) => t.facts.deliveryErrors).join(','),
      poisonAtPartner: poisoned.filter((t) => cluster.partners.national.state.records.has(t.doc.id)).length,
      breakerOpenings: breakerOpened,
      validDrainCleanS: baselineS,
      validDrainWithPoisonS: withPoisonS,
      drainRatio: Math.round((withPoisonS / baselineS) * 100) / 100,
      partnerRateLimitPerS: RATE,
      causeLogLines: causeLines.length,
    });

    expect(figures.delivered).toBe(VALID);
    expect(figures.failed).toBe(0);
    expect(figures.attemptsUndercounted).toBe(0);
    expect(poisoned.every((t) => t.state === 'failed')).toBe(true);
    for (const t of poisoned) {
      expect(t.facts.lastError).toMatchObject({ code: 'DELIVERY_ERROR' });
      expect(t.attempts).toBe(0);
      expect(cluster.partners.national.state.records.has(t.doc.id)).toBe(false);
    }
    expect(breakerOpened).toBe(0);
    // Nothing held a valid transfer back: each went out on its first attempt, with no failed attempt
    // and no wait in between (the drain times above are figures, not assertions: the machine is shared).
    for (const id of client.acknowledged) {
      const t = await reader.store.get(id);
      expect({ id, attempts: t?.attempts, events: t?.events.map((e) => e.type) }).toEqual({
        id,
        attempts: 1,
        events: ['accepted', 'submitted'],
      });
    }
    // Each poison transfer's cause is logged once (as it fails); nothing else is an error.
    expect(causeLines).toHaveLength(POISON);
    expect(errors.length).toBe(POISON);
    expect(stray).toEqual([]);
  });
});
