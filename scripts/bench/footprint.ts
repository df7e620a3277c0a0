/**
 * The footprint benchmark: what the gateway keeps in Redis per transfer, whether its processes' memory
 * stays flat, and whether a season's memory follows what is in flight and the retention windows rather
 * than history. One throwaway Redis (append-only, noeviction), emptied before each part; loopback only.
 *
 *  1. Bytes per transfer, phase by phase: N transfers (national, Guangdong, Fujian in turn) through an
 *     in-process gateway and the partner simulators over HTTP, on a movable business clock. At each
 *     phase, INFO memory's used_memory less the baseline taken before the transfers were created
 *     (queues and schedulers already there) and divided by N, and every key of the prefix sized with
 *     MEMORY USAGE … SAMPLES 0 and classed (the transfer's own keys, its share of index entries,
 *     BullMQ's keys). Phases: in flight (submitted / awaiting local report); finished just now; packed
 *     (PACK_AFTER_MS later); settled (7 days on: idempotency keys and callback dedupe keys have run
 *     out, see expireByBusinessTime); purged (PII_RETENTION_DAYS after); expired (RECORD_RETENTION_DAYS
 *     after: nothing may name the ids any more). Between phases the clock moves and the retention
 *     sweep runs until it has nothing left to do.
 *  2. RSS: an API process (ROLE=api) and a worker process (ROLE=worker) as children; the national
 *     simulator approves at once. VmRSS after a warm-up of W transfers and after T more went through
 *     intake and delivery (50 connections); the ratio after / before.
 *  3. Seasons: S transfers spread over D business days through the in-process world (posted each day,
 *     decided over the next days by the partners — most approved, some rejected, some failing with an
 *     unknown org — local reports completed over the following weeks, reminders and overdue flags by
 *     the local-report pass), the clock moved a day and the sweep run each day; used_memory and dbsize
 *     sampled every week. At the end the memory is compared with the bound predicted from the counts
 *     and the per-phase figures of part 1. Run with the production windows (90 / 400 days) and with
 *     short ones (30 / 60 days) where memory must level off.
 *  Every part's sweeps are watched with SLOWLOG (commands over 2 ms).
 *
 *   node --import tsx scripts/bench/footprint.ts [--transfers 2000] [--warmup 5000]
 *     [--rss-transfers 20000] [--season 40000] [--short-season 20000] [--days 365]
 *     [--parts phases,rss,season,short] [--quick] [--out bench-results]
 *
 * The defaults take about 20 minutes on a 2-core machine. --quick (about 6 minutes) means --transfers 600
 * --warmup 1000 --rss-transfers 5000 --season 10000 --short-season 5000; options given explicitly win.
 * The sizes of the issue are --rss-transfers 100000 --season 100000 (about 25 and 15 minutes on their
 * own: run them with --parts rss or --parts season).
 * Exit code: 0 every goal met, 1 the run failed, 3 a goal missed.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startNationalSimulator } from '../../adapters/national/simulator.js';
import { seededRandom } from '../../adapters/sim/random.js';
import { NOTIFY_QUEUE } from '../../queues/names.js';
import {
  CALLBACK_DEDUPE_SECONDS,
  LOCAL_REPORT_MARKER_SECONDS,
  PACK_AFTER_MS,
} from '../../src/domain/retention.js';
import { STATES, type TransferState } from '../../src/domain/transfer.js';
import * as storeScripts from '../../src/store/scripts.js';
import { trackLocalReports } from '../../src/usecases/local-reports.js';
import { startBeijingReceiver } from '../beijing-receiver.js';
import { freePort, redisVersion, startRedis } from '../lib/redis-server.js';
import {
  census,
  emptyBullmqKept,
  info,
  expireByBusinessTime,
  KEY_CLASSES,
  QUEUE_CLASSES,
  queueKeysBytes,
  slowlog,
  storedMemory,
  traces,
  type Census,
  type SlowEntry,
} from './footprint-redis.js';
import {
  DESTINATIONS,
  postTransfers,
  PRODUCTION_LIFECYCLE,
  startWorld,
  type World,
} from './footprint-world.js';
import { gatewayEnv, machine, ROOT, round2, startChild, stopChild, transferBody } from './lib.js';

const { values: args } = parseArgs({
  options: {
    transfers: { type: 'string' },
    warmup: { type: 'string' },
    'rss-transfers': { type: 'string' },
    season: { type: 'string' },
    'short-season': { type: 'string' },
    days: { type: 'string', default: '365' },
    parts: { type: 'string', default: 'phases,rss,season,short' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
  },
});
const pick = (given: string | undefined, full: number, quick: number, name: string, min = 1): number => {
  const n = given === undefined ? (args.quick ? quick : full) : Number(given);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min} (got "${given}")`);
    process.exit(1);
  }
  return n;
};
const settings = {
  transfers: pick(args.transfers, 2_000, 600, 'transfers', 3),
  warmup: pick(args.warmup, 5_000, 1_000, 'warmup'),
  rssTransfers: pick(args['rss-transfers'], 20_000, 5_000, 'rss-transfers'),
  season: pick(args.season, 40_000, 10_000, 'season'),
  shortSeason: pick(args['short-season'], 20_000, 5_000, 'short-season'),
  days: pick(args.days, 365, 365, 'days', 130),
  quick: args.quick,
};
const parts = new Set(args.parts.split(',').map((p) => p.trim()));
for (const p of parts) {
  if (!['phases', 'rss', 'season', 'short'].includes(p)) {
    console.error(`--parts takes phases, rss, season, short (got "${p}")`);
    process.exit(1);
  }
}

const DAY = 86_400_000;
const KB = 1024;
const BENCH_CLIENT = 'bench-footprint';
const GOALS = {
  inFlightBytes: 4 * KB,
  finishedBytes: 2 * KB,
  purgedBytes: 1 * KB,
  rssRatio: 1.1,
  seasonOverBound: 1.1,
  plateauRatio: 1.1,
  slowestCommandMs: 5,
};
const TARGETS = ['national', 'guangdong', 'fujian'] as const;
type PartnerId = (typeof TARGETS)[number];
const IN_FLIGHT: readonly TransferState[] = ['accepted', 'submitted', 'awaiting_local_report'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(line);

async function until<T>(
  what: string,
  check: () => Promise<T | null | false>,
  timeoutMs = 600_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------------
// The in-process world: waiting for it to be idle, counting, sweeping.

/** Counts by state over every target. */
async function stateCounts(w: World): Promise<Record<TransferState, number>> {
  const rows = await w.gw.store.countByStateAndTarget(STATES, [...TARGETS]);
  const out = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<TransferState, number>;
  for (const r of rows) out[r.state] += r.count;
  return out;
}

/** Nothing queued, running or delayed, both outboxes empty, every partner callback delivered. */
async function idle(w: World, timeoutMs = 600_000): Promise<void> {
  const queues = [...Object.values(w.gw.producer.queues), w.gw.notifications.queue];
  const prefix = w.gw.config.REDIS_PREFIX;
  const busy = async () => {
    await Promise.all(Object.values(w.sims).map((s) => s.control.settle()));
    const counts = await Promise.all(
      queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')),
    );
    const jobs = counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
    const outboxes =
      (await w.gw.redis.zcard(`${prefix}:outbox`)) + (await w.gw.redis.zcard(`${prefix}:notify:outbox`));
    return jobs + outboxes;
  };
  await until(
    'the gateway to be idle',
    async () => (await busy()) === 0 && (await sleep(60), (await busy()) === 0),
    timeoutMs,
  );
}

