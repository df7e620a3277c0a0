/**
 * Real Redis high-availability topologies for tests and benchmarks, built from Debian's redis-server
 * through ./redis-server.ts (child processes on 127.0.0.1, never daemonized, SIGTERMed by stop() and
 * when our process exits):
 *
 * - startSentinelGroup: a primary, its replicas and a few Sentinels watching it. It resolves only once
 *   the replicas are in sync and every Sentinel sees the primary, every replica and every other
 *   Sentinel, so a failover can happen right after. killPrimary / waitForFailover / restartNode drive
 *   a failover and bring the lost node back as a replica.
 * - startRedisCluster: a Redis Cluster of N primaries (and replicas), created by `redis-cli --cluster
 *   create` (or by CLUSTER commands when redis-cli is missing), resolved once every node reports
 *   cluster_state:ok, knows every other node and agrees on the slot map.
 *
 * Every node has its own subdirectory of `dir` (node-<i>/, sentinel-<i>/) with its AOF, its config file
 * and its log (redis.log / sentinel.log). Data nodes get a config file too, holding only `replicaof`
 * at first: Sentinel sends CONFIG REWRITE after changing a node's role, so a restarted node comes back
 * with the role Sentinel last gave it, as in production (the crashed primary itself was not rewritten:
 * it comes back as a primary and Sentinel demotes it). Sentinels rewrite their own config file (their
 * ids, the other Sentinels and replicas they found, the current primary). Everything is addressed by
 * IP (`sentinel resolve-hostnames no`): no hostname lookups. `REDIS_CLI` may name another redis-cli.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import {
  freePort,
  RedisStartError,
  startRedis,
  type RedisHandle,
  type StartRedisOptions,
} from './redis-server.js';

const HOST = '127.0.0.1';
const SLOTS = 16_384;

export interface HostPort {
  host: string;
  port: number;
}

export interface SentinelGroupOptions {
  /** Parent directory: node-<i>/ and sentinel-<i>/ are created in it. */
  dir: string;
  /** The master name Sentinel monitors (default `tgw-primary`). */
  name?: string;
  /** Replicas of the primary (default 1). */
  replicas?: number;
  /** Sentinels (default 3). The quorum is their majority (2 of 3). */
  sentinels?: number;
  /** `sentinel down-after-milliseconds` (default 1000). */
  downAfterMs?: number;
  /** `sentinel failover-timeout` (default 5000). */
  failoverTimeoutMs?: number;
  /** AOF on the data nodes, fsync every second (default true). */
  appendonly?: boolean;
}

export interface SentinelGroup {
  name: string;
  sentinels: HostPort[];
  /** `127.0.0.1:p1,127.0.0.1:p2,…`, as REDIS_SENTINELS takes it. */
  sentinelsEnv: string;
  /** Ports of the data nodes (the first primary first), whether running or not. */
  nodePorts(): number[];
  /** The primary as the first Sentinel that answers reports it (SENTINEL GET-MASTER-ADDR-BY-NAME). */
  primary(): Promise<HostPort>;
  /** SIGKILLs the process of the current primary; resolves once it is gone. */
  killPrimary(): Promise<{ port: number }>;
  /**
   * Waits until every running Sentinel reports a primary other than `oldPort` and that node answers
   * ROLE as master. `ms` counts from killPrimary() when it killed `oldPort`, else from this call.
   * Default timeout 60 s.
   */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<{ port: number; ms: number }>;
  /**
   * Starts a killed node again, on its port, data dir and config file, and waits until it is a synced
   * replica of the current primary and every Sentinel sees it as a healthy replica (a node that comes
   * back as a primary is demoted by Sentinel: about 10-20 s). If Sentinel still names it the primary
   * (no failover happened), waits only for it to answer.
   */
  restartNode(port: number): Promise<void>;
  /** Stops every Sentinel, then every data node (SIGTERM, waiting for each). Idempotent. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Parent directory: node-<i>/ is created in it for each node. */
  dir: string;
  /** Primaries, each owning an even share of the 16384 slots (default 3). */
  primaries?: number;
  /** Replicas of each primary (default 0). */
  replicasPerPrimary?: number;
  /**
   * How the cluster is formed: `redis-cli` (--cluster create), `commands` (CLUSTER ADDSLOTSRANGE, MEET
   * and REPLICATE sent by us). Default: redis-cli, or the commands when redis-cli is not installed.
   */
  createWith?: 'redis-cli' | 'commands';
  /** AOF on the nodes, fsync every second (default true). */
  appendonly?: boolean;
}

