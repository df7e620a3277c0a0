/**
 * The replica-acknowledgement benchmark: what REDIS_MIN_REPLICAS_ACK=1 (a 202 only once a replica holds
 * the transfer: src/store/replicas.ts) costs the intake next to REDIS_MIN_REPLICAS_ACK=0 (a 202 once the
 * primary holds it). One throwaway primary and one replica (append-only, fsync every second) on this
 * machine; the gateway runs as a child process (ROLE=api: no workers competing for the CPU) with N=0 or
 * N=1 in alternating order (0, 1, 0, 1, …), under the same autocannon load: valid transfer bodies, a
 * fresh Idempotency-Key per request. Each run starts on an emptied Redis (the replica in step again)
 * and a freshly started gateway, and a warm-up is discarded. For N=1 it also counts the WAIT rounds
 * the primary served (INFO commandstats), i.e. how many requests shared one round (group commit).
 *
 *   node --import tsx scripts/bench/replica-ack.ts [--duration 10] [--warmup 2] [--rounds 4]
 *     [--connections 50] [--timeout-ms 1000] [--out bench-results]
 *
 * The defaults take about 2½ minutes on a 2-core machine. No target beyond validity: the figures and
 * their ratios (N=1 / N=0) are reported, as the ratio of the medians and as the median of each round's
 * own ratio (steadier when the machine's load drifts during the run).
 * Exit code: 0 valid, 1 invalid (errors or non-202 answers).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, redisVersion, startRedis, type RedisHandle } from '../lib/redis-server.js';
import {
  gatewayEnv,
  integerOption,
  machine,
  postTransfersFor,
  median,
  ROOT,
  round2,
  startChild,
  stopChild,
  type Child,
} from './lib.js';

const GATEWAY_ENTRY = 'src/main.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '50' },
    'timeout-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: 'bench-results' },
  },
});
const positive = integerOption;
const settings = {
  durationSeconds: positive('duration', args.duration),
  warmupSeconds: positive('warmup', args.warmup, 0),
  rounds: positive('rounds', args.rounds),
  connections: positive('connections', args.connections),
  ackTimeoutMs: positive('timeout-ms', args['timeout-ms'], 10),
};
const outDir = resolve(ROOT, args.out);

// ---------------------------------------------------------------------------------------------------
// The primary and its replica.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the primary counts one replica online at its own offset, and the replica's link is up. */
async function inStep(primary: Redis, replica: Redis): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [mine, theirs] = await Promise.all([primary.info('replication'), replica.info('replication')]);
    const offset = /^master_repl_offset:(\d+)/m.exec(mine)?.[1];
    const acked = /^slave0:.*state=online,offset=(\d+)/m.exec(mine)?.[1];
    if (theirs.includes('master_link_status:up') && offset !== undefined && acked === offset) return;
    if (Date.now() > deadline) throw new Error(`the replica did not catch up within 30 s:\n${mine}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------------
// The gateway under test: a child process on a free port, started fresh for each run.

type Replicas = 0 | 1;

interface Server extends Child {
  url: string;
}

async function startGatewayChild(replicas: Replicas, redisUrl: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = gatewayEnv({
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    REDIS_PREFIX: 'bench-acks',
    // ROLE=api: no workers competing for the CPU.
    ROLE: 'api',
    REDIS_MIN_REPLICAS_ACK: String(replicas),
    REDIS_REPLICAS_ACK_TIMEOUT_MS: String(settings.ackTimeoutMs),
  });
  // LOG_LEVEL=warn: the gateway only says something when there is trouble.
  const child = await startChild(GATEWAY_ENTRY, env, { url: `${url}/readyz` }, (line) =>
    console.log(`    [N=${replicas}] ${line}`),
  );
  return { ...child, url };
}

/** The gateway's own count of confirmed and refused requests (tgw_redis_replica_acks_total). */
async function ackCounts(url: string): Promise<{ confirmed: number; refused: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (outcome: string) =>
    Number(
      new RegExp(`^tgw_redis_replica_acks_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0,
    );
  return { confirmed: read('confirmed'), refused: read('refused') };
}

// ---------------------------------------------------------------------------------------------------
// Load.

interface Measurement {
  replicas: Replicas;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  statusCodes: Record<string, number>;
  non202: number;
  errors: number;
  timeouts: number;
  /** WAIT commands the primary served during the measured load (N=1 only; 0 for N=0). */
  waitRounds: number;
  /** Requests the gateway counted as confirmed and refused by replicas, warm-up included. */
  confirmed: number;
  refused: number;
  samples: string[];
}

const runTag = Date.now().toString(36);