interface SweepTotals {
  packed: number;
  purged: number;
  expired: number;
  deferred: number;
  errors: number;
  runs: number;
}

/** Runs the retention sweep until a run finds nothing to do. */
async function sweepAll(w: World): Promise<SweepTotals> {
  const t: SweepTotals = { packed: 0, purged: 0, expired: 0, deferred: 0, errors: 0, runs: 0 };
  for (;;) {
    const r = await w.gw.retention.sweep();
    t.runs += 1;
    t.packed += r.packed;
    t.purged += r.purged;
    t.expired += r.expired;
    t.deferred += r.deferred;
    t.errors += r.errors;
    if (r.packed + r.purged + r.expired === 0) break;
  }
  if (t.errors > 0) log(`    the sweep reported ${t.errors} errors`);
  return t;
}

function benchClient(url: string): Redis {
  return new Redis(url, { connectionName: BENCH_CLIENT, maxRetriesPerRequest: null });
}

/**
 * Commands over 2 ms, sorted by who caused them: `mark(tag)` takes what SLOWLOG holds since the last
 * mark, files it under `tag` and empties the log. The sweep runs while the gateway is otherwise idle,
 * so what is logged between marks around it is the sweep's.
 */
class SlowLog {
  readonly entries: Record<'sweep' | 'traffic', SlowEntry[]> = { sweep: [], traffic: [] };
  private commandsAtStart = 0;
  private commands = 0;

  constructor(private readonly client: Redis) {}

  private async totalCommands(): Promise<number> {
    return Number((await info(this.client, 'stats')).total_commands_processed ?? 0);
  }

  async start(): Promise<void> {
    this.commandsAtStart = await this.totalCommands();
    await this.client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '2000');
    await this.client.call('CONFIG', 'SET', 'slowlog-max-len', '1024');
    await this.client.call('SLOWLOG', 'RESET');
  }

  async mark(tag: 'sweep' | 'traffic'): Promise<void> {
    this.entries[tag].push(...nameScripts(await slowlog(this.client, BENCH_CLIENT)));
    await this.client.call('SLOWLOG', 'RESET');
  }

  /** Files what is left as traffic, and counts every command Redis ran meanwhile. */
  async finish(): Promise<ReturnType<SlowLog['summary']>> {
    await this.mark('traffic');
    this.commands = (await this.totalCommands()) - this.commandsAtStart;
    return this.summary();
  }

  summary() {
    const worst = (list: SlowEntry[]) =>
      list.reduce<SlowEntry | undefined>((w, e) => (!w || e.micros > w.micros ? e : w), undefined);
    const sweepData = this.entries.sweep.filter((e) => !/^bgrewriteaof/i.test(e.command));
    const forks = this.entries.sweep.filter((e) => /^bgrewriteaof/i.test(e.command));
    const top = (list: SlowEntry[]) => [...list].sort((a, b) => b.micros - a.micros).slice(0, 20);
    // SLOWLOG times have a resolution of a second; an AOF rewrite of these sizes lasts about that long.
    const forkSeconds = forks.map((e) => Date.parse(e.at));
    const nearFork = sweepData.filter((e) =>
      forkSeconds.some((f) => Date.parse(e.at) - f >= 0 && Date.parse(e.at) - f <= 5_000),
    ).length;
    // The machine's noise floor: the slowest constant-time command logged in the same part. A shared
    // 2-core machine stalls Redis now and then (another process scheduled, a page fault, the AOF fsync),
    // and any command running then is logged, whatever it costs.
    const constant = [...sweepData, ...this.entries.traffic].filter((e) =>
      CONSTANT_TIME.has(e.command.split(' ')[0]?.toUpperCase() ?? ''),
    );
    return {
      commands: this.commands,
      noiseFloor: worst(constant) ?? null,
      sweepOver2ms: sweepData.length,
      /** Of those, how many ran within 5 s after a BGREWRITEAOF (its child copying pages on write). */
      sweepOver2msNearFork: nearFork,
      sweepSlowest: worst(sweepData) ?? null,
      aofRewriteForks: forks.length,
      aofRewriteSlowest: worst(forks) ?? null,
      trafficOver2ms: this.entries.traffic.length,
      trafficSlowest: worst(this.entries.traffic) ?? null,
      sweepTop: top(this.entries.sweep),
      trafficTop: top(this.entries.traffic),
    };
  }
}

/** Commands whose cost does not grow with the data: a log entry for one of them is the machine's stall. */
const CONSTANT_TIME = new Set(['GET', 'HGET', 'HSET', 'ZSCORE', 'EXISTS', 'INCR', 'HINCRBY', 'PING', 'SET']);

/** Runs the sweep until it has nothing left to do, filing the commands over 2 ms it caused. */
async function sweepLogged(w: World, slow: SlowLog): Promise<SweepTotals> {
  await slow.mark('traffic');
  try {
    return await sweepAll(w);
  } finally {
    await slow.mark('sweep');
  }
}

const ttlDone = (w: World, client: Redis) =>
  expireByBusinessTime(
    client,
    w.gw.config.REDIS_PREFIX,
    (ms) => w.clock.businessAt(ms),
    w.clock.now().getTime(),
    {
      idempotencyMs: w.gw.config.IDEMPOTENCY_TTL_HOURS * 3_600_000,
      callbackDedupeMs: CALLBACK_DEDUPE_SECONDS * 1000,
      markerMs: LOCAL_REPORT_MARKER_SECONDS * 1000,
    },
  );

// ---------------------------------------------------------------------------------------------------
// 1. Bytes per transfer, phase by phase.

interface PhasePoint {
  phase: string;
  /**
   * BullMQ's keys above the baseline per transfer (MEMORY USAGE), kept by count (completed jobs,
   * events streams): emptied before used_memory is read.
   */
  queueKeysPerTransfer: number;
  /** used_memory (see storedMemory) above the baseline, per transfer. The figure held to the goals. */
  storePerTransfer: number;
  /** Sum of MEMORY USAGE of the transfer's own keys and its index entries, per transfer. */
  keysPerTransfer: number;
  byClass: Record<string, { keysPerTransfer: number; bytesPerTransfer: number }>;
  states: Partial<Record<TransferState, number>>;
}

function perTransfer(now: Census, base: Census, n: number): PhasePoint['byClass'] {
  const out: PhasePoint['byClass'] = {};
  for (const c of KEY_CLASSES) {
    const a = now[c.name] ?? { keys: 0, bytes: 0 };
    const b = base[c.name] ?? { keys: 0, bytes: 0 };
    out[c.name] = {
      keysPerTransfer: round2((a.keys - b.keys) / n),
      bytesPerTransfer: round2((a.bytes - b.bytes) / n),
    };
  }
  return out;
}

