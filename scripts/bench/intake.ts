/**
 * The intake benchmark: how much the gateway's POST /v1/transfers (authentication, validation,
 * idempotency, encrypted storage, outbox, queueing) costs next to a bare Express + BullMQ server that
 * only queues the body (scripts/bench/baseline-server.ts). Both run on this machine, one at a time, as
 * child processes against one throwaway Redis, in alternating order (baseline, gateway, baseline, …),
 * under the same autocannon load: valid transfer bodies, a fresh Idempotency-Key per request. Each run
 * starts on an emptied Redis and a freshly started server, and a warm-up is discarded.
 *
 *   node --import tsx scripts/bench/intake.ts [--duration 15] [--warmup 3] [--rounds 2]
 *     [--connections 50] [--aa] [--out bench-results]
 *
 * --aa measures the baseline against itself (an A/A run) to show how noisy the machine is.
 * Exit code: 0 valid and every target met, 1 invalid (errors or non-202 answers), 3 a target missed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { configKeys } from '../../src/config/index.js';
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
const BASELINE_ENTRY = 'scripts/bench/baseline-server.ts';
const TARGETS = { throughputRatioMin: 0.8, p99RatioMax: 1.5 };

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    aa: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
  },
});
const positive = integerOption;
const settings = {
  durationSeconds: positive('duration', args.duration),
  warmupSeconds: positive('warmup', args.warmup, 0),
  rounds: positive('rounds', args.rounds),
  connections: positive('connections', args.connections),
};
const outDir = resolve(ROOT, args.out);

// ---------------------------------------------------------------------------------------------------
// The servers under test: child processes on free ports, started fresh for each run.

type Subject = 'baseline' | 'gateway';

interface Server extends Child {
  url: string;
}

function serverEnv(entry: Subject, redisUrl: string, port: number): NodeJS.ProcessEnv {
  const common = { REDIS_URL: redisUrl, HOST: '127.0.0.1', PORT: String(port) };
  if (entry === 'gateway') {
    // ROLE=api: no workers competing for the CPU.
    return gatewayEnv({ ...common, REDIS_PREFIX: 'bench-gw', ROLE: 'api' });
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of configKeys()) delete env[key];
  return { ...env, ...common, REDIS_PREFIX: 'bench-baseline' };
}

async function startServer(subject: Subject, entry: Subject, redisUrl: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild(
    entry === 'gateway' ? GATEWAY_ENTRY : BASELINE_ENTRY,
    serverEnv(entry, redisUrl, port),
    { url: `${url}/readyz` },
    // LOG_LEVEL=warn: the gateway only says something when there is trouble.
    entry === 'gateway' ? (line) => console.log(`    [${subject}] ${line}`) : undefined,
  );
  return { ...child, url };
}

const stopServer = (server: Server) => stopChild(server);

// ---------------------------------------------------------------------------------------------------
// Load.

interface Measurement {
  subject: Subject;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  statusCodes: Record<string, number>;
  non202: number;
  errors: number;
  timeouts: number;
  samples: string[];
}

const runTag = Date.now().toString(36);

const load = (url: string, seconds: number) =>
  postTransfersFor(url, seconds, settings.connections, `bench-${runTag}`);

async function measure(subject: Subject, entry: Subject, round: number, redis: Redis, redisUrl: string) {
  await redis.flushall();
  const server = await startServer(subject, entry, redisUrl);
  try {
    if (settings.warmupSeconds > 0) await load(server.url, settings.warmupSeconds);
    const { result, statusCodes, samples, non202 } = await load(server.url, settings.durationSeconds);
    if (server.child.exitCode !== null) throw new Error(`${subject} exited during the run`);
    // autocannon drops the requests still in flight when time is up; let the server finish them first.
    await new Promise((r) => setTimeout(r, 1_000));
    const measurement: Measurement = {
      subject,
      round,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      statusCodes,
      non202,
      errors: result.errors,
      timeouts: result.timeouts,
      samples,
    };
    return measurement;
  } finally {
    await stopServer(server);
  }
}

// ---------------------------------------------------------------------------------------------------
// Report.

function summarize(runs: Measurement[], subject: Subject) {
  const mine = runs.filter((r) => r.subject === subject);
  return {
    requestsPerSecond: round2(median(mine.map((r) => r.requestsPerSecond))),
    p50Ms: round2(median(mine.map((r) => r.p50Ms))),
    p99Ms: round2(median(mine.map((r) => r.p99Ms))),
  };
}

function markdown(report: Report): string {
  const { median: m, ratios, targets, settings: s, machine } = report;
  const mark = (pass: boolean) => (pass ? 'pass' : '**FAIL**');
  const other = report.mode === 'aa' ? 'baseline (B)' : 'gateway';
  const rows = report.runs.map(
    (r) =>
      `| ${r.round} | ${r.subject === 'gateway' ? other : r.subject} | ${Math.round(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.requests} | ${r.non202 + r.errors} |`,
  );
  return [
    `# Intake benchmark${report.mode === 'aa' ? ' (A/A: baseline against itself)' : ''}`,
    '',
    `${report.date} · ${machine.cpuModel}, ${machine.cores} cores · ${machine.os} · Node ${machine.node} · Redis ${machine.redis}`,
    '',
    `POST /v1/transfers with valid bodies and a fresh Idempotency-Key per request; ${s.connections} connections,`,
    `${s.durationSeconds} s per run after a ${s.warmupSeconds} s warm-up, ${s.rounds} rounds in the order ${s.order.join(', ')}.`,
    `${s.note}`,
    '',
    `| | baseline | ${other} | ${other} / baseline | target | |`,
    '| --- | ---: | ---: | ---: | --- | --- |',
    `| requests/s (median) | ${Math.round(m.baseline.requestsPerSecond)} | ${Math.round(m.gateway.requestsPerSecond)} | ${ratios.throughput} | ≥ ${targets.throughput.min} | ${mark(targets.throughput.pass)} |`,
    `| p50 latency, ms (median) | ${m.baseline.p50Ms} | ${m.gateway.p50Ms} | ${ratios.p50} | | |`,
    `| p99 latency, ms (median) | ${m.baseline.p99Ms} | ${m.gateway.p99Ms} | ${ratios.p99} | ≤ ${targets.p99.max} | ${mark(targets.p99.pass)} |`,
    '',
    '<details><summary>Every run</summary>',
    '',
    '| round | server | requests/s | p50 ms | p99 ms | requests | errors + non-202 |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '</details>',
    '',
    report.valid ? '' : '**Invalid: some requests failed or were not answered 202 (see intake.json).**',
  ].join('\n');
}

type Report = ReturnType<typeof buildReport>;

function buildReport(runs: Measurement[], redisVer: string, order: string[]) {
  const baseline = summarize(runs, 'baseline');
  const gateway = summarize(runs, 'gateway');
  const throughput = round2(gateway.requestsPerSecond / baseline.requestsPerSecond);
  const p99 = round2(gateway.p99Ms / baseline.p99Ms);
  const valid = runs.every((r) => r.errors === 0 && r.non202 === 0 && r.requests > 0);
  const targets = {
    throughput: {
      min: TARGETS.throughputRatioMin,
      actual: throughput,
      pass: throughput >= TARGETS.throughputRatioMin,
    },
    p99: { max: TARGETS.p99RatioMax, actual: p99, pass: p99 <= TARGETS.p99RatioMax },
  };
  return {
    benchmark: 'intake',
    mode: args.aa ? ('aa' as const) : ('gateway-vs-baseline' as const),
    date: new Date().toISOString(),
    valid,
    pass: valid && targets.throughput.pass && targets.p99.pass,
    settings: {
      ...settings,
      order,
      endpoint: 'POST /v1/transfers',
      note:
        `The gateway runs with ROLE=api (no queue workers competing for the CPU) and LOG_LEVEL=warn; ` +
        `load generator, server and Redis (append-only, fsync every second) share the machine.`,
    },
    machine: machine(redisVer),
    median: { baseline, gateway },
    ratios: { throughput, p50: round2(gateway.p50Ms / baseline.p50Ms), p99 },
    targets,
    runs,
  };
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (!args.aa && !existsSync(join(ROOT, GATEWAY_ENTRY))) {
    console.error(
      `${GATEWAY_ENTRY} does not exist yet; run with --aa to measure the baseline against itself`,
    );
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tgw-bench-redis-'));
  let redisServer: RedisHandle | undefined;
  let client: Redis | undefined;
  try {
    redisServer = await startRedis({ dir, loglevel: 'warning' });
    const url = redisServer.url;
    client = new Redis(url);
    const redisVer = await redisVersion(redisServer.port);

    const gatewayEntry: Subject = args.aa ? 'baseline' : 'gateway';
    const order: string[] = [];
    const runs: Measurement[] = [];
    console.log(
      `intake benchmark: ${settings.rounds} rounds of baseline then ${args.aa ? 'baseline again (A/A)' : 'gateway'}, ` +
        `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s each; ` +
        `Redis ${redisVer} at ${url}. The gateway runs with ROLE=api (no workers competing for the CPU).`,
    );
    for (let round = 1; round <= settings.rounds; round++) {
      for (const subject of ['baseline', 'gateway'] as const) {
        order.push(subject);
        process.stdout.write(`  round ${round}/${settings.rounds} ${subject.padEnd(8)} ... `);
        const m = await measure(
          subject,
          subject === 'gateway' ? gatewayEntry : 'baseline',
          round,
          client,
          url,
        );
        runs.push(m);
        console.log(
          `${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.requests} requests` +
            (m.errors + m.non202 > 0
              ? `; ${m.errors} errors (${m.timeouts} timeouts), ${m.non202} not 202: ${JSON.stringify(m.statusCodes)}`
              : ''),
        );
        for (const s of m.samples) console.log(`      e.g. ${s}`);
      }
    }

    const report = buildReport(runs, redisVer, order);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'intake.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'intake.md'), `${markdown(report)}\n`);
    const { median: m, ratios, targets } = report;
    console.log(
      `\nmedian  baseline ${Math.round(m.baseline.requestsPerSecond)} req/s p99 ${m.baseline.p99Ms} ms | ` +
        `gateway ${Math.round(m.gateway.requestsPerSecond)} req/s p99 ${m.gateway.p99Ms} ms`,
    );
    console.log(
      `ratios  throughput ${ratios.throughput} (target ≥ ${targets.throughput.min}: ${targets.throughput.pass ? 'pass' : 'FAIL'}), ` +
        `p99 ${ratios.p99} (target ≤ ${targets.p99.max}: ${targets.p99.pass ? 'pass' : 'FAIL'})`,
    );
    console.log(`written ${relative(ROOT, join(outDir, 'intake.json'))} and intake.md`);
    if (!report.valid) {
      console.error('INVALID: some requests failed or were not answered 202 (see above)');
      return 1;
    }
    return report.pass ? 0 : 3;
  } finally {
    await client?.quit();
    await redisServer?.stop();
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