export interface ClusterMaster extends HostPort {
  /** Inclusive slot ranges, ascending. */
  slots: [number, number][];
}

export interface RedisClusterGroup {
  nodes: HostPort[];
  /** `h:p,h:p,…` (every node), as REDIS_CLUSTER_NODES takes it. */
  nodesEnv: string;
  /** The masters that own slots, as CLUSTER SLOTS on a running node reports them, by first slot. */
  masters(): Promise<ClusterMaster[]>;
  /** Stops every node (SIGTERM, waiting for each). Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Talking to a node

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One command on a fresh connection that neither retries nor queues; the reply as ioredis parsed it. */
export async function redisCommand(
  port: number,
  args: (string | number)[],
  timeoutMs = 2_000,
): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  client.on('error', () => undefined); // reported through the rejected promise
  try {
    await client.connect();
    const [name, ...rest] = args;
    if (name === undefined) throw new Error('no command');
    return await client.call(String(name), ...rest.map(String));
  } finally {
    client.disconnect();
  }
}

function text(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
}

function list(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`expected an array reply, got ${JSON.stringify(reply)}`);
  return reply as unknown[];
}

/** `field:value` lines (INFO, CLUSTER INFO) as a map. */
function parseInfo(reply: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text(reply).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** A flat [key, value, key, value, …] reply (SENTINEL MASTER) as a map. */
function pairs(reply: unknown): Record<string, string> {
  const items = list(reply);
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < items.length; i += 2) fields[text(items[i])] = text(items[i + 1]);
  return fields;
}

async function info(port: number, section: string): Promise<Record<string, string>> {
  return parseInfo(await redisCommand(port, ['INFO', section]));
}

/** ROLE: `master`, `slave` (with its master's port and link state) or `sentinel`. */
async function role(port: number): Promise<{ role: string; masterPort?: number; state?: string }> {
  const reply = list(await redisCommand(port, ['ROLE']));
  const name = text(reply[0]);
  if (name === 'slave') return { role: name, masterPort: Number(text(reply[2])), state: text(reply[3]) };
  return { role: name };
}

/**
 * Retries `probe` (which throws to say why it is not there yet) until it returns, or throws after
 * `timeoutMs` with the last reason.
 */