async function phases(redisUrl: string, client: Redis) {
  const N = settings.transfers;
  await client.flushall();
  const prefix = 'fp-phases';
  const w = await startWorld(redisUrl, prefix);
  try {
    const slow = new SlowLog(client);
    await slow.start();
    const pii = w.gw.config.PII_RETENTION_DAYS;
    const record = w.gw.config.RECORD_RETENTION_DAYS;
    // The schedulers and queues exist once the gateway has started; let the first runs settle.
    await sleep(1_000);
    await idle(w);
    await emptyBullmqKept(client, prefix);
    const baseCensus = await census(client, prefix);
    const baseMem = await storedMemory(client);
    const points: PhasePoint[] = [];
    const point = async (phase: string) => {
      await idle(w);
      const now = await census(client, prefix);
      await emptyBullmqKept(client, prefix);
      const mem = await storedMemory(client);
      const byClass = perTransfer(now, baseCensus, N);
      const queueKeys = [...QUEUE_CLASSES].reduce((s, c) => s + (byClass[c]?.bytesPerTransfer ?? 0), 0);
      const store = (mem - baseMem) / N;
      const keys = KEY_CLASSES.filter((c) => !QUEUE_CLASSES.has(c.name) && !c.name.startsWith('other'))
        .map((c) => byClass[c.name]?.bytesPerTransfer ?? 0)
        .reduce((a, b) => a + b, 0);
      const counts = await stateCounts(w);
      const p: PhasePoint = {
        phase,
        queueKeysPerTransfer: round2(queueKeys),
        storePerTransfer: round2(store),
        keysPerTransfer: round2(keys),
        byClass,
        states: Object.fromEntries(Object.entries(counts).filter(([, v]) => v > 0)),
      };
      points.push(p);
      log(
        `  ${phase.padEnd(34)} used_memory ${Math.round(store)} B/transfer (keys ${Math.round(keys)} B; ` +
          `BullMQ's kept jobs and events ${Math.round(queueKeys)} B)  ${JSON.stringify(p.states)}`,
      );
      return p;
    };

    const targetOf = (i: number): PartnerId => TARGETS[i % 3] ?? 'national';
    const bodies = Array.from({ length: N }, (_, i) => transferBody(i, DESTINATIONS[targetOf(i)]));
    const t0 = performance.now();
    const ids = await postTransfers(w.gw.url, bodies, (i) => `fp-phases-${i}`);
    await until('every transfer submitted', async () => {
      const c = await stateCounts(w);
      return c.submitted + c.awaiting_local_report === N;
    });
    const inFlight = await point('in flight (submitted / awaiting local report)');

    for (const [i, id] of ids.entries()) {
      const sim = w.sims[targetOf(i)];
      sim?.control.decide(id, 'approve');
      if (targetOf(i) !== 'national') sim?.control.completeLocalReport(id);
    }
    await until('every transfer completed', async () => (await stateCounts(w)).completed === N);
    const finishedAt = w.clock.now().getTime();
    const justFinished = await point('finished, just now');

    w.clock.advance(PACK_AFTER_MS + 1_000);
    const packing = await sweepLogged(w, slow);
    const packed = await point(`finished, packed (${PACK_AFTER_MS / 60_000} min on)`);

    w.clock.advance(finishedAt + 7 * DAY + 60_000 - w.clock.now().getTime());
    await sweepLogged(w, slow);
    const ttlEnded = await ttlDone(w, client);
    const settled = await point('finished, settled (7 days on)');

    w.clock.advance(finishedAt + pii * DAY + 3_600_000 - w.clock.now().getTime());
    const purging = await sweepLogged(w, slow);
    const purged = await point(`purged (${pii} days on)`);

    w.clock.advance(finishedAt + record * DAY + 3_600_000 - w.clock.now().getTime());
    const expiring = await sweepLogged(w, slow);
    await ttlDone(w, client);
    // Before point() empties BullMQ's streams: what they still say about the expired transfers.
    const left = await traces(client, prefix, new Set(ids));
    const expired = await point(`expired (${record} days on)`);
    log(
      `  after expiry: ${left.keys} keys and ${left.entries} index entries name the ids; ` +
        `${left.streamEntries} BullMQ event-stream entries do${left.examples.length ? `; e.g. ${left.examples.join(', ')}` : ''}`,
    );
    return {
      transfers: N,
      mix: 'national, guangdong, fujian in turn; every one approved, local reports completed',
      seconds: round2((performance.now() - t0) / 1000),
      windows: { piiRetentionDays: pii, recordRetentionDays: record, packAfterMs: PACK_AFTER_MS },
      sweeps: { packing, purging, expiring },
      ttlKeysEndedAtSettle: ttlEnded.ended,
      points,
      inFlight,
      justFinished,
      packed,
      settled,
      purged,
      expired,
      traces: left,
      slowlog: await slow.finish(),
    };
  } finally {
    await w.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. RSS of an API process and a worker process.

function vmRssKB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

interface RssPoint {
  /** Transfers posted so far, warm-up included. */
  posted: number;
  api: number;
  worker: number;
  /** VmRSS right after two full collections: the same state of the heap at every point. */
  apiAfterGc: number;
  workerAfterGc: number;
  /** V8 heap in use after two full collections: what the process retains; growth here is a leak. */
  apiHeapKB: number;
  workerHeapKB: number;
}

/** The process's memory right after two full garbage collections (scripts/bench/gc-probe.ts). */
async function afterFullGc(pid: number, file: string): Promise<{ heapUsedKB: number; rssKB: number }> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as { heapUsed: number };
      return { heapUsedKB: Math.round(m.heapUsed / 1024), rssKB: vmRssKB(pid) };
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`process ${pid} did not answer the GC probe`);
}
// tsx first, so the probe (TypeScript) loads; startChild imports tsx again, which changes nothing.
const GC_PROBE = ['--expose-gc', '--import', 'tsx', '--import', resolve(ROOT, 'scripts/bench/gc-probe.ts')];

