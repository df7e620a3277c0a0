/**
 * "Many processes", proven on real ones: 2 API processes (ROLE=api, two ports) and 3 worker processes
 * (ROLE=worker) on one Redis, once on a single server (startCluster's own) and once on a Redis Cluster
 * of 3 primaries (scripts/lib/redis-topology.ts). Beijing posts through both APIs; a recorder in front
 * of each partner simulator stamps every request as it arrives. Shown, and asserted:
 *
 * 1. every acknowledged transfer reaches its partner, exactly one record there each, posts spread over
 *    both APIs;
 * 2. each partner's rate limit holds across the 3 workers, measured at the partner in every 1-second
 *    window (and by the partner's own token bucket), while all 3 workers drain a backlog;
 * 3. a breaker opened in one worker pauses the partner's queue in Redis for all of them: while it is
 *    down the partner gets a small bounded number of requests from all workers together, every worker
 *    reports its breaker open, and everything is delivered once it is back;
 * 4. operator actions through one API act on every worker: a pause (API A) stops all 3 workers (posts
 *    through API B stay `accepted`, the partner receives nothing), a resume (API B) drains them, and an
 *    operator retry of a failed transfer is delivered by whichever worker takes it.
 *
 * Figures are printed and kept under test-artifacts/ha/. HA_SCALE=quick (default): 300 transfers in
 * phase 1, about a minute per topology; full (npm run test:ha): 2,000.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPartners } from '../../adapters/registry.js';
import { PATHS as NATIONAL_PATHS } from '../../adapters/national/wire.js';
import { TokenBucket } from '../../adapters/sim/rate-limit.js';
import { TERMINAL_STATES } from '../../src/domain/transfer.js';
import type { StoredTransfer } from '../../src/store/transfer-store.js';
import { freePort } from '../../scripts/lib/redis-server.js';
import { startRedisCluster, type RedisClusterGroup } from '../../scripts/lib/redis-topology.js';
import { Client, faults, partnerRecord, reckon, Reader, type Reckoning } from '../chaos/support.js';
import { ROOT, startCluster, type Cluster, type GatewayProcess } from '../helpers/cluster.js';
import { KEYS } from '../helpers/gateway.js';
import { deliveryQueue, TARGETS, type BuiltInTarget } from '../helpers/partners.js';

const FULL = process.env.HA_SCALE === 'full';
const size = (quick: number, full: number): number => (FULL ? full : quick);

/** Phase 1: transfers posted through the two APIs, spread over the three partners. */
const TRANSFERS = size(300, 2_000);
/** Phase 3: transfers to a partner that is down. */
const OUTAGE_TRANSFERS = size(60, 300);
/** Phase 3: the partner stays down at least this long (and until every worker saw its breaker open). */
const DOWN_MS = size(15_000, 30_000);
/** Phase 4: transfers posted while their partner's queue is paused, and how long they must stay put. */
const PAUSED_TRANSFERS = size(30, 150);
const HOLD_MS = size(6_000, 15_000);
/** Phase 4: transfers refused by the partner, then retried by an operator. */
const RETRIED = 3;

const WORKERS = 3;
const CONCURRENCY = 8;
const VOLUME = 10;
const RESET_MS = 5_000;
const BREAKER_WINDOW_MS = 10_000;
/**
 * Requests per second each partner allows (RATE_LIMIT_<PARTNER>). National is the one under test: 3
 * workers × CONCURRENCY national jobs draining a backlog always wait for slots (the limit binds), and
 * a national delivery takes two (the org check, then the submission).
 */
const RATE: Record<BuiltInTarget, number> = { national: 20, guangdong: 100, fujian: 20 };
/**
 * The tolerance of the rate check: the slack allowed between a request's slot and its arrival at the
 * partner's front door. The limiter (GCRA in Redis, no burst) spaces slots exactly 1000/L ms apart, so
 * any 1-s window holds at most L slots. A request leaves after its slot by however late its worker
 * gets to it: the limiter's answer is a wait counted from when Redis ran the script, and the worker
 * starts that wait when it reads the answer; then its timer fires when its event loop is free. A
 * worker running 24 jobs, collecting garbage, or not scheduled for a while on a loaded 2-core box
 * releases several slots' requests at once. If those delays vary within JITTER_MS, the requests
 * arriving in a 1-s window took slots within 1 s + JITTER_MS: at most L × (1 + JITTER_MS/1000) + 1,
 * 36 for 20/s. That stays below what a limit kept per process would let through with only two of the
 * three workers sending (2 L = 40), let alone no limit (24 jobs in flight, each ready to send at
 * once); over the whole busy period the same slack is a few percent. The arrival times are taken by a
 * recorder thread (FrontDoor), not by the simulators, whose event loop this test process shares.
 */