async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T>,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${(err as Error).message})`);
      }
    }
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// Processes

interface Node {
  dir: string;
  port: number;
  options: StartRedisOptions;
  handle: RedisHandle | undefined;
}

const running = (node: Node): boolean =>
  node.handle !== undefined &&
  node.handle.process.exitCode === null &&
  node.handle.process.signalCode === null;

/** startRedis options that send the output to `<dir>/<logName>` (created fresh). */
function logged(dir: string, logName: string, options: Omit<StartRedisOptions, 'dir'>): StartRedisOptions {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, logName);
  writeFileSync(log, '');
  return { ...options, dir, onOutput: (line) => appendFileSync(log, `${line}\n`) };
}

async function startNode(node: Node): Promise<void> {
  if (running(node)) throw new Error(`the node on port ${node.port} is still running`);
  node.handle = await startRedis({ ...node.options, port: node.port });
}

/**
 * Starts a node on a free port (retried when the port is taken before Redis binds it). `busPort` also
 * picks a free cluster bus port: Redis's default (port + 10000) may be taken or beyond 65535.
 */
async function startOnFreePort(dir: string, options: StartRedisOptions, busPort = false): Promise<Node> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const bus = busPort ? await freePort() : 0;
    if (busPort && bus === port) continue;
    const node: Node = {
      dir,
      port,
      options: busPort
        ? { ...options, extraArgs: [...(options.extraArgs ?? []), '--cluster-port', String(bus)] }
        : options,
      handle: undefined,
    };
    try {
      await startNode(node);
      return node;
    } catch (err) {
      if (attempt >= 5 || !(err instanceof RedisStartError) || !/address already in use/i.test(err.message)) {
        throw err;
      }
    }
  }
}

async function stopAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.handle?.stop() ?? Promise.resolve()));
}

// ---------------------------------------------------------------------------------------------------
// Sentinel

export async function startSentinelGroup(opts: SentinelGroupOptions): Promise<SentinelGroup> {
  const dir = resolve(opts.dir);
  const name = opts.name ?? 'tgw-primary';
  const replicaCount = opts.replicas ?? 1;
  const sentinelCount = opts.sentinels ?? 3;
  const downAfterMs = opts.downAfterMs ?? 1_000;
  const failoverTimeoutMs = opts.failoverTimeoutMs ?? 5_000;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  if (replicaCount < 1 || sentinelCount < 1)
    throw new Error('a Sentinel group needs a replica and a Sentinel');

  const data: Node[] = [];
  const sentinels: Node[] = [];
  const killedAt = new Map<number, number>();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // Sentinels first: they must not start a failover while the data nodes go down.
    stopping ??= stopAll(sentinels).then(() => stopAll(data));
    return stopping;
  };

  const startDataNode = async (index: number, replicaOf: number | undefined): Promise<Node> => {
    const nodeDir = join(dir, `node-${index}`);
    const options = logged(nodeDir, 'redis.log', { appendonly: opts.appendonly ?? true });
    options.configFile = join(nodeDir, 'redis.conf');
    writeFileSync(options.configFile, replicaOf === undefined ? '' : `replicaof ${HOST} ${replicaOf}\n`);
    const node = await startOnFreePort(nodeDir, options);
    data.push(node);
    return node;
  };

  const liveSentinelPorts = () => sentinels.filter(running).map((s) => s.port);

  const primary = async (): Promise<HostPort> => {
    const errors: string[] = [];
    for (const port of liveSentinelPorts()) {
      try {
        const reply = list(await redisCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]));
        return { host: text(reply[0]), port: Number(text(reply[1])) };
      } catch (err) {
        errors.push(`sentinel ${port}: ${(err as Error).message}`);
      }
    }
    throw new Error(`no Sentinel named the primary of ${name} (${errors.join('; ') || 'none running'})`);
  };

  /**
   * The primary on `primaryPort`, every running data node a synced replica of it, and every running
   * Sentinel seeing the primary up, each of those replicas healthy and every other running Sentinel.
   */
  const healthy = async (primaryPort: number): Promise<void> => {
    const replicas = data.filter((n) => running(n) && n.port !== primaryPort).map((n) => n.port);
    const primaryRole = await role(primaryPort);
    if (primaryRole.role !== 'master') throw new Error(`${primaryPort} is ${primaryRole.role}, not master`);
    for (const port of replicas) {
      const r = await info(port, 'replication');
      if (r.role !== 'slave' || r.master_port !== String(primaryPort) || r.master_link_status !== 'up') {
        throw new Error(
          `replica ${port}: role ${r.role}, master ${r.master_port}, link ${r.master_link_status}`,
        );
      }
      if (r.master_sync_in_progress !== '0') throw new Error(`replica ${port} still syncing`);
    }
    const live = liveSentinelPorts();
    for (const port of live) {
      const master = pairs(await redisCommand(port, ['SENTINEL', 'MASTER', name]));
      if (master.port !== String(primaryPort) || master.flags !== 'master') {
        throw new Error(`sentinel ${port}: primary ${master.port} flags ${master.flags}`);
      }
      if (Number(master['num-other-sentinels']) < live.length - 1) {
        throw new Error(`sentinel ${port} knows ${master['num-other-sentinels']} other sentinels`);
      }
      const known = list(await redisCommand(port, ['SENTINEL', 'REPLICAS', name])).map(pairs);
      for (const replica of replicas) {
        const seen = known.find((r) => r.port === String(replica));
        if (seen === undefined) throw new Error(`sentinel ${port} does not know replica ${replica} yet`);
        if (
          seen.flags !== 'slave' ||
          seen['master-link-status'] !== 'ok' ||
          seen['master-port'] !== String(primaryPort)
        ) {
          throw new Error(
            `sentinel ${port} sees replica ${replica}: flags ${seen.flags}, link ${seen['master-link-status']}, ` +
              `master ${seen['master-port']}`,
          );
        }
      }
    }
  };

  try {
    mkdirSync(dir, { recursive: true });
    const first = await startDataNode(0, undefined);
    for (let i = 1; i <= replicaCount; i++) await startDataNode(i, first.port);

    for (let i = 0; i < sentinelCount; i++) {
      const sentinelDir = join(dir, `sentinel-${i}`);
      const options = logged(sentinelDir, 'sentinel.log', { sentinel: true });
      options.configFile = join(sentinelDir, 'sentinel.conf');
      // In the file, not on the command line: Sentinel rewrites it, and a `monitor` given again on the
      // command line after a rewrite would be a duplicate.
      writeFileSync(
        options.configFile,
        [
          'sentinel resolve-hostnames no',
          'sentinel announce-hostnames no',
          `sentinel monitor ${name} ${HOST} ${first.port} ${quorum}`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(await startOnFreePort(sentinelDir, options));
    }

    await waitUntil(`Sentinel group ${name} ready`, 60_000, () => healthy(first.port));
  } catch (err) {
    await stop();
    throw err;
  }

  const byPort = (port: number): Node => {
    const node = data.find((n) => n.port === port);
    if (node === undefined) throw new Error(`no data node on port ${port} in ${name}`);
    return node;
  };

  return {
    name,
    sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
    sentinelsEnv: sentinels.map((s) => `${HOST}:${s.port}`).join(','),
    nodePorts: () => data.map((n) => n.port),
    primary,

    async killPrimary() {
      const { port } = await primary();
      const node = byPort(port);
      if (!running(node) || node.handle === undefined)
        throw new Error(`the primary on ${port} is not running`);
      const child = node.handle.process;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      killedAt.set(port, Date.now());
      await node.handle.stop(); // already gone: only forgets its exit hook
      return { port };
    },

    async waitForFailover(oldPort, timeoutMs = 60_000) {
      const since = killedAt.get(oldPort) ?? Date.now();
      const port = await waitUntil(
        `failover away from ${oldPort}`,
        timeoutMs,
        async () => {
          const live = liveSentinelPorts();
          const named = await Promise.all(
            live.map(async (s) => {
              const reply = list(await redisCommand(s, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name], 500));
              return Number(text(reply[1]));
            }),
          );
          const candidate = named[0];
          if (candidate === undefined) throw new Error('no Sentinel running');
          if (named.some((p) => p !== candidate) || candidate === oldPort) {
            throw new Error(`Sentinels name ${named.join(', ')}`);
          }
          const r = await role(candidate);
          if (r.role !== 'master') throw new Error(`${candidate} is still ${r.role}`);
          return candidate;
        },
        25,
      );
      return { port, ms: Date.now() - since };
    },

    async restartNode(port) {
      const node = byPort(port);
      await startNode(node);
      killedAt.delete(port);
      await waitUntil(
        `node ${port} back in ${name}`,
        90_000,
        async () => {
          const current = await primary();
          if (current.port === port) {
            const r = await role(port);
            if (r.role !== 'master') throw new Error(`${port} is ${r.role}`);
            return;
          }
          await healthy(current.port);
        },
        250,
      );
    },

    stop,
  };
}

// ---------------------------------------------------------------------------------------------------
// Cluster

interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  link: string;
  slots: number;
}

function parseClusterNodes(reply: unknown): ClusterNodeLine[] {
  return text(reply)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , link = '', ...slots] = line.split(' ');
      const hostPort = address.split('@')[0] ?? '';
      return {
        id,
        port: Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
        flags: flags.split(','),
        masterId,
        link,
        slots: slots.filter((s) => !s.startsWith('[')).length,
      };
    });
}

/** CLUSTER SLOTS as masters with their sorted ranges. */
function parseClusterSlots(reply: unknown): ClusterMaster[] {
  const byPort = new Map<number, ClusterMaster>();
  for (const entry of list(reply)) {
    const [start, end, owner] = list(entry);
    const [host, port] = list(owner);
    const key = Number(text(port));
    const master = byPort.get(key) ?? { host: text(host), port: key, slots: [] };
    master.slots.push([Number(text(start)), Number(text(end))]);
    byPort.set(key, master);
  }
  const masters = [...byPort.values()];
  for (const m of masters) m.slots.sort((a, b) => a[0] - b[0]);
  return masters.sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
}

/** redis-cli --cluster create; resolves false when redis-cli is not installed. */
function createWithRedisCli(
  ports: number[],
  replicasPerPrimary: number,
  timeoutMs = 60_000,
): Promise<boolean> {
  const bin = process.env.REDIS_CLI ?? 'redis-cli';
  // prettier-ignore
  const args = [
    '--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`),
    '--cluster-replicas', String(replicasPerPrimary),
    '--cluster-yes',
  ];
  return new Promise((resolveCreated, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT') resolveCreated(false);
      else reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveCreated(true);
      else reject(new Error(`${bin} ${args.join(' ')} failed (${code ?? signal}):\n${output}`));
    });
  });
}