async function rss(redisUrl: string, client: Redis) {
  const W = settings.warmup;
  const T = settings.rssTransfers;
  await client.flushall();
  const prefix = 'fp-rss';
  const demo = gatewayEnv({});
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const sim = await startNationalSimulator({
    port: 0,
    gatewayUrl: apiUrl,
    callbackSecret: (demo.CALLBACK_SECRETS_NATIONAL ?? '').split(',')[0] ?? '',
    credentials: { clientId: demo.NATIONAL_CLIENT_ID ?? '', clientSecret: demo.NATIONAL_CLIENT_SECRET ?? '' },
    decision: { mode: 'approve' },
    logger: { warn: () => undefined },
  });
  const beijing = await startBeijingReceiver({
    port: 0,
    secret: demo.NOTIFY_SECRET ?? '',
    log: () => undefined,
  });
  const env = {
    ...PRODUCTION_LIFECYCLE,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    NATIONAL_BASE_URL: sim.url,
    RATE_LIMIT_NATIONAL: '5000',
    NOTIFY_URL: beijing.url,
    PUBLIC_URL: apiUrl,
  };
  const echo = (who: string) => (line: string) => console.log(`    [${who}] ${line}`);
  const probeDir = mkdtempSync(join(tmpdir(), 'tgw-gc-probe-'));
  const probeFiles = { api: join(probeDir, 'api.json'), worker: join(probeDir, 'worker.json') };
  const api = await startChild(
    'src/main.ts',
    gatewayEnv({ ...env, ROLE: 'api', PORT: String(apiPort), GC_PROBE_FILE: probeFiles.api }),
    { url: `${apiUrl}/readyz` },
    echo('api'),
    GC_PROBE,
  );
  const workerPort = await freePort();
  const worker = await startChild(
    'src/main.ts',
    gatewayEnv({ ...env, ROLE: 'worker', PORT: String(workerPort), GC_PROBE_FILE: probeFiles.worker }),
    { url: `http://127.0.0.1:${workerPort}/readyz` },
    echo('worker'),
    GC_PROBE,
  );
  const queues = [
    new Queue('deliver-national', { connection: client, prefix }),
    new Queue(NOTIFY_QUEUE, { connection: client, prefix }),
  ];
  const pids = { api: api.child.pid ?? 0, worker: worker.child.pid ?? 0 };
  const peak = { api: 0, worker: 0 };
  const sampler = setInterval(() => {
    peak.api = Math.max(peak.api, vmRssKB(pids.api));
    peak.worker = Math.max(peak.worker, vmRssKB(pids.worker));
    // The receiver keeps what it got; the benchmark needs none of it.
    beijing.received.length = 0;
    beijing.deliveries.length = 0;
  }, 1_000);
  try {
    let posted = 0;
    const run = async (n: number) => {
      const from = posted;
      const t0 = performance.now();
      // In slices, so the bodies are not all held at once.
      for (let i = 0; i < n; i += 5_000) {
        const count = Math.min(5_000, n - i);
        const bodies = Array.from({ length: count }, (_, k) =>
          transferBody(1_000_000 + from + i + k, DESTINATIONS.national),
        );
        await postTransfers(apiUrl, bodies, (k) => `fp-rss-${from + i + k}`);
      }
      posted += n;
      const postedS = (performance.now() - t0) / 1000;
      await until(
        `${posted} transfers completed`,
        async () => (await client.zcard(`${prefix}:idx:st:completed:national`)) >= posted,
        3_600_000,
      );
      await until('the queues to drain', async () => {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed')));
        return counts.every((c) => Object.values(c).every((v) => v === 0));
      });
      const seconds = (performance.now() - t0) / 1000;
      // Quiet for a moment (timers, idle GC), then read.
      await sleep(3_000);
      const rssNow = { api: vmRssKB(pids.api), worker: vmRssKB(pids.worker) };
      const apiGc = await afterFullGc(pids.api, probeFiles.api);
      const workerGc = await afterFullGc(pids.worker, probeFiles.worker);
      const point: RssPoint = {
        posted,
        api: rssNow.api,
        worker: rssNow.worker,
        apiAfterGc: apiGc.rssKB,
        workerAfterGc: workerGc.rssKB,
        apiHeapKB: apiGc.heapUsedKB,
        workerHeapKB: workerGc.heapUsedKB,
      };
      checkpoints.push(point);
      return { seconds: round2(seconds), postedSeconds: round2(postedS), ...point };
    };
    const checkpoints: RssPoint[] = [];
    const t0 = performance.now();
    const before = await run(W);
    log(
      `  after a warm-up of ${W}: api ${before.api} kB (heap ${before.apiHeapKB} kB), worker ${before.worker} kB (heap ${before.workerHeapKB} kB) (${before.seconds} s)`,
    );
    // In steps, so the curve shows whether memory levels off or keeps growing.
    const steps = Math.min(10, Math.max(1, Math.floor(T / 2_000)));
    let ranSeconds = 0;
    let after = before;
    for (let step = 0; step < steps; step++) {
      const n = Math.floor(T / steps) + (step === steps - 1 ? T % steps : 0);
      after = await run(n);
      ranSeconds += after.seconds;
      log(
        `  after ${after.posted - W} more: api ${after.api} kB (heap ${after.apiHeapKB} kB), worker ${after.worker} kB (heap ${after.workerHeapKB} kB)`,
      );
    }
    log(`  ${T} transfers in ${round2(ranSeconds)} s, ${Math.round(T / ranSeconds)} transfers/s end to end`);
    const summary = (who: 'api' | 'worker') => ({
      beforeKB: before[who],
      afterKB: after[who],
      peakKB: peak[who],
      ratio: round2(after[who] / before[who]),
      heapRatio: round2(after[`${who}HeapKB`] / before[`${who}HeapKB`]),
      heapBeforeKB: before[`${who}HeapKB`],
      heapAfterKB: after[`${who}HeapKB`],
      afterGcBeforeKB: before[`${who}AfterGc`],
      afterGcAfterKB: after[`${who}AfterGc`],
    });
    return {
      warmup: W,
      transfers: T,
      seconds: round2((performance.now() - t0) / 1000),
      transfersPerSecond: round2(T / ranSeconds),
      checkpoints,
      api: summary('api'),
      worker: summary('worker'),
    };
  } finally {
    clearInterval(sampler);
    rmSync(probeDir, { recursive: true, force: true });
    await Promise.all(queues.map((q) => q.close()));
    await stopChild(api);
    await stopChild(worker);
    await sim.close();
    await beijing.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. A season.

type Outcome = 'approve' | 'reject' | 'unknown_org';

interface Planned {
  day: number;
  target: PartnerId;
  outcome: Outcome;
  decideDay: number;
  /** Guangdong / Fujian approved: the day the member reports locally. */
  reportDay?: number;
}

/**
 * Who does what when, from a seeded PRNG: 50 % national, 25 % each Guangdong and Fujian; 2 % to an org
 * no partner knows (they fail at delivery), 5 % rejected, the rest approved; decisions 0–6 days after
 * posting; local reports mostly within days, some after reminders, 3 % after the 30-day deadline.
 */
function plan(transfers: number, days: number, seed: number): Planned[] {
  const rnd = seededRandom(seed);
  const out: Planned[] = [];
  for (let k = 0; k < transfers; k += 1) {
    const day = Math.floor((k * days) / transfers);
    const r = rnd();
    const target: PartnerId = r < 0.5 ? 'national' : r < 0.75 ? 'guangdong' : 'fujian';
    const o = rnd();
    const outcome: Outcome = o < 0.02 ? 'unknown_org' : o < 0.07 ? 'reject' : 'approve';
    const d = rnd();
    const decideDay = day + (d < 0.4 ? 0 : d < 0.7 ? 1 : d < 0.85 ? 2 : 3 + Math.floor(rnd() * 4));
    let reportDay: number | undefined;
    if (target !== 'national' && outcome === 'approve') {
      const l = rnd();
      reportDay =
        decideDay +
        (l < 0.5
          ? Math.floor(rnd() * 4)
          : l < 0.85
            ? 4 + Math.floor(rnd() * 10)
            : l < 0.97
              ? 14 + Math.floor(rnd() * 15)
              : 31 + Math.floor(rnd() * 10));
    }
    out.push({
      day,
      target: outcome === 'unknown_org' ? 'national' : target,
      outcome,
      decideDay,
      ...(reportDay === undefined ? {} : { reportDay }),
    });
  }
  return out;
}

interface SeasonSample {
  day: number;
  usedMemoryMB: number;
  /** BullMQ's keys (MEMORY USAGE): bounded by count, not by the windows. */
  queueKeysMB: number;
  /** used memory less BullMQ's keys: what the windows bound. */
  storeMB: number;
  dbsize: number;
  inFlight: number;
  finishedNotPurged: number;
  purgedNotExpired: number;
  posted: number;
  ttlKeysLive: number;
}

interface SeasonModel {
  inFlightBytes: number;
  finishedBytes: number;
  purgedBytes: number;
}

/** EVALSHA digests of the gateway's scripts and BullMQ's, by name, so SLOWLOG can be read. */
const SCRIPT_NAMES = new Map([
  ...Object.entries(storeScripts)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([name, lua]) => [createHash('sha1').update(lua).digest('hex'), name] as const),
  ...Object.values(
    createRequire(import.meta.url)('bullmq/dist/cjs/scripts/index.js') as Record<
      string,
      { name?: string; content?: string }
    >,
  )
    .filter((x) => typeof x.content === 'string')
    .map(
      (x) =>
        [
          createHash('sha1')
            .update(x.content ?? '')
            .digest('hex'),
          `bullmq ${x.name}`,
        ] as const,
    ),
]);

function nameScripts(entries: SlowEntry[]): SlowEntry[] {
  return entries.map((e) => {
    const [cmd, sha] = e.command.split(' ');
    const name = cmd?.toUpperCase() === 'EVALSHA' && sha ? SCRIPT_NAMES.get(sha.replace('…', '')) : undefined;
    return name ? { ...e, command: `${e.command} (${name})` } : e;
  });
}

async function season(
  redisUrl: string,
  client: Redis,
  label: string,
  transfers: number,
  windows: { pii: number; record: number },
  model: SeasonModel,
) {
  const days = settings.days;
  await client.flushall();
  const prefix = 'fp-season';
  const w = await startWorld(redisUrl, prefix, {
    PII_RETENTION_DAYS: String(windows.pii),
    RECORD_RETENTION_DAYS: String(windows.record),
  });
  const t0 = performance.now();
  try {
    await sleep(1_000);
    await idle(w);
    const baseMem = await storedMemory(client);
    const slow = new SlowLog(client);
    await slow.start();
    const planned = plan(transfers, days, 20_261_126 + transfers);
    const byDay = (f: (p: Planned) => number | undefined) => {
      const m = new Map<number, number[]>();
      planned.forEach((p, k) => {
        const d = f(p);
        if (d === undefined) return;
        const list = m.get(d) ?? [];
        list.push(k);
        m.set(d, list);
      });
      return m;
    };
    const posts = byDay((p) => p.day);
    const decisions = byDay((p) => (p.outcome === 'unknown_org' ? undefined : p.decideDay));
    const reports = byDay((p) => p.reportDay);
    const ids: string[] = new Array<string>(transfers);
    const samples: SeasonSample[] = [];
    let posted = 0;
    let sweepTotals = { packed: 0, purged: 0, expired: 0 };
    let lastTtl = { ended: 0, live: 0, liveBytes: 0 };
    const sample = async (day: number) => {
      lastTtl = await ttlDone(w, client);
      const mem = await storedMemory(client);
      const queueKeys = await queueKeysBytes(client, prefix);
      const c = await stateCounts(w);
      const finished = await client.zcard(`${prefix}:idx:finished`);
      const unpurged = await client.zcard(`${prefix}:retention:purge`);
      const s: SeasonSample = {
        day,
        usedMemoryMB: round2(mem / 2 ** 20),
        queueKeysMB: round2(queueKeys / 2 ** 20),
        storeMB: round2((mem - queueKeys) / 2 ** 20),
        dbsize: await client.dbsize(),
        inFlight: IN_FLIGHT.reduce((sum, st) => sum + c[st], 0),
        finishedNotPurged: unpurged,
        purgedNotExpired: finished - unpurged,
        posted,
        ttlKeysLive: lastTtl.live,
      };
      samples.push(s);
      return s;
    };
    await sample(0);
    for (let day = 0; day < days; day += 1) {
      const today = posts.get(day) ?? [];
      if (today.length > 0) {
        const bodies = today.map((k) => {
          const p = planned[k];
          const dest =
            p?.outcome === 'unknown_org' ? DESTINATIONS.unknown : DESTINATIONS[p?.target ?? 'national'];
          return transferBody(2_000_000 + k, dest);
        });
        const got = await postTransfers(
          w.gw.url,
          bodies,
          (i) => `fp-season-${label.replaceAll(' ', '-')}-${today[i]}`,
        );
        today.forEach((k, i) => (ids[k] = got[i] ?? ''));
        posted += today.length;
        await until(`day ${day}'s transfers delivered`, async () => (await stateCounts(w)).accepted === 0);
      }
      for (const k of decisions.get(day) ?? []) {
        const p = planned[k];
        const id = ids[k];
        if (!p || !id) continue;
        w.sims[p.target]?.control.decide(id, p.outcome === 'reject' ? 'reject' : 'approve');
      }
      for (const k of reports.get(day) ?? []) {
        const p = planned[k];
        const id = ids[k];
        if (p && id) w.sims[p.target]?.control.completeLocalReport(id);
      }
      await idle(w);
      await trackLocalReports(w.gw.localReports);
      await idle(w);
      w.beijing.received.length = 0;
      w.beijing.deliveries.length = 0;
      w.clock.advance(DAY);
      const swept = await sweepLogged(w, slow);
      sweepTotals = {
        packed: sweepTotals.packed + swept.packed,
        purged: sweepTotals.purged + swept.purged,
        expired: sweepTotals.expired + swept.expired,
      };
      if ((day + 1) % 7 === 0 || day === days - 1) {
        const s = await sample(day + 1);
        if ((day + 1) % 28 === 0 || day === days - 1) {
          log(
            `    day ${String(day + 1).padStart(3)}: ${s.usedMemoryMB} MB, ${s.dbsize} keys; in flight ${s.inFlight}, ` +
              `finished ${s.finishedNotPurged}, purged ${s.purgedNotExpired}; ${s.posted} posted ` +
              `(${Math.round((performance.now() - t0) / 1000)} s)`,
          );
        }
      }
    }
    const end = samples[samples.length - 1];
    if (!end) throw new Error('no sample');
    const endCensus = await census(client, prefix);
    const queueBytes = [...QUEUE_CLASSES].reduce((s, c) => s + (endCensus[c]?.bytes ?? 0), 0);
    const ttlBytes = lastTtl.liveBytes;
    const predicted =
      baseMem +
      queueBytes +
      ttlBytes +
      end.inFlight * model.inFlightBytes +
      end.finishedNotPurged * model.finishedBytes +
      end.purgedNotExpired * model.purgedBytes;
    const endMem = end.usedMemoryMB * 2 ** 20;
    const slowTotals = await slow.finish();
    const day120 = samples.reduce(
      (best, s) => (Math.abs(s.day - 120) < Math.abs(best.day - 120) ? s : best),
      end,
    );
    const states = await stateCounts(w);
    return {
      label,
      transfers,
      days,
      windows,
      seconds: round2((performance.now() - t0) / 1000),
      baselineMB: round2(baseMem / 2 ** 20),
      end,
      endStates: states,
      sweeps: sweepTotals,
      fixed: {
        baselineBytes: baseMem,
        queueKeysBytes: queueBytes,
        ttlKeysBytes: ttlBytes,
        ttlKeysLive: lastTtl.live,
      },
      model,
      predictedMB: round2(predicted / 2 ** 20),
      measuredOverPredicted: round2(endMem / predicted),
      day120: { day: day120.day, usedMemoryMB: day120.usedMemoryMB, storeMB: day120.storeMB },
      endOverDay120: round2(end.storeMB / day120.storeMB),
      endOverDay120Raw: round2(end.usedMemoryMB / day120.usedMemoryMB),
      endCensus,
      slowlog: slowTotals,
      samples,
    };
  } finally {
    await w.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Report.

type PhasesReport = Awaited<ReturnType<typeof phases>>;
type RssReport = Awaited<ReturnType<typeof rss>>;
type SeasonReport = Awaited<ReturnType<typeof season>>;

interface Goal {
  figure: string;
  measured: string;
  goal: string;
  pass: boolean;
}

function goals(p?: PhasesReport, r?: RssReport, seasons: SeasonReport[] = []): Goal[] {
  const out: Goal[] = [];
  const B = (x: number) => `${Math.round(x)} B`;
  if (p) {
    out.push(
      {
        figure: 'a transfer in flight (submitted / awaiting local report)',
        measured: B(p.inFlight.storePerTransfer),
        goal: '≤ 4 KB',
        pass: p.inFlight.storePerTransfer <= GOALS.inFlightBytes,
      },
      {
        figure: 'a finished transfer before its purge (packed, short bounds passed)',
        measured: `${B(p.settled.storePerTransfer)} (just finished: ${B(p.justFinished.storePerTransfer)}, packed: ${B(p.packed.storePerTransfer)})`,
        goal: '≤ 2 KB',
        pass: p.settled.storePerTransfer <= GOALS.finishedBytes,
      },
      {
        figure: 'a finished transfer after its purge',
        measured: B(p.purged.storePerTransfer),
        goal: '≤ 1 KB',
        pass: p.purged.storePerTransfer <= GOALS.purgedBytes,
      },
      {
        figure: 'a transfer after its expiry: its keys, and keys or index entries naming it',
        measured: `${B(p.expired.keysPerTransfer)}; ${p.traces.keys} keys, ${p.traces.entries} entries (used_memory ${B(p.expired.storePerTransfer)})`,
        goal: '0',
        pass: p.expired.keysPerTransfer === 0 && p.traces.keys === 0 && p.traces.entries === 0,
      },
    );
  }
  if (r) {
    for (const who of ['api', 'worker'] as const) {
      out.push({
        figure: `RSS of the ${who === 'api' ? 'API (ROLE=api)' : 'worker (ROLE=worker)'} process, after ${r.transfers} transfers / after warm-up`,
        measured: `${r[who].ratio} (${Math.round(r[who].beforeKB / 1024)} → ${Math.round(r[who].afterKB / 1024)} MB)`,
        goal: '≤ 1.10',
        pass: r[who].ratio <= GOALS.rssRatio,
      });
      out.push({
        figure: `V8 heap the ${who} process retains (in use after two full collections), after ${r.transfers} transfers / after warm-up: a leak grows here`,
        measured: `${r[who].heapRatio} (${Math.round(r[who].heapBeforeKB / 1024)} → ${Math.round(r[who].heapAfterKB / 1024)} MB; VmRSS after the collections ${Math.round(r[who].afterGcBeforeKB / 1024)} → ${Math.round(r[who].afterGcAfterKB / 1024)} MB)`,
        goal: '≤ 1.10',
        pass: r[who].heapRatio <= GOALS.rssRatio,
      });
    }
  }
  for (const s of seasons) {
    out.push({
      figure: `season ${s.label}: used memory at day ${s.end.day} / bound predicted from the counts`,
      measured: `${s.measuredOverPredicted} (${s.end.usedMemoryMB} / ${s.predictedMB} MB)`,
      goal: `≤ ${GOALS.seasonOverBound.toFixed(2)}`,
      pass: s.measuredOverPredicted <= GOALS.seasonOverBound,
    });
    if (s.end.day >= s.windows.record + 60) {
      out.push({
        figure: `season ${s.label}: used memory less BullMQ's count-bounded keys, day ${s.end.day} / day ${s.day120.day} (plateau)`,
        measured: `${s.endOverDay120} (${s.day120.storeMB} → ${s.end.storeMB} MB; with BullMQ's keys ${s.endOverDay120Raw})`,
        goal: `≤ ${GOALS.plateauRatio.toFixed(2)}`,
        pass: s.endOverDay120 <= GOALS.plateauRatio,
      });
    }
  }
  const logs = [...(p ? [p.slowlog] : []), ...seasons.map((x) => x.slowlog)];
  if (logs.length > 0) {
    const data = logs.map((l) => l.sweepSlowest).filter((e): e is SlowEntry => e !== null);
    const worst = data.reduce<SlowEntry | undefined>(
      (w, e) => (!w || e.micros > w.micros ? e : w),
      undefined,
    );
    const forks = logs.map((l) => l.aofRewriteSlowest).filter((e): e is SlowEntry => e !== null);
    const fork = Math.max(0, ...forks.map((e) => e.micros));
    const count = logs.reduce((n, l) => n + l.sweepOver2ms, 0);
    const floor = logs
      .map((l) => l.noiseFloor)
      .filter((e): e is SlowEntry => e !== null)
      .reduce<SlowEntry | undefined>((w, e) => (!w || e.micros > w.micros ? e : w), undefined);
    const limit = Math.max(GOALS.slowestCommandMs * 1000, floor?.micros ?? 0);
    out.push({
      figure:
        "slowest Redis command the retention sweep issued (SLOWLOG over 2 ms, every sweep of every part; BGREWRITEAOF apart), against the slowest constant-time command of the same run (the machine's stalls)",
      measured:
        (worst
          ? `${round2(worst.micros / 1000)} ms (${shortCommand(worst.command)}; ${count} over 2 ms)`
          : 'none over 2 ms') +
        (floor ? `; noise floor ${round2(floor.micros / 1000)} ms (${shortCommand(floor.command)})` : '') +
        (forks.length ? `; BGREWRITEAOF ${round2(fork / 1000)} ms` : ''),
      goal: `≤ ${GOALS.slowestCommandMs} ms or ≤ the noise floor`,
      pass: (worst?.micros ?? 0) <= limit,
    });
  }
  return out;
}

function markdown(report: Report): string {
  const m = report.machine;
  const mark = (pass: boolean) => (pass ? 'pass' : '**FAIL**');
  const lines = [
    '# Footprint benchmark',
    '',
    `${report.date} · ${m.cpuModel}, ${m.cores} cores · ${m.os} · Node ${m.node} · Redis ${m.redis}`,
    '',
    `\`${report.command}\` · ${report.seconds.total} s in all`,
    '',
    '| figure | measured | goal | |',
    '| --- | ---: | --- | --- |',
    ...report.goals.map((g) => `| ${g.figure} | ${g.measured} | ${g.goal} | ${mark(g.pass)} |`),
    '',
  ];
  const p = report.phases;
  if (p) {
    const cols = p.points;
    lines.push(
      `## Bytes per transfer, by phase (${p.transfers} transfers: ${p.mix})`,
      '',
      `| | ${cols.map((c) => c.phase).join(' | ')} |`,
      `| --- |${cols.map(() => ' ---: |').join('')}`,
      `| **used_memory − baseline, / N (held to the goals)** | ${cols.map((c) => `**${Math.round(c.storePerTransfer)}**`).join(' | ')} |`,
      `| MEMORY USAGE of the transfer's own keys and its index entries, / N | ${cols.map((c) => Math.round(c.keysPerTransfer)).join(' | ')} |`,
      ...KEY_CLASSES.filter((k) =>
        cols.some((c) => Math.abs(c.byClass[k.name]?.bytesPerTransfer ?? 0) >= 0.5),
      ).map(
        (k) =>
          `| ${k.own ? '' : '· '}${k.name} | ${cols
            .map((c) => {
              const v = c.byClass[k.name];
              return v
                ? `${Math.round(v.bytesPerTransfer)}${k.own && v.keysPerTransfer ? ` (${v.keysPerTransfer} key${v.keysPerTransfer === 1 ? '' : 's'})` : ''}`
                : '';
            })
            .join(' | ')} |`,
      ),
      '',
      slowSummary(p.slowlog),
      '',
      `After expiry ${p.traces.keys} keys and ${p.traces.entries} set, list or hash entries under the prefix name one of the ${p.transfers} ids; ` +
        `${p.traces.streamEntries} entries of BullMQ's event streams do: the jobs' removal at expiry, and the events since the purge phase ` +
        `(the streams were emptied at every phase; they keep about 10,000 events per queue, trimmed by count, not by time).`,
      '',
    );
  }
  const r = report.rss;
  if (r) {
    lines.push(
      `## Process memory (${r.warmup} transfers of warm-up, then ${r.transfers}; ${r.transfersPerSecond} transfers/s end to end)`,
      '',
      '| process | VmRSS after warm-up | VmRSS after | peak | after / before | V8 heap in use, after / before |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...(['api', 'worker'] as const).map(
        (who) =>
          `| ${who} | ${Math.round(r[who].beforeKB / 1024)} MB | ${Math.round(r[who].afterKB / 1024)} MB | ${Math.round(r[who].peakKB / 1024)} MB | ${r[who].ratio} | ${r[who].heapRatio} |`,
      ),
      '',
      'Along the way (each after the queues drained and 3 s of quiet; then two full collections, and the same again):',
      '',
      '| transfers posted | api VmRSS | after full GC: VmRSS, heap in use | worker VmRSS | after full GC: VmRSS, heap in use |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...r.checkpoints.map(
        (c) =>
          `| ${c.posted} | ${Math.round(c.api / 1024)} MB | ${Math.round(c.apiAfterGc / 1024)} MB, ${Math.round(c.apiHeapKB / 1024)} MB | ${Math.round(c.worker / 1024)} MB | ${Math.round(c.workerAfterGc / 1024)} MB, ${Math.round(c.workerHeapKB / 1024)} MB |`,
      ),
      '',
    );
  }
  for (const s of report.seasons) {
    const every = s.samples.filter(
      (x, i) => x.day % 28 === 0 || x.day === s.day120.day || i === s.samples.length - 1,
    );
    lines.push(
      `## Season ${s.label}: ${s.transfers} transfers over ${s.days} days, personal data ${s.windows.pii} days, records ${s.windows.record} days (${s.seconds} s)`,
      '',
      '| day | used memory | of which BullMQ | keys | in flight | finished, not purged | purged, not expired | posted | live TTL keys |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...every.map(
        (x) =>
          `| ${x.day} | ${x.usedMemoryMB} MB | ${x.queueKeysMB} MB | ${x.dbsize} | ${x.inFlight} | ${x.finishedNotPurged} | ${x.purgedNotExpired} | ${x.posted} | ${x.ttlKeysLive} |`,
      ),
      '',
      `Predicted at day ${s.end.day}: ${s.baselineMB} MB before any transfer + BullMQ's keys ${round2(s.fixed.queueKeysBytes / 2 ** 20)} MB ` +
        `(bounded by count) + ${s.fixed.ttlKeysLive} live idempotency / dedupe keys ${round2(s.fixed.ttlKeysBytes / 2 ** 20)} MB + ` +
        `${s.end.inFlight} × ${Math.round(s.model.inFlightBytes)} B + ${s.end.finishedNotPurged} × ${Math.round(s.model.finishedBytes)} B + ` +
        `${s.end.purgedNotExpired} × ${Math.round(s.model.purgedBytes)} B = ${s.predictedMB} MB; measured ${s.end.usedMemoryMB} MB.`,
      `Outcomes at the end: ${Object.entries(s.endStates)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}. The sweeps packed ${s.sweeps.packed}, purged ${s.sweeps.purged}, expired ${s.sweeps.expired}.`,
      '',
      slowSummary(s.slowlog),
      '',
    );
  }
  lines.push(...METHOD);
  return lines.join('\n');
}

