/**
 * The HA topologies of scripts/lib/redis-topology.ts, proven on real processes: a Sentinel group
 * promotes its replica within a bound when the primary is SIGKILLed, keeps the data written before,
 * and takes the old primary back as a replica; a Redis Cluster of 3 primaries covers every slot exactly
 * once and spreads hash-tagged keys over its primaries. HA_SCALE=quick (default) does one failover;
 * full (npm run test:ha) three in a row with two replicas, and a cluster with a replica per primary,
 * formed once by redis-cli and once by CLUSTER commands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  redisCommand,
  startRedisCluster,
  startSentinelGroup,
  type RedisClusterGroup,
  type SentinelGroup,
} from '../../scripts/lib/redis-topology.js';

const FULL = process.env.HA_SCALE === 'full';
/** down-after 1 s, then SDOWN → ODOWN → election → promotion: a few seconds; generous for a loaded CI box. */
const FAILOVER_BOUND_MS = 15_000;

const dirs: string[] = [];
const tempDir = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `tgw-ha-${name}-`));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function roleOf(port: number): Promise<string[]> {
  const reply = (await redisCommand(port, ['ROLE'])) as unknown[];
  return reply.slice(0, 3).map(String);
}

describe('Sentinel group', () => {
  let group: SentinelGroup;
  let client: Redis;

  beforeAll(async () => {
    group = await startSentinelGroup({ dir: tempDir('sentinel'), replicas: FULL ? 2 : 1 });
    client = new Redis({
      sentinels: group.sentinels,
      name: group.name,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(50 * times, 500),
    });
    client.on('error', () => undefined);
  });
  afterAll(async () => {
    client?.disconnect();
    await group?.stop();
  });

  it('starts with the primary on the first node and every replica following it', async () => {
    const [first, ...replicas] = group.nodePorts();
    expect(await group.primary()).toEqual({ host: '127.0.0.1', port: first });
    expect(group.sentinels).toHaveLength(3);
    expect(group.sentinelsEnv).toBe(group.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','));
    for (const port of replicas) expect(await roleOf(port)).toEqual(['slave', '127.0.0.1', String(first)]);
  });

  const rounds = FULL ? 3 : 1;
  it(`promotes a replica within ${FAILOVER_BOUND_MS} ms of a SIGKILLed primary, ${rounds}× in a row`, async () => {
    const timings: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      await client.set(`ha:round:${round}`, `written before kill ${round}`);
      // Only what reached a replica can survive the primary's death.
      expect(await client.wait(group.nodePorts().length - 1, 5_000)).toBe(group.nodePorts().length - 1);

      const { port: oldPort } = await group.killPrimary();
      const { port: newPort, ms } = await group.waitForFailover(oldPort, 60_000);
      timings.push(ms);
      console.log(`ha: round ${round}: primary ${oldPort} SIGKILLed, ${newPort} promoted after ${ms} ms`);
      expect(newPort).not.toBe(oldPort);
      expect(ms).toBeLessThan(FAILOVER_BOUND_MS);
      expect((await roleOf(newPort))[0]).toBe('master');

      // The client that followed Sentinel writes to the new primary, and what it wrote before is there.
      expect(await client.get(`ha:round:${round}`)).toBe(`written before kill ${round}`);
      await client.set(`ha:after:${round}`, 'ok');
      expect(await redisCommand(newPort, ['GET', `ha:after:${round}`])).toBe('ok');

      await group.restartNode(oldPort);
      expect(await roleOf(oldPort)).toEqual(['slave', '127.0.0.1', String(newPort)]);
      expect(await redisCommand(oldPort, ['GET', `ha:round:${round}`])).toBe(`written before kill ${round}`);
      const replicas = (await redisCommand(group.sentinels[0]!.port, [
        'SENTINEL',
        'REPLICAS',
        group.name,
      ])) as string[][];
      const entry = replicas.find((r) => r[r.indexOf('port') + 1] === String(oldPort));
      expect(entry?.[entry.indexOf('flags') + 1]).toBe('slave');
    }
    console.log(`ha: failover ms: ${timings.join(', ')}`);
  });

  it('stops every process, and stopping again is harmless', async () => {
    const ports = [...group.nodePorts(), ...group.sentinels.map((s) => s.port)];
    await group.stop();
    await group.stop();
    for (const port of ports) await expect(redisCommand(port, ['PING'], 500)).rejects.toThrow();
  });
});

const clusterShapes: { createWith: 'redis-cli' | 'commands'; replicasPerPrimary: number }[] = FULL
  ? [
      { createWith: 'redis-cli', replicasPerPrimary: 1 },
      { createWith: 'commands', replicasPerPrimary: 1 },
    ]
  : [{ createWith: 'redis-cli', replicasPerPrimary: 0 }];

describe.each(clusterShapes)('Redis Cluster of 3 primaries (%o)', ({ createWith, replicasPerPrimary }) => {
  let cluster: RedisClusterGroup;

  beforeAll(async () => {
    cluster = await startRedisCluster({
      dir: tempDir('cluster'),
      primaries: 3,
      replicasPerPrimary,
      createWith,
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reaches cluster_state ok on every node', async () => {
    expect(cluster.nodes).toHaveLength(3 * (1 + replicasPerPrimary));
    expect(cluster.nodesEnv.split(',')).toEqual(cluster.nodes.map((n) => `127.0.0.1:${n.port}`));
    for (const node of cluster.nodes) {
      expect(String(await redisCommand(node.port, ['CLUSTER', 'INFO']))).toContain('cluster_state:ok');
    }
  });

  it('has masters whose slots cover 0..16383 exactly once', async () => {
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const ranges = masters.flatMap((m) => m.slots).sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [start, end] of ranges) {
      expect(start).toBe(next);
      expect(end).toBeGreaterThanOrEqual(start);
      next = end + 1;
    }
    expect(next).toBe(16_384);
  });

  it('spreads keys with different hash tags over more than one primary', async () => {
    const client = new Cluster([cluster.nodes[0]!], { redisOptions: { maxRetriesPerRequest: 3 } });
    client.on('error', () => undefined);
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `{transfer-${i}}:status`);
      for (const key of keys) await client.set(key, 'accepted');
      for (const key of keys) expect(await client.get(key)).toBe('accepted');

      const masters = await cluster.masters();
      const holding = new Set<number>();
      for (const key of keys) {
        const slot = Number(await redisCommand(masters[0]!.port, ['CLUSTER', 'KEYSLOT', key]));
        const owner = masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b));
        expect(owner).toBeDefined();
        // The key is really on that primary, not only routed there.
        expect(await redisCommand(owner!.port, ['EXISTS', key])).toBe(1);
        holding.add(owner!.port);
      }
      expect(holding.size).toBeGreaterThan(1);
    } finally {
      client.disconnect();
    }
  });
});