/** What redis-cli --cluster create does, with CLUSTER commands: slots, epochs, MEET, REPLICATE. */
async function createWithCommands(ports: number[], primaries: number): Promise<void> {
  const masters = ports.slice(0, primaries);
  const replicas = ports.slice(primaries);
  // Even shares, as redis-cli splits them.
  const share = SLOTS / primaries;
  let first = 0;
  for (let i = 0; i < primaries; i++) {
    const last = i === primaries - 1 ? SLOTS - 1 : Math.round((i + 1) * share) - 1;
    await redisCommand(masters[i]!, ['CLUSTER', 'ADDSLOTSRANGE', first, last]);
    first = last + 1;
  }
  for (const [i, port] of ports.entries()) await redisCommand(port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
  // Each node's bus port was chosen by us (--cluster-port), not port + 10000: MEET must name it.
  const busPorts = await Promise.all(
    ports.map(async (port) => text(list(await redisCommand(port, ['CONFIG', 'GET', 'cluster-port']))[1])),
  );
  for (const [i, port] of ports.entries()) {
    if (i > 0) await redisCommand(ports[0]!, ['CLUSTER', 'MEET', HOST, port, busPorts[i]!]);
  }
  await waitUntil('every node met', 30_000, async () => {
    for (const port of ports) {
      const known = parseClusterNodes(await redisCommand(port, ['CLUSTER', 'NODES']));
      if (known.length !== ports.length || known.some((n) => n.flags.includes('handshake'))) {
        throw new Error(`${port} knows ${known.length} of ${ports.length} nodes`);
      }
    }
  });
  const ids = await Promise.all(
    masters.map(async (port) => text(await redisCommand(port, ['CLUSTER', 'MYID']))),
  );
  for (const [i, port] of replicas.entries()) {
    await redisCommand(port, ['CLUSTER', 'REPLICATE', ids[i % primaries]!]);
  }
}

export async function startRedisCluster(opts: RedisClusterOptions): Promise<RedisClusterGroup> {
  const dir = resolve(opts.dir);
  const primaries = opts.primaries ?? 3;
  const replicasPerPrimary = opts.replicasPerPrimary ?? 0;
  if (primaries < 3) throw new Error('Redis Cluster needs at least 3 primaries');
  const total = primaries * (1 + replicasPerPrimary);
  const nodes: Node[] = [];

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopAll(nodes));

  const slotMap = async (port: number): Promise<ClusterMaster[]> =>
    parseClusterSlots(await redisCommand(port, ['CLUSTER', 'SLOTS']));

  try {
    for (let i = 0; i < total; i++) {
      const nodeDir = join(dir, `node-${i}`);
      const options = logged(nodeDir, 'redis.log', { appendonly: opts.appendonly ?? true });
      // prettier-ignore
      options.extraArgs = [
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(nodeDir, 'nodes.conf'),
        '--cluster-node-timeout', '2000',
      ];
      nodes.push(await startOnFreePort(nodeDir, options, true));
    }
    const ports = nodes.map((n) => n.port);

    const created = opts.createWith !== 'commands' && (await createWithRedisCli(ports, replicasPerPrimary));
    if (!created) {
      if (opts.createWith === 'redis-cli')
        throw new Error('redis-cli not found (apt-get install redis-tools)');
      await createWithCommands(ports, primaries);
    }

    await waitUntil('Redis Cluster ready', 60_000, async () => {
      let agreed: string | undefined;
      for (const port of ports) {
        const state = parseInfo(await redisCommand(port, ['CLUSTER', 'INFO']));
        if (state.cluster_state !== 'ok' || state.cluster_slots_ok !== String(SLOTS)) {
          throw new Error(
            `${port}: cluster_state ${state.cluster_state}, slots ok ${state.cluster_slots_ok}`,
          );
        }
        const known = parseClusterNodes(await redisCommand(port, ['CLUSTER', 'NODES']));
        const bad = known.filter(
          (n) =>
            n.link !== 'connected' ||
            n.flags.some((f) => ['handshake', 'fail', 'fail?', 'noaddr'].includes(f)),
        );
        if (known.length !== total || bad.length > 0) {
          throw new Error(`${port} knows ${known.length} of ${total} nodes, ${bad.length} not healthy`);
        }
        const owners = known.filter((n) => n.flags.includes('master') && n.slots > 0).length;
        const replicas = known.filter((n) => n.flags.includes('slave') && n.masterId !== '-').length;
        if (owners !== primaries || replicas !== total - primaries) {
          throw new Error(`${port} sees ${owners} primaries with slots and ${replicas} replicas`);
        }
        if (known.find((n) => n.flags.includes('myself'))?.flags.includes('slave')) {
          const r = await info(port, 'replication');
          if (r.master_link_status !== 'up') throw new Error(`replica ${port}: link ${r.master_link_status}`);
        }
        const map = JSON.stringify(await slotMap(port));
        if (agreed !== undefined && map !== agreed) throw new Error(`${port} has another slot map`);
        agreed = map;
      }
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    nodes: nodes.map((n) => ({ host: HOST, port: n.port })),
    nodesEnv: nodes.map((n) => `${HOST}:${n.port}`).join(','),
    async masters() {
      const errors: string[] = [];
      for (const node of nodes.filter(running)) {
        try {
          return await slotMap(node.port);
        } catch (err) {
          errors.push(`${node.port}: ${(err as Error).message}`);
        }
      }
      throw new Error(`no cluster node answered CLUSTER SLOTS (${errors.join('; ') || 'none running'})`);
    },
    stop,
  };
}