/** A command as SLOWLOG shows it, shortened for a table: name and script, no arguments. */
function shortCommand(command: string): string {
  const script = /\(([\w ]+)\)$/.exec(command)?.[1];
  const [name] = command.split(' ');
  return script ? `${name} ${script}` : (name ?? command);
}

function slowSummary(l: ReturnType<SlowLog['summary']>): string {
  const ms = (e: SlowEntry) => `${round2(e.micros / 1000)} ms`;
  const list = (entries: SlowEntry[]) =>
    entries
      .slice(0, 6)
      .map((e) => `${shortCommand(e.command)} ${ms(e)}`)
      .join(', ');
  const sweep = l.sweepTop.filter((e) => !/^bgrewriteaof/i.test(e.command));
  return [
    sweep.length === 0
      ? 'The sweeps issued no command of 2 ms or more.'
      : `The sweeps issued ${l.sweepOver2ms} commands of 2 ms or more (${l.sweepOver2msNearFork} of them within 5 s after a BGREWRITEAOF), the slowest: ${list(sweep)}.`,
    l.noiseFloor
      ? `The slowest constant-time command logged in this part (the machine's noise floor) took ${ms(l.noiseFloor)} (${shortCommand(l.noiseFloor.command)}).`
      : '',
    l.aofRewriteSlowest
      ? `BGREWRITEAOF (asked for after a purge; its time is the fork) took up to ${ms(l.aofRewriteSlowest)} (${l.aofRewriteForks} logged).`
      : '',
    l.trafficSlowest
      ? `Outside the sweeps (intake, delivery, callbacks, notifications) ${l.trafficOver2ms} commands took 2 ms or more, the slowest: ${list(l.trafficTop)}.` +
        ` Redis ran ${l.commands} commands in all during this part.`
      : 'Outside the sweeps no command took 2 ms or more.',
  ]
    .filter(Boolean)
    .join(' ');
}