const load = (url: string, seconds: number) =>
  postTransfersFor(url, seconds, settings.connections, `bench-ack-${runTag}`);

async function waitCalls(primary: Redis): Promise<number> {
  const stats = await primary.info('commandstats');
  return Number(/^cmdstat_wait:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

async function measure(
  replicas: Replicas,
  round: number,
  primary: Redis,
  replica: Redis,
  redisUrl: string,
): Promise<Measurement> {
  await primary.flushall();
  await inStep(primary, replica);
  const server = await startGatewayChild(replicas, redisUrl);
  try {
    if (settings.warmupSeconds > 0) await load(server.url, settings.warmupSeconds);
    await primary.config('RESETSTAT');
    const { result, statusCodes, samples, non202 } = await load(server.url, settings.durationSeconds);
    if (server.child.exitCode !== null) throw new Error(`the gateway (N=${replicas}) exited during the run`);
    const waitRounds = await waitCalls(primary);
    // autocannon drops the requests still in flight when time is up; let the server finish them first.
    await sleep(1_000);
    const counts = await ackCounts(server.url);
    return {
      replicas,
      round,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      statusCodes,
      non202,
      errors: result.errors,
      timeouts: result.timeouts,
      waitRounds,
      ...counts,
      samples,
    };
  } finally {
    await stopChild(server);
  }
}

// ---------------------------------------------------------------------------------------------------
// Report.

function summarize(runs: Measurement[], replicas: Replicas) {
  const mine = runs.filter((r) => r.replicas === replicas);
  return {
    requestsPerSecond: round2(median(mine.map((r) => r.requestsPerSecond))),
    p50Ms: round2(median(mine.map((r) => r.p50Ms))),
    p99Ms: round2(median(mine.map((r) => r.p99Ms))),
    requestsPerWaitRound:
      replicas === 0 ? null : round2(median(mine.map((r) => r.requests / Math.max(1, r.waitRounds)))),
  };
}

type Report = ReturnType<typeof buildReport>;

/** The median over rounds of N=1's figure divided by N=0's in the same round. */
function pairedRatio(runs: Measurement[], figure: (m: Measurement) => number): number {
  const ratios: number[] = [];
  for (const r of new Set(runs.map((m) => m.round))) {
    const n0 = runs.find((m) => m.round === r && m.replicas === 0);
    const n1 = runs.find((m) => m.round === r && m.replicas === 1);
    if (n0 && n1) ratios.push(figure(n1) / figure(n0));
  }
  return round2(median(ratios));
}

function buildReport(runs: Measurement[], redisVer: string, order: string[]) {
  const n0 = summarize(runs, 0);
  const n1 = summarize(runs, 1);
  const valid = runs.every((r) => r.errors === 0 && r.non202 === 0 && r.requests > 0 && r.refused === 0);
  return {
    benchmark: 'replica-ack',
    date: new Date().toISOString(),
    valid,
    settings: {
      ...settings,
      order,
      endpoint: 'POST /v1/transfers',
      note:
        `One primary and one replica (append-only, fsync every second); the gateway runs with ROLE=api ` +
        `(no queue workers competing for the CPU) and LOG_LEVEL=warn; load generator, gateway, primary and ` +
        `replica share the machine.`,
    },
    machine: machine(redisVer),
    median: { n0, n1 },
    ratios: {
      throughput: round2(n1.requestsPerSecond / n0.requestsPerSecond),
      p50: round2(n1.p50Ms / n0.p50Ms),
      p99: round2(n1.p99Ms / n0.p99Ms),
    },
    pairedRatios: {
      throughput: pairedRatio(runs, (m) => m.requestsPerSecond),
      p50: pairedRatio(runs, (m) => m.p50Ms),
      p99: pairedRatio(runs, (m) => m.p99Ms),
    },
    runs,
  };
}

function markdown(report: Report): string {
  const { median: m, ratios, pairedRatios: paired, settings: s, machine } = report;
  const rows = report.runs.map(
    (r) =>
      `| ${r.round} | ${r.replicas} | ${Math.round(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.requests} | ` +
      `${r.replicas === 0 ? '–' : `${r.waitRounds} (${round2(r.requests / Math.max(1, r.waitRounds))})`} | ${r.non202 + r.errors} |`,
  );
  return [
    '# Replica acknowledgement benchmark',
    '',
    `${report.date} · ${machine.cpuModel}, ${machine.cores} cores · ${machine.os} · Node ${machine.node} · Redis ${machine.redis}`,
    '',
    `POST /v1/transfers with valid bodies and a fresh Idempotency-Key per request; ${s.connections} connections,`,
    `${s.durationSeconds} s per run after a ${s.warmupSeconds} s warm-up, ${s.rounds} rounds in the order ` +
      `${s.order.join(', ')} (REDIS_MIN_REPLICAS_ACK; REDIS_REPLICAS_ACK_TIMEOUT_MS=${s.ackTimeoutMs}).`,
    `${s.note}`,
    '',
    '| | N=0 | N=1 | N=1 / N=0 | N=1 / N=0 per round (median) |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| requests/s (median) | ${Math.round(m.n0.requestsPerSecond)} | ${Math.round(m.n1.requestsPerSecond)} | ${ratios.throughput} | ${paired.throughput} |`,
    `| p50 latency, ms (median) | ${m.n0.p50Ms} | ${m.n1.p50Ms} | ${ratios.p50} | ${paired.p50} |`,
    `| p99 latency, ms (median) | ${m.n0.p99Ms} | ${m.n1.p99Ms} | ${ratios.p99} | ${paired.p99} |`,
    `| requests per WAIT round (median) | – | ${m.n1.requestsPerWaitRound ?? '–'} | | |`,
    '',
    '<details><summary>Every run</summary>',
    '',
    '| round | N | requests/s | p50 ms | p99 ms | requests | WAIT rounds (requests per round) | errors + non-202 |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '</details>',
    '',
    report.valid ? '' : '**Invalid: some requests failed or were not answered 202 (see replica-ack.json).**',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tgw-bench-replica-'));
  let primaryServer: RedisHandle | undefined;
  let replicaServer: RedisHandle | undefined;
  let primary: Redis | undefined;
  let replica: Redis | undefined;
  try {
    primaryServer = await startRedis({ dir: join(dir, 'primary'), loglevel: 'warning' });
    replicaServer = await startRedis({
      dir: join(dir, 'replica'),
      loglevel: 'warning',
      extraArgs: ['--replicaof', '127.0.0.1', String(primaryServer.port)],
    });
    const url = primaryServer.url;
    primary = new Redis(url);
    replica = new Redis(replicaServer.url);
    await inStep(primary, replica);
    const redisVer = await redisVersion(primaryServer.port);

    const order: string[] = [];
    const runs: Measurement[] = [];
    console.log(
      `replica-ack benchmark: ${settings.rounds} rounds of REDIS_MIN_REPLICAS_ACK=0 then 1, ` +
        `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s each; ` +
        `Redis ${redisVer}, primary ${url}, replica ${replicaServer.url}. The gateway runs with ROLE=api.`,
    );
    for (let round = 1; round <= settings.rounds; round++) {
      for (const replicas of [0, 1] as const) {
        order.push(`N=${replicas}`);
        process.stdout.write(`  round ${round}/${settings.rounds} N=${replicas} ... `);
        const m = await measure(replicas, round, primary, replica, url);
        runs.push(m);
        console.log(
          `${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.requests} requests` +
            (replicas === 1 ? `, ${m.waitRounds} WAIT rounds` : '') +
            (m.errors + m.non202 > 0
              ? `; ${m.errors} errors (${m.timeouts} timeouts), ${m.non202} not 202: ${JSON.stringify(m.statusCodes)}`
              : ''),
        );
        for (const s of m.samples) console.log(`      e.g. ${s}`);
      }
    }

    const report = buildReport(runs, redisVer, order);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'replica-ack.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'replica-ack.md'), `${markdown(report)}\n`);
    const { median: m, ratios, pairedRatios: paired } = report;
    console.log(
      `\nmedian  N=0 ${Math.round(m.n0.requestsPerSecond)} req/s p50 ${m.n0.p50Ms} ms p99 ${m.n0.p99Ms} ms | ` +
        `N=1 ${Math.round(m.n1.requestsPerSecond)} req/s p50 ${m.n1.p50Ms} ms p99 ${m.n1.p99Ms} ms ` +
        `(${m.n1.requestsPerWaitRound} requests per WAIT round)`,
    );
    console.log(
      `ratios  N=1 / N=0: throughput ${ratios.throughput}, p50 ${ratios.p50}, p99 ${ratios.p99} ` +
        `(per round, median: throughput ${paired.throughput}, p50 ${paired.p50}, p99 ${paired.p99})`,
    );
    console.log(`written ${relative(ROOT, join(outDir, 'replica-ack.json'))} and replica-ack.md`);
    if (!report.valid) {
      console.error('INVALID: some requests failed or were not answered 202 (see above)');
      return 1;
    }
    return 0;
  } finally {
    primary?.disconnect();
    replica?.disconnect();
    await replicaServer?.stop();
    await primaryServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
