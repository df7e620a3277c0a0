/**
 * The gateway as it runs in production, on loopback: its own Redis (AOF on, restartable on the same
 * port and data directory), gateway processes (`node src/main.ts`, ROLE api, worker or all) that a test
 * can SIGKILL, SIGTERM and replace, the three partner simulators and a Beijing receiver (these two run
 * in the test process, so a test reads their state directly). Used by the process-level integration
 * tests and the chaos suite. Every byte stays on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtInPartners } from '../../adapters/registry.js';
import type { Decision, SimulatorControl, SimulatorHandle } from '../../adapters/sim/types.js';
import { loadConfig } from '../../src/config/index.js';
import { startBeijingReceiver, type BeijingReceiver } from '../../scripts/beijing-receiver.js';
import { loadDotenvFile } from '../../scripts/lib/dotenv.js';
import { freePort, startRedis, type RedisHandle } from '../../scripts/lib/redis-server.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENV_EXAMPLE = join(ROOT, '.env.example');

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface GatewayProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Parsed JSON log lines (stdout). */
  logs: LogLine[];
  /** Everything that was not a JSON log line: stdout lines that are not JSON, and all of stderr. */
  stray: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly alive: boolean;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  env: Record<string, string>;
  /** Extra `--import` modules (test-only preloads). */
  preload?: string[];
  /** Wait for /readyz (default) or only /healthz (a gateway started while Redis is down). */
  wait?: 'ready' | 'healthy' | 'none';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