const METHOD = [
  '## Method',
  '',
  '- One throwaway Redis (append-only, fsync every second, noeviction) on loopback, emptied before each part;',
  '  its per-command latency histograms are off (`latency-tracking no`: Redis 7 allocates one, ~24 KB, the',
  '  first time each command name is used, which would otherwise count as stored data). Memory is INFO',
  '  `used_memory` less client buffers, the AOF buffer and the Lua script cache, read with the gateway idle',
  '  (nothing waiting, running or delayed in any queue, both outboxes empty, every callback delivered) and',
  '  no AOF rewrite running.',
  '- Bytes per transfer: the baseline is read after the gateway started (queues, schedulers, stats exist),',
  '  before the N transfers are posted; each phase is (used_memory − baseline) / N. BullMQ keeps the last',
  "  1,000 completed jobs per queue and about 10,000 events per queue's stream whatever the traffic: at",
  "  steady state a new transfer's jobs and events only replace old ones. So at the baseline and at every",
  '  phase they are sized (MEMORY USAGE, shown per phase as "added in the phase") and then emptied',
  '  (Queue.clean of completed jobs, trimEvents(0)) before used_memory is read. The per-class rows are',
  '  MEMORY USAGE … SAMPLES 0 summed over the keys of the class, less the baseline, / N; for shared',
  '  sorted sets that is the cost of the entries. used_memory is a little above their sum: the allocator',
  "  rounds every allocation up to its size class, and the keyspace's own hash tables grow with the keys.",
  '- Business time is a movable clock; Redis TTLs run on wall time. At "settled" and at each season sample',
  '  every idempotency key (72 h), callback dedupe key (7 days) and local-report marker (2 days) whose TTL',
  '  has passed in business time is ended with `EXPIRE key 0`, what Redis itself does when a TTL runs out:',
  '  the wall time a key was written is its wall expiry less its TTL, and the clock tells the business',
  '  time of that moment. Nothing else is deleted by the benchmark. Before "settled" ("finished, just',
  '  now", "packed") those keys are counted in full.',
  '- Between phases the clock moves and the retention sweep runs until a run finds nothing to do. After',
  '  expiry every key under the prefix is read: no key name and no set, list or hash entry may name one',
  "  of the transfers' ids (BullMQ's event streams, trimmed by count, are counted apart).",
  '- RSS: VmRSS from /proc/<pid>/status of the two child processes, 3 s after the queues drained. The',
  '  notification worker sends 5 at a time (its default), which paces the whole run. VmRSS also follows',
  '  how much heap V8 chose to keep reserved, so at every point each process is then made to run two full',
  '  garbage collections (a preload of the benchmark, scripts/bench/gc-probe.ts, on SIGUSR2; never in a',
  '  real process): the heap still in use then is what the process retains, where a leak would show.',
  '- Seasons: posted evenly over the days, 50 % national, 25 % each Guangdong and Fujian; 2 % to an org no',
  '  partner knows (failed, ORG_NOT_FOUND), 5 % rejected, the rest approved, decided 0–6 days after',
  '  posting; members report locally within days, some after reminders, 3 % after the 30-day deadline',
  '  (flagged overdue). Each day the partners decide what is due (seeded plan), members report, the',
  '  local-report pass runs, the clock moves a day and the sweep runs. In-process, the notification',
  '  worker sends 20 at a time and delivery runs 16 per partner, so a simulated day passes sooner.',
  '  Reconciliation is not run (no callback is lost here). BullMQ trims jobs by age on wall time, so here',
  '  only its count bounds hold: its keys are shown apart, and the plateau is judged without them. The',
  '  predicted bound uses the per-phase figures of part 1 (measured on completed transfers; rejected',
  '  and failed ones are smaller) plus the fixed part measured at the end (the baseline, BullMQ, live',
  '  TTL keys).',
  '- SLOWLOG keeps every command over 2 ms. The log is read and emptied just before and just after each',
  "  sweep: what it holds then is the sweep's (the gateway is otherwise idle). BGREWRITEAOF, which the",
  "  sweep asks for after a purge, is shown apart: its time is the fork. The benchmark's own client is",
  '  left out. Other processes on the machine take CPU from Redis too: even O(1) commands (SET, HGET)',
  '  appear above 2 ms now and then, which is the noise floor of these figures. The goal is therefore',
  '  that no sweep command takes over 5 ms or, when the machine stalled, none takes longer than the',
  '  slowest constant-time command (GET, HGET, ZSCORE …) logged in the same run.',
  '',
];