const JITTER_MS = 750;
const rateBound = (limit: number): number => Math.floor(limit * (1 + JITTER_MS / 1000)) + 1;

const ENV: Record<string, string> = {
  RATE_LIMIT_NATIONAL: String(RATE.national),
  RATE_LIMIT_GUANGDONG: String(RATE.guangdong),
  RATE_LIMIT_FUJIAN: String(RATE.fujian),
  DELIVERY_CONCURRENCY: String(CONCURRENCY),
  BREAKER_VOLUME_THRESHOLD: String(VOLUME),
  BREAKER_ERROR_PERCENT: '50',
  BREAKER_RESET_MS: String(RESET_MS),
  BREAKER_WINDOW_MS: String(BREAKER_WINDOW_MS),
  DELIVERY_BACKOFF_BASE_MS: '500',
  DELIVERY_BACKOFF_MAX_MS: '5000',
  LOG_LEVEL: 'info',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const TERMINAL = new Set<string>(TERMINAL_STATES);
const terminal = (t: StoredTransfer) => TERMINAL.has(t.state);

// ---------------------------------------------------------------------------------------------------
// What the partners received, and when

interface Stamp {
  /** When the request reached the partner's front door (epoch ms). */
  at: number;
  method: string;
  /** The path without its query, transfer ids as `:id`. */
  route: string;
}

/**
 * A recorder in front of one simulator, in its own thread: it stamps each request as it arrives and
 * passes it on unchanged (and the answer back). The simulators run in this process, whose event loop
 * also runs the clients, the reckoning and the simulators' own work (signatures, callbacks): a request
 * that arrives while that loop is busy would be stamped late, and a burst of late stamps would look
 * like a burst of requests. This thread does nothing else, so its stamps are arrival times.
 */
const RECORDER = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
let upstream = 0;
const pending = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const server = http.createServer((req, res) => {
  pending.push([Date.now(), req.method, req.url]);
  const up = http.request(
    { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode || 502, answer.headers);
      answer.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 60000;
parentPort.on('message', (m) => {
  if (m.kind === 'upstream') upstream = m.port;
  if (m.kind === 'take') parentPort.postMessage({ kind: 'stamps', stamps: pending.splice(0) });
  if (m.kind === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.close());
  }
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ kind: 'listening', port: server.address().port }));
`;

interface RecorderMessage {
  kind: 'listening' | 'stamps';
  port?: number;
  stamps?: [number, string, string][];
}

class FrontDoor {
  /** Every request so far, in arrival order (as of the last sync()). */
  readonly stamps: Stamp[] = [];
  private readonly waiting: ((m: RecorderMessage) => void)[] = [];

  private constructor(
    private readonly thread: Worker,
    readonly url: string,
  ) {
    thread.on('message', (m: RecorderMessage) => this.waiting.shift()?.(m));
  }

  static async open(): Promise<FrontDoor> {
    const thread = new Worker(RECORDER, { eval: true });
    const port = await new Promise<number>((resolve, reject) => {
      thread.once('message', (m: RecorderMessage) => resolve(m.port ?? 0));
      thread.once('error', reject);
    });
    return new FrontDoor(thread, `http://127.0.0.1:${port}`);
  }

  /** Where the requests go on to (the simulator's port). */
  forwardTo(port: number): void {
    this.thread.postMessage({ kind: 'upstream', port });
  }

  /** Fetches what arrived since the last call; resolves with every stamp so far. */
  async sync(): Promise<Stamp[]> {
    const answer = new Promise<RecorderMessage>((resolve) => this.waiting.push(resolve));
    this.thread.postMessage({ kind: 'take' });
    for (const [at, method, url] of (await answer).stamps ?? []) {
      const route = (url.split('?')[0] ?? '').replace(/\/trf_[^/]+/, '/:id');
      this.stamps.push({ at, method, route });
    }
    return this.stamps;
  }

  async close(): Promise<void> {
    this.thread.postMessage({ kind: 'close' });
    await Promise.race([new Promise((r) => this.thread.once('exit', r)), sleep(2_000)]);
    await this.thread.terminate();
  }
}

/**
 * The requests the partner would have refused (429) had it enforced its limit as the simulators do
 * (adapters/sim/rate-limit.ts: a token bucket refilled at L per second, holding L + 10%).
 */
function bucketRefusals(times: readonly number[], perSecond: number): number {
  let now = 0;
  const bucket = new TokenBucket({ perSecond }, () => now);
  let refused = 0;
  for (const at of [...times].sort((a, b) => a - b)) {
    now = at;
    if (!bucket.take()) refused += 1;
  }
  return refused;
}