import { keyspace, type Keyspace } from '../../src/redis-topology.js';
import { createRedis, type RedisClient } from '../../src/redis.js';
/** Starts `node --import tsx src/main.ts` with exactly `env` (plus PATH and HOME). */
export async function spawnGateway(options: SpawnOptions): Promise<GatewayProcess> {
  const port = Number(options.env.PORT);
  if (!port) throw new Error('spawnGateway needs a PORT');
  const args = ['--import', 'tsx', ...(options.preload ?? []).flatMap((p) => ['--import', p]), 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stray: string[] = [];
  const lines = (sink: (line: string) => void) => {
    let rest = '';
    return (chunk: Buffer) => {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) sink(line);
    };
  };
  child.stdout?.on(
    'data',
    lines((line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        stray.push(line);
      }
    }),
  );
  child.stderr?.on(
    'data',
    lines((line) => stray.push(line)),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let alive = true;
  void exited.then(() => (alive = false));
  const url = `http://127.0.0.1:${port}`;
  const handle: GatewayProcess = {
    name: options.name,
    url,
    port,
    child,
    logs,
    stray,
    exited,
    get alive() {
      return alive;
    },
    kill(signal = 'SIGKILL') {
      if (alive) child.kill(signal);
    },
    async stop(graceMs = 20_000) {
      if (!alive) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  if (options.wait !== 'none') {
    const path = options.wait === 'healthy' ? '/healthz' : '/readyz';
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!alive) {
        throw new Error(
          `${options.name} exited before it was ready:\n${[...stray, ...logs.map((l) => JSON.stringify(l))].slice(-20).join('\n')}`,
        );
      }
      try {
        if ((await fetch(`${url}${path}`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        handle.kill();
        throw new Error(`${options.name} was not ready within 30 s`);
      }
      await sleep(50);
    }
  }
  return handle;
}

export interface ClusterOptions {
  /** Gateway environment on top of .env.example and the cluster's own addresses. */
  env?: Record<string, string>;
  /** How the simulators decide (default: approve after 300 ms; members report 300 ms later). */
  decision?: Decision;
  localReportDelayMs?: number;
  /**
   * The REDIS_* variables of a Redis started by the test (Sentinel, Cluster: scripts/lib/redis-topology.ts).
   * Without them the cluster starts its own single Redis.
   */
  redisEnv?: Record<string, string>;
}

type Sim = SimulatorHandle<SimulatorControl>;
type Sims = { readonly national: Sim; readonly guangdong: Sim; readonly fujian: Sim };

export interface Cluster {
  /** The cluster's own single Redis (throws when the test brought its own topology). */
  redis: RedisHandle;
  /** Where the store's and queues' keys live on the cluster's Redis. */
  keys: Keyspace;
  /** A new client to the cluster's Redis, whatever its topology (the caller closes it). */
  connect(): RedisClient;
  /** The environment every gateway process of this cluster gets (PORT and ROLE aside). */
  env: Record<string, string>;
  apiPort: number;
  partners: Sims;
  beijing: BeijingReceiver;
  /**
   * Starts a gateway process of this cluster. ROLE api or all takes the cluster's API port (where
   * partners post callbacks) unless `port` names another (a second API process beside the first);
   * a worker takes a free port.
   */
  spawn(
    role: 'api' | 'worker' | 'all',
    extra?: Partial<SpawnOptions> & { env?: Record<string, string>; port?: number },
  ): Promise<GatewayProcess>;
  /** SIGKILL Redis (no shutdown: as a crash or an OOM kill). */
  killRedis(): Promise<void>;
  /** Starts Redis again on the same port and data directory (it reloads its AOF). */
  restartRedis(): Promise<void>;
  close(): Promise<void>;
}

let processCounter = 0;

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tgw-cluster-'));
  let redis = options.redisEnv ? undefined : await startRedis({ dir, loglevel: 'warning' });
  const redisPort = redis?.port ?? 0;
  const apiPort = await freePort();
  const base = loadDotenvFile(ENV_EXAMPLE);
  const beijing = await startBeijingReceiver({ port: 0, secret: base.NOTIFY_SECRET!, log: () => undefined });
  const gatewayUrl = `http://127.0.0.1:${apiPort}`;
  const common = {
    host: '127.0.0.1',
    gatewayUrl,
    decision: options.decision ?? { mode: 'approve' as const, delayMs: 300 },
    localReportDelayMs: options.localReportDelayMs ?? 300,
    // Partners keep trying a callback for minutes, riding out a gateway or Redis outage.
    callbackRetry: { attempts: 12, baseDelayMs: 200 },
    logger: { warn: () => undefined },
  };
  // Every partner of the registry, each simulator where the gateway will look for it.
  const ports = new Map<string, number>();
  for (const d of builtInPartners.all()) ports.set(d.id, await freePort());
  const env: Record<string, string> = {
    ...base,
    ...Object.fromEntries(
      builtInPartners.all().map((d) => [`${d.envPrefix}_BASE_URL`, `http://127.0.0.1:${ports.get(d.id)}`]),
    ),
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...(redis ? { REDIS_URL: redis.url } : { REDIS_URL: '', ...options.redisEnv }),
    REDIS_PREFIX: 'tgw',
    PUBLIC_URL: gatewayUrl,
    NOTIFY_URL: beijing.url,
    // Production lifecycle timings (.env.example shortens them for the demo).
    LOCAL_REPORT_DUE_DAYS: '30',
    LOCAL_REPORT_REMINDER_DAYS: '7,14,21',
    LOCAL_REPORT_CHECK_MS: '60000',
    RECONCILE_STALE_AFTER_MS: '20000',
    RECONCILE_INTERVAL_MS: '5000',
    ...options.env,
  };
  const config = loadConfig(env);
  const sims: Record<string, Sim> = Object.fromEntries(
    await Promise.all(
      builtInPartners.all().map(async (d) => {
        const settings = config.partners[d.id]!;
        const sim = await d.startSimulator(settings.config, {
          ...common,
          port: ports.get(d.id) ?? 0,
          callbackSecret: settings.callbackSecrets[0] ?? '',
        });
        return [d.id, sim] as const;
      }),
    ),
  );
  const sim = (id: string): Sim => {
    const s = sims[id];
    if (!s) throw new Error(`no partner ${id}`);
    return s;
  };
  const partners: Sims = {
    get national() {
      return sim('national');
    },
    get guangdong() {
      return sim('guangdong');
    },
    get fujian() {
      return sim('fujian');
    },
  };
  const spawned: GatewayProcess[] = [];
  const own = (): RedisHandle => {
    if (!redis) throw new Error('this cluster runs on a Redis topology the test started');
    return redis;
  };
  return {
    get redis() {
      return own();
    },
    keys: keyspace(config.redis, env.REDIS_PREFIX ?? 'tgw'),
    connect() {
      const client = createRedis(config.redis, 'worker', { connectionName: 'tgw-test-reader' });
      client.on('error', () => undefined);
      return client;
    },
    env,
    apiPort,
    partners,
    beijing,
    async spawn(role, extra = {}) {
      processCounter += 1;
      const port = extra.port ?? (role === 'worker' ? await freePort() : apiPort);
      const p = await spawnGateway({
        name: extra.name ?? `${role}-${processCounter}`,
        env: { ...env, ...extra.env, ROLE: role, PORT: String(port) },
        ...(extra.preload ? { preload: extra.preload } : {}),
        ...(extra.wait ? { wait: extra.wait } : {}),
      });
      spawned.push(p);
      return p;
    },
    async killRedis() {
      const r = own();
      r.process.kill('SIGKILL');
      await new Promise<void>((resolve) => {
        if (r.process.exitCode !== null || r.process.signalCode !== null) resolve();
        else r.process.once('exit', () => resolve());
      });
    },
    async restartRedis() {
      redis = await startRedis({ dir, port: redisPort, loglevel: 'warning' });
    },
    async close() {
      await Promise.all(spawned.map((p) => p.stop(10_000)));
      await Promise.all([...Object.values(sims).map((x) => x.close()), beijing.close()]);
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