interface Report {
  benchmark: 'footprint';
  date: string;
  command: string;
  settings: typeof settings & { parts: string[] };
  machine: ReturnType<typeof machine>;
  seconds: Record<string, number>;
  goals: Goal[];
  pass: boolean;
  phases?: PhasesReport;
  rss?: RssReport;
  seasons: SeasonReport[];
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tgw-bench-fp-'));
  const redis = await startRedis({ dir, loglevel: 'warning' });
  const client = benchClient(redis.url);
  // Redis 7 keeps a latency histogram per command name, made on the command's first use (about 24 KB
  // each): it would count as stored data the first time the sweep, say, issues a command.
  await client.call('CONFIG', 'SET', 'latency-tracking', 'no');
  const started = performance.now();
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      seconds[name] = round2((performance.now() - t0) / 1000);
    }
  };
  try {
    const redisVer = await redisVersion(redis.port);
    log(
      `footprint benchmark${settings.quick ? ' (quick)' : ''}: ${[...parts].join(', ')}; Redis ${redisVer}`,
    );
    let p: PhasesReport | undefined;
    if (parts.has('phases')) {
      log(`bytes per transfer: ${settings.transfers} transfers`);
      p = await timed('phases', () => phases(redis.url, client));
    }
    let r: RssReport | undefined;
    if (parts.has('rss')) {
      log(`process memory: ${settings.warmup} transfers of warm-up, then ${settings.rssTransfers}`);
      r = await timed('rss', () => rss(redis.url, client));
    }
    const model: SeasonModel = {
      inFlightBytes: p?.inFlight.storePerTransfer ?? 4 * KB,
      finishedBytes: p?.settled.storePerTransfer ?? 2 * KB,
      purgedBytes: p?.purged.storePerTransfer ?? KB,
    };
    const seasons: SeasonReport[] = [];
    if (parts.has('season')) {
      log(`season: ${settings.season} transfers over ${settings.days} days, windows 90 / 400 days`);
      seasons.push(
        await timed('season', () =>
          season(redis.url, client, 'production windows', settings.season, { pii: 90, record: 400 }, model),
        ),
      );
    }
    if (parts.has('short')) {
      log(`season: ${settings.shortSeason} transfers over ${settings.days} days, windows 30 / 60 days`);
      seasons.push(
        await timed('shortSeason', () =>
          season(redis.url, client, 'short windows', settings.shortSeason, { pii: 30, record: 60 }, model),
        ),
      );
    }
    seconds.total = round2((performance.now() - started) / 1000);
    const g = goals(p, r, seasons);
    const report: Report = {
      benchmark: 'footprint',
      date: new Date().toISOString(),
      command: `npm run bench -- footprint${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      settings: { ...settings, parts: [...parts] },
      machine: machine(redisVer),
      seconds,
      goals: g,
      pass: g.every((x) => x.pass),
      ...(p ? { phases: p } : {}),
      ...(r ? { rss: r } : {}),
      seasons,
    };
    const out = resolve(ROOT, args.out);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'footprint.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(out, 'footprint.md'), `${markdown(report)}\n`);
    for (const x of g) log(`${x.pass ? 'pass' : 'FAIL'}  ${x.figure}: ${x.measured} (goal ${x.goal})`);
    log(`written ${args.out}/footprint.{json,md} in ${seconds.total} s`);
    return report.pass ? 0 : 3;
  } finally {
    await client.quit();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