/** The most requests in any window of `windowMs` (every maximal window starts at a request). */
function maxInWindow(times: readonly number[], windowMs = 1_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let first = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[first]! >= windowMs) first++;
    max = Math.max(max, i - first + 1);
  }
  return max;
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

/** The densest window: where it starts (ms after `since`) and the gaps between its requests. */
function densest(
  times: readonly number[],
  since: number,
  windowMs = 1_000,
): { atMs: number; gapsMs: number[] } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { first: 0, last: -1 };
  let first = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[first]! >= windowMs) first++;
    if (i - first > best.last - best.first) best = { first, last: i };
  }
  const inside = sorted.slice(best.first, best.last + 1);
  return {
    atMs: (inside[0] ?? since) - since,
    gapsMs: inside.slice(1).map((t, i) => t - inside[i]!),
  };
}

/** Requests in each second from `since`, as a list (index = second). */
function perSecond(times: readonly number[], since: number): number[] {
  const out: number[] = [];
  for (const t of times) {
    const i = Math.floor((t - since) / 1000);
    while (out.length <= i) out.push(0);
    out[i] = (out[i] ?? 0) + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// What the processes say

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(p: GatewayProcess): Promise<Sample[]> {
  const text = await (await fetch(`${p.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function total(samples: readonly Sample[], name: string, want: Record<string, string>): number {
  return samples
    .filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Partner calls each process made for `target` (and `operation`), whatever their outcome. */
async function callsBy(
  processes: readonly GatewayProcess[],
  target: BuiltInTarget,
  operation = 'submit',
): Promise<Record<string, number>> {
  const entries = await Promise.all(
    processes.map(async (p) => {
      const s = await scrape(p);
      return [p.name, total(s, 'tgw_partner_request_duration_seconds_count', { target, operation })] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const diff = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));

interface Readiness {
  status: string;
  checks: { partners?: { detail?: Record<string, string> } };
}

async function readyz(p: GatewayProcess): Promise<Readiness> {
  return (await (
    await fetch(`${p.url}/readyz`, { signal: AbortSignal.timeout(10_000) })
  ).json()) as Readiness;
}

async function ops<T>(base: string, method: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS.ops}` },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface TargetStatus {
  target: string;
  paused: boolean;
  breaker: string;
  /** How long every worker still holds off the partner (a breaker's hold on the queue, in Redis). */
  heldMs?: number;
  counts: Record<string, number>;
}

async function targetStatus(base: string, target: BuiltInTarget): Promise<TargetStatus> {
  const { body } = await ops<{ items: TargetStatus[] }>(base, 'GET', '/v1/ops/targets');
  const found = body.items.find((i) => i.target === target);
  if (!found) throw new Error(`no status for ${target}`);
  return found;
}

/** Prints the figures and keeps them under test-artifacts/ha/<name>.json. */
function report(name: string, figures: Record<string, unknown>): void {
  const dir = join(ROOT, 'test-artifacts', 'ha');
  mkdirSync(dir, { recursive: true });
  const record = { scenario: name, scale: FULL ? 'full' : 'quick', at: new Date().toISOString(), ...figures };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const lines = Object.entries(record).map(
    ([k, v]) => `  ${k.padEnd(34)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
  );
  console.log(`\nha: ${name}\n${lines.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------

type Topology = 'single' | 'cluster';

describe.each<Topology>(['single', 'cluster'])('many processes on a %s Redis', (topology) => {
  let dir: string | undefined;
  let group: RedisClusterGroup | undefined;
  let cluster: Cluster;
  let reader: Reader;
  let apiA: GatewayProcess;
  let apiB: GatewayProcess;
  let workers: GatewayProcess[] = [];
  const processes: GatewayProcess[] = [];
  let doors: Record<BuiltInTarget, FrontDoor>;
  /** Every request that reached the partner so far. */
  const arrived = (t: BuiltInTarget): Promise<Stamp[]> => doors[t].sync();
  /** Every client of the run, for the final reckoning. */
  const clients: Client[] = [];
  const figures: Record<string, unknown> = { topology };
  let started = Date.now();

  const client = (api: GatewayProcess, name: string): Client => {
    const c = new Client(() => api.url, `${topology}-${name}`);
    clients.push(c);
    return c;
  };
  const othersOf = (...mine: Client[]): string[] =>
    clients.filter((c) => !mine.includes(c)).flatMap((c) => c.acknowledged);

  beforeAll(async () => {
    started = Date.now();
    if (topology === 'cluster') {
      dir = mkdtempSync(join(tmpdir(), 'tgw-ha-many-'));
      group = await startRedisCluster({ dir, primaries: 3 });
    }
    const [national, guangdong, fujian] = await Promise.all(TARGETS.map(() => FrontDoor.open()));
    doors = { national: national!, guangdong: guangdong!, fujian: fujian! };
    // Every gateway process reaches each partner through its front door.
    const partnerUrls = Object.fromEntries(
      TARGETS.map((t) => [`${builtInPartners.get(t).envPrefix}_BASE_URL`, doors[t].url]),
    );
    cluster = await startCluster({
      env: { ...ENV, ...partnerUrls },
      ...(group ? { redisEnv: { REDIS_CLUSTER_NODES: group.nodesEnv } } : {}),
    });
    for (const t of TARGETS) doors[t].forwardTo(cluster.partners[t].port);
    reader = new Reader(cluster);
    figures.redis = {
      ...(group ? { clusterPrimaries: (await group.masters()).length, nodes: group.nodesEnv } : {}),
      storeKeys: `${cluster.keys.store}:…`,
      queueKeys: cluster.keys.queue(deliveryQueue('national')),
    };
    apiA = await cluster.spawn('api', { name: 'api-a' });
    processes.push(apiA);
    apiB = await cluster.spawn('api', { name: 'api-b', port: await freePort() });
    processes.push(apiB);
    workers = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) => cluster.spawn('worker', { name: `worker-${i + 1}` })),
    );
    processes.push(...workers);
  }, 180_000);

  afterAll(async () => {
    const { errors, stray } = faults(processes);
    report(`many-processes-${topology}`, {
      ...figures,
      errorLines: errors.length,
      strayLines: stray.length,
      firstErrors: errors.slice(0, 5),
      firstStray: stray.slice(0, 5),
      durationS: Math.round((Date.now() - started) / 1000),
    });
    await reader?.close();
    await cluster?.close();
    await Promise.all(Object.values(doors ?? {}).map((d) => d.close()));
    await group?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it(`delivers ${TRANSFERS} transfers posted through 2 APIs exactly once, within each partner's rate limit across ${WORKERS} workers`, async () => {
    const t0 = Date.now();
    const submitsBefore = await Promise.all(TARGETS.map((t) => callsBy(workers, t)));
    // The transfers pile up first (every target paused by an operator), then all 3 workers drain the
    // backlog at once: each partner's limit binds throughout the measured period, and this process
    // (which runs the simulators) is not busy posting meanwhile.
    for (const t of TARGETS)
      expect((await ops(apiA.url, 'POST', `/v1/ops/targets/${t}/pause`)).status).toBe(200);
    const a = client(apiA, 'load-a');
    const b = client(apiB, 'load-b');
    const half = Math.floor(TRANSFERS / 2);
    const beforePosting = await Promise.all(TARGETS.map(async (t) => (await arrived(t)).length));
    await Promise.all([a.postMany(0, half, 8), b.postMany(half, TRANSFERS - half, 8)]);
    const postedS = seconds(Date.now() - t0);
    const afterPosting = await Promise.all(TARGETS.map(async (t) => (await arrived(t)).length));
    const requestsWhilePosting = afterPosting.reduce((sum, n, i) => sum + n - beforePosting[i]!, 0);

    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const resumedAt = Date.now();
    for (const t of TARGETS)
      expect((await ops(apiB.url, 'POST', `/v1/ops/targets/${t}/resume`)).status).toBe(200);
    const [ra, rb] = await Promise.all([
      reckon(cluster, reader, a, { timeoutMs: 15 * 60_000, settled: terminal, alsoKnown: othersOf(a) }),
      reckon(cluster, reader, b, { timeoutMs: 15 * 60_000, settled: terminal, alsoKnown: othersOf(b) }),
    ]);
    lag.disable();
    const seen = {
      national: (await arrived('national')).slice(afterPosting[0]),
      guangdong: (await arrived('guangdong')).slice(afterPosting[1]),
      fujian: (await arrived('fujian')).slice(afterPosting[2]),
    };
    const submitsAfter = await Promise.all(TARGETS.map((t) => callsBy(workers, t)));
    const submitsByWorker = Object.fromEntries(
      TARGETS.map((t, i) => [t, diff(submitsAfter[i]!, submitsBefore[i]!)]),
    ) as Record<BuiltInTarget, Record<string, number>>;

    const rateOf = (t: BuiltInTarget) => {
      const all = seen[t];
      // Every request but national's token request (made inside a call's slot) takes a slot.
      const limited = all.filter((s) => s.route !== NATIONAL_PATHS.token).map((s) => s.at);
      const spanMs = limited.length > 1 ? Math.max(...limited) - Math.min(...limited) : 0;
      return {
        limit: RATE[t],
        bound: rateBound(RATE[t]),
        requests: all.length,
        tokenRequests: all.length - limited.length,
        maxIn1s: maxInWindow(limited),
        maxIn1sWithTokens: maxInWindow(all.map((s) => s.at)),
        maxIn5s: maxInWindow(limited, 5_000),
        // Every request counts here, the token requests too: the partner limits them all.
        partnerBucketRefusals: bucketRefusals(
          all.map((s) => s.at),
          RATE[t],
        ),
        perSecond: perSecond(limited, resumedAt),
        densest1s: densest(limited, resumedAt),
        busyS: seconds(spanMs),
        meanPerS: spanMs ? Math.round(((limited.length - 1) / spanMs) * 10_000) / 10 : 0,
        // Over the whole busy period: slots within its span and the jitter allowed at either end.
        busyBound: Math.floor((RATE[t] * (spanMs + JITTER_MS)) / 1000) + 1,
        limitedRequests: limited.length,
      };
    };
    const rates = { national: rateOf('national'), guangdong: rateOf('guangdong'), fujian: rateOf('fujian') };
    const sum = (k: keyof Reckoning) => Number(ra[k]) + Number(rb[k]);
    const phase = {
      acknowledged: sum('acknowledged'),
      delivered: sum('delivered'),
      failed: sum('failed'),
      stillAccepted: sum('stillAccepted'),
      missing: sum('missing'),
      notExactlyOnePartnerRecord: sum('notExactlyOnePartnerRecord'),
      phantomPartnerRecords: Math.max(ra.phantomPartnerRecords, rb.phantomPartnerRecords),
      attemptsUndercounted: sum('attemptsUndercounted'),
      postsViaApi: { [apiA.name]: ra.acknowledged, [apiB.name]: rb.acknowledged },
      clientStatuses: { [apiA.name]: a.statusSummary, [apiB.name]: b.statusSummary },
      postedS,
      requestsWhilePosting,
      drainedS: seconds(Date.now() - resumedAt),
      submitsByWorker,
      rates,
      testProcessLoopDelayMaxMs: Math.round(lag.max / 1e6),
      testProcessLoopDelayP99Ms: Math.round(lag.percentile(99) / 1e6),
    };
    figures.load = phase;
    console.log(`ha ${topology}: load ${JSON.stringify(phase)}`);

    expect(phase.acknowledged).toBe(TRANSFERS);
    expect(phase.delivered).toBe(TRANSFERS);
    expect(phase.failed).toBe(0);
    expect(phase.missing).toBe(0);
    expect(phase.notExactlyOnePartnerRecord).toBe(0);
    expect(phase.phantomPartnerRecords).toBe(0);
    expect(phase.attemptsUndercounted).toBe(0);
    // Both APIs took their share.
    expect(ra.acknowledged).toBe(half);
    expect(rb.acknowledged).toBe(TRANSFERS - half);
    for (const t of TARGETS) {
      // Every worker delivered to every partner, so the limits held across processes, not within one.
      for (const w of workers) expect(submitsByWorker[t][w.name], `${w.name} → ${t}`).toBeGreaterThan(0);
      expect(rates[t].maxIn1s, `${t}: most requests in a 1-s window`).toBeLessThanOrEqual(rates[t].bound);
      expect(rates[t].partnerBucketRefusals, `${t}: refused by the partner's own limit`).toBe(0);
    }
    for (const t of TARGETS) {
      expect(rates[t].limitedRequests, `${t}: requests over the busy period`).toBeLessThanOrEqual(
        rates[t].busyBound,
      );
    }
  });

  it('a breaker opened in one worker pauses the partner in every worker; all is delivered when it is back', async () => {
    const gd = cluster.partners.guangdong;
    const queue = deliveryQueue('guangdong');
    const limiterKey = `${cluster.keys.queue(queue)}:${queue}:limiter`;
    // Its breaker counts the failure rate over BREAKER_WINDOW_MS: right after a busy healthy period it
    // takes as many failures as there were successes in the window to open it. Start from a quiet
    // window, as the bound below assumes.
    const quietFor = async () => Date.now() - ((await arrived('guangdong')).at(-1)?.at ?? 0);
    const quietSince = await quietFor();
    if (quietSince < BREAKER_WINDOW_MS + 1_000) await sleep(BREAKER_WINDOW_MS + 1_000 - quietSince);
    const from = (await arrived('guangdong')).length;
    const logFrom = new Map(workers.map((w) => [w.name, w.logs.length]));
    const openedBefore = await Promise.all(
      workers.map(async (w) =>
        total(await scrape(w), 'tgw_breaker_transitions_total', { target: 'guangdong', state: 'open' }),
      ),
    );

    gd.control.setFaults({ down: true });
    const downAt = Date.now();
    const a = client(apiA, 'outage-a');
    const b = client(apiB, 'outage-b');
    const half = Math.floor(OUTAGE_TRANSFERS / 2);
    await Promise.all([
      a.postMany(100_000, half, 8, 'guangdong'),
      b.postMany(100_000 + half, OUTAGE_TRANSFERS - half, 8, 'guangdong'),
    ]);

    // While it is down: the queue's pause in Redis (BullMQ's limiter key), sampled, and each worker's
    // own breaker, until every worker has seen its breaker open (and at least DOWN_MS).
    let samples = 0;
    let pausedSamples = 0;
    let maxPauseMs = 0;
    let openedIn: string[] = [];
    const sinceOpen = (w: GatewayProcess, i: number) =>
      scrape(w).then(
        (s) =>
          total(s, 'tgw_breaker_transitions_total', { target: 'guangdong', state: 'open' }) -
          openedBefore[i]!,
      );
    let lastScrape = 0;
    // The API processes send nothing, so their own breakers stay closed; the queue's hold is shared.
    let apiSawHeld = 0;
    let apiSamples = 0;
    const giveUp = downAt + DOWN_MS + 90_000;
    while (Date.now() < giveUp) {
      const pttl = await reader.redis.pttl(limiterKey);
      samples += 1;
      if (pttl > 0) {
        pausedSamples += 1;
        maxPauseMs = Math.max(maxPauseMs, pttl);
      }
      if (Date.now() - lastScrape > 1_000) {
        lastScrape = Date.now();
        const opened = await Promise.all(workers.map(sinceOpen));
        openedIn = workers.filter((_, i) => opened[i]! > 0).map((w) => w.name);
        const seen = await targetStatus(apiB.url, 'guangdong');
        apiSamples += 1;
        if ((seen.heldMs ?? 0) > 0) apiSawHeld += 1;
      }
      if (openedIn.length === WORKERS && Date.now() - downAt >= DOWN_MS) break;
      await sleep(200);
    }
    // What each worker reports while the partner is still down.
    const breakerStates = Object.fromEntries(
      await Promise.all(
        workers.map(async (w) => {
          const [r, s] = await Promise.all([readyz(w), scrape(w)]);
          return [
            w.name,
            {
              readyz: r.checks.partners?.detail?.guangdong ?? '?',
              metric: total(s, 'tgw_breaker_state', { target: 'guangdong' }),
            },
          ] as const;
        }),
      ),
    );
    const whileDown = await Promise.all([apiA, apiB].map((api) => targetStatus(api.url, 'guangdong')));
    const upAt = Date.now();
    gd.control.clearFaults();
    const downMs = upAt - downAt;

    const [ra, rb] = await Promise.all([
      reckon(cluster, reader, a, { timeoutMs: 5 * 60_000, alsoKnown: othersOf(a) }),
      reckon(cluster, reader, b, { timeoutMs: 5 * 60_000, alsoKnown: othersOf(b) }),
    ]);
    const drainS = seconds(Date.now() - upAt);
    const openings = workers.flatMap((w) =>
      w.logs
        .slice(logFrom.get(w.name))
        .filter((l) => l.msg === 'breaker open' && l.partner === 'guangdong')
        .map((l) => ({ worker: w.name, at: Date.parse(String(l.time)) })),
    );
    const firstOpenAt = Math.min(...openings.map((o) => o.at));
    const down = (await arrived('guangdong')).slice(from).filter((s) => s.at >= downAt && s.at < upAt);
    const afterFirstOpen = down.filter((s) => s.at >= firstOpenAt).length;
    // Each worker's breaker lets through: the calls that opened it (the volume, plus those already in
    // flight or waiting for a rate-limit slot), then one probe per reset period while it is down.
    const bound = WORKERS * (VOLUME + CONCURRENCY + Math.ceil(downMs / RESET_MS) + 1);
    const phase = {
      transfers: OUTAGE_TRANSFERS,
      acknowledged: ra.acknowledged + rb.acknowledged,
      delivered: ra.delivered + rb.delivered,
      failed: ra.failed + rb.failed,
      notExactlyOnePartnerRecord: ra.notExactlyOnePartnerRecord + rb.notExactlyOnePartnerRecord,
      attemptsUndercounted: ra.attemptsUndercounted + rb.attemptsUndercounted,
      attemptsBeyondOnePerTransfer: ra.attempts + rb.attempts - ra.acknowledged - rb.acknowledged,
      partnerDownS: seconds(downMs),
      requestsWhileDown: down.length,
      requestsAfterFirstBreakerOpen: afterFirstOpen,
      requestsWhileDownByRoute: countBy(down.map((s) => s.route)),
      requestsPerSecondWhileDown: perSecond(
        down.map((s) => s.at),
        downAt,
      ),
      requestBound: bound,
      firstBreakerOpenAfterS: seconds(firstOpenAt - downAt),
      breakerOpenings: openings.map((o) => `${o.worker}@${seconds(o.at - downAt)}s`),
      workersWithBreakerOpened: openedIn,
      breakerStatesWhileDown: breakerStates,
      queuePausedInRedis: `${pausedSamples}/${samples} samples, longest ${maxPauseMs} ms left`,
      opsTargetsWhileDown: whileDown.map((s) => ({ breaker: s.breaker, heldMs: s.heldMs, counts: s.counts })),
      apiSawQueueHeld: `${apiSawHeld}/${apiSamples} samples`,
      drainAfterRecoveryS: drainS,
    };
    figures.breaker = phase;
    console.log(`ha ${topology}: breaker ${JSON.stringify(phase)}`);

    expect(openings.length).toBeGreaterThan(0);
    expect(pausedSamples).toBeGreaterThan(0);
    // tgw targets on an API process shows the hold a worker's breaker put on the queue.
    expect(apiSawHeld).toBeGreaterThan(0);
    expect(openedIn).toHaveLength(WORKERS);
    for (const w of workers) {
      expect(breakerStates[w.name]?.readyz, w.name).not.toBe('closed');
      expect(breakerStates[w.name]?.metric, w.name).toBeGreaterThan(0);
    }
    expect(down.length).toBeLessThanOrEqual(bound);
    expect(phase.acknowledged).toBe(OUTAGE_TRANSFERS);
    expect(phase.delivered).toBe(OUTAGE_TRANSFERS);
    expect(phase.failed).toBe(0);
    expect(phase.notExactlyOnePartnerRecord).toBe(0);
    expect(phase.attemptsUndercounted).toBe(0);
  });

  it('a pause through one API stops every worker, a resume through the other drains; a retry is delivered by any worker', async () => {
    const fj = cluster.partners.fujian;
    const paused = await ops<TargetStatus>(apiA.url, 'POST', '/v1/ops/targets/fujian/pause');
    const seenByB = await targetStatus(apiB.url, 'fujian');
    const from = (await arrived('fujian')).length;
    const recordsBefore = fj.state.records.size;
    const submitsBefore = await callsBy(workers, 'fujian');

    const c = client(apiB, 'paused');
    await c.postMany(200_000, PAUSED_TRANSFERS, 8, 'fujian');
    const acknowledgedAt = Date.now();
    await sleep(HOLD_MS);
    const held = await reader.transfers(c.acknowledged);
    const received = (await arrived('fujian')).length - from;
    const newRecords = fj.state.records.size - recordsBefore;
    const whilePaused = await targetStatus(apiA.url, 'fujian');

    const resumed = await ops<TargetStatus>(apiB.url, 'POST', '/v1/ops/targets/fujian/resume');
    const seenByA = await targetStatus(apiA.url, 'fujian');
    const resumedAt = Date.now();
    const drained = await reckon(cluster, reader, c, { timeoutMs: 5 * 60_000, alsoKnown: othersOf(c) });
    const drainS = seconds(Date.now() - resumedAt);
    const drainedBy = diff(await callsBy(workers, 'fujian'), submitsBefore);

    // An operator retry: Guangdong refuses a few transfers (a business rejection: failed at once, no
    // retry), then accepts again; the retries go through API B, whichever worker takes them.
    const gd = cluster.partners.guangdong;
    gd.control.setFaults({ reject: { reason: '材料不全' } });
    const r = client(apiA, 'retry');
    await r.postMany(300_000, RETRIED, RETRIED, 'guangdong');
    const failed = await reckon(cluster, reader, r, { timeoutMs: 60_000, alsoKnown: othersOf(r) });
    const failedStates = await reader.transfers(r.acknowledged);
    gd.control.clearFaults();
    const retrySubmitsBefore = await callsBy(workers, 'guangdong');
    const retries = await Promise.all(
      r.acknowledged.map((id) =>
        ops<{ state: string }>(apiB.url, 'POST', `/v1/transfers/${encodeURIComponent(id)}/retry`),
      ),
    );
    const retried = await reckon(cluster, reader, r, { timeoutMs: 60_000, alsoKnown: othersOf(r) });
    const retriedBy = diff(await callsBy(workers, 'guangdong'), retrySubmitsBefore);
    const after = await reader.transfers(r.acknowledged);

    const phase = {
      pausedVia: apiA.name,
      pauseAnswer: { status: paused.status, paused: paused.body.paused },
      pausedSeenBy: { [apiB.name]: seenByB.paused },
      postedWhilePaused: `${c.acknowledged.length} via ${apiB.name}`,
      heldS: seconds(Date.now() - acknowledgedAt),
      stillAcceptedWhilePaused: held.filter((t) => t.state === 'accepted').length,
      partnerRequestsWhilePaused: received,
      partnerRecordsWhilePaused: newRecords,
      queueWhilePaused: whilePaused.counts,
      resumedVia: apiB.name,
      resumeAnswer: { status: resumed.status, paused: resumed.body.paused },
      resumedSeenBy: { [apiA.name]: seenByA.paused },
      drained: `${drained.delivered}/${drained.acknowledged} in ${drainS} s`,
      drainedByWorker: drainedBy,
      retried: `${RETRIED} failed with ${JSON.stringify(failed.failedCodes)}, retried via ${apiB.name}`,
      retryAnswers: retries.map((x) => `${x.status} ${x.body.state}`),
      retriedStates: after.map((t) => t.state),
      retriedDeliveredByWorker: retriedBy,
    };
    figures.operator = phase;
    console.log(`ha ${topology}: operator ${JSON.stringify(phase)}`);

    expect(paused.status).toBe(200);
    expect(paused.body.paused).toBe(true);
    expect(seenByB.paused).toBe(true);
    expect(c.acknowledged).toHaveLength(PAUSED_TRANSFERS);
    expect(held.every((t) => t.state === 'accepted')).toBe(true);
    expect(received).toBe(0);
    expect(newRecords).toBe(0);
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBe(false);
    expect(seenByA.paused).toBe(false);
    expect(drained.delivered).toBe(PAUSED_TRANSFERS);
    expect(drained.notExactlyOnePartnerRecord).toBe(0);
    expect(Object.values(drainedBy).reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(PAUSED_TRANSFERS);

    expect(failedStates.map((t) => [t.state, t.facts.lastError?.code])).toEqual(
      Array.from({ length: RETRIED }, () => ['failed', 'REJECTED']),
    );
    expect(retries.map((x) => x.status)).toEqual(Array.from({ length: RETRIED }, () => 202));
    expect(retried.delivered).toBe(RETRIED);
    expect(retried.notExactlyOnePartnerRecord).toBe(0);
    for (const id of r.acknowledged) {
      const t = await reader.store.get(id);
      expect(t?.events.map((e) => e.type)).toContain('retry_requested');
      expect(partnerRecord(cluster, id)).toHaveLength(1);
    }
    expect(Object.values(retriedBy).reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(RETRIED);
  });

  it('in all: every acknowledged transfer at its partner exactly once, no error lines', async () => {
    const everything = new Client(() => apiA.url, `${topology}-all`);
    for (const c of clients) everything.posts.push(...c.posts);
    const all = await reckon(cluster, reader, everything, { timeoutMs: 60_000 });
    const { errors, stray } = faults(processes);
    figures.total = {
      acknowledged: all.acknowledged,
      delivered: all.delivered,
      failed: all.failed,
      missing: all.missing,
      notExactlyOnePartnerRecord: all.notExactlyOnePartnerRecord,
      phantomPartnerRecords: all.phantomPartnerRecords,
      attemptsUndercounted: all.attemptsUndercounted,
      partnerSubmissions: all.partnerSubmissions,
      attempts: all.attempts,
    };
    // What the front doors saw against what the simulators counted (equal but for requests in flight).
    const doorVsSimulator = Object.fromEntries(
      await Promise.all(
        TARGETS.map(async (t) => [
          t,
          `${(await arrived(t)).length}/${cluster.partners[t].state.counts.requests}`,
        ]),
      ),
    );
    figures.frontDoorVsSimulatorRequests = doorVsSimulator;
    expect(all.acknowledged).toBe(TRANSFERS + OUTAGE_TRANSFERS + PAUSED_TRANSFERS + RETRIED);
    expect(all.delivered).toBe(all.acknowledged);
    expect(all.missing).toBe(0);
    expect(all.notExactlyOnePartnerRecord).toBe(0);
    expect(all.phantomPartnerRecords).toBe(0);
    expect(all.attemptsUndercounted).toBe(0);
    expect(errors).toEqual([]);
    expect(stray).toEqual([]);
    expect(processes.every((p) => p.alive)).toBe(true);
  });
});
