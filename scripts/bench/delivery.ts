/**
 * The delivery benchmark, every figure a ratio measured in the same run on the same Redis:
 *
 *  - drain: N accepted national transfers moved to `submitted` by one gateway worker process (ROLE=worker,
 *    DELIVERY_CONCURRENCY=C) against the national simulator answering at once (name check + submission,
 *    two partner requests each), versus a bare BullMQ worker doing nothing with the same N jobs and
 *    concurrency. Both start on a paused backlog; the clock runs from resume to the last job done.
 *    Target: gateway ≥ 0.7 × baseline.
 *  - partner-limited drain: with RATE_LIMIT_GUANGDONG=L and the Guangdong simulator limiting itself to
 *    L requests/s, a backlog of 20 × L transfers; the achieved rate from the partner's own clock (first to
 *    last stored application). Target: ≥ 0.98 × L, and the simulator counts zero 429s.
 *
 *   node --import tsx scripts/bench/delivery.ts [--transfers 3000] [--concurrency 8] [--rounds 2]
 *     [--limit 50] [--out bench-results]
 */
import { builtInPartners } from '../../adapters/registry.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startGuangdongSimulator } from '../../adapters/guangdong/simulator.js';
import { startNationalSimulator } from '../../adapters/national/simulator.js';
import { deliveryJobOptions } from '../../queues/options.js';
import { loadDotenvFile } from '../lib/dotenv.js';
import { freePort, redisVersion, startRedis } from '../lib/redis-server.js';
import {
  API_KEY,
  gatewayEnv,
  machine,
  median,
  ROOT,
  round2,
  startChild,
  stopChild,
  transferBody,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    transfers: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    limit: { type: 'string', default: '50' },
    out: { type: 'string', default: 'bench-results' },
  },
});
const N = Number(args.transfers);
const C = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const L = Number(args.limit);
const demo = loadDotenvFile(join(ROOT, '.env.example'));
const quiet = { warn: () => undefined };
const PREFIX = 'bench-dlv';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Posts n transfers through a gateway API process (50 at a time) while the target queue is paused. */
async function ingest(
  redisUrl: string,
  env: Record<string, string>,
  n: number,
  destination: { provinceCode: string; orgFullName: string },
) {
  const port = await freePort();
  const api = await startChild(
    'src/main.ts',
    gatewayEnv({ ...env, REDIS_URL: redisUrl, REDIS_PREFIX: PREFIX, ROLE: 'api', PORT: String(port) }),
    {
      url: `http://127.0.0.1:${port}/readyz`,
    },
  );
  try {
    let next = 0;
    const lane = async () => {
      while (next < n) {
        const i = next++;
        const res = await fetch(`http://127.0.0.1:${port}/v1/transfers`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${API_KEY}`,
            'content-type': 'application/json',
            'idempotency-key': `dlv-${i}`,
          },
          body: transferBody(i, destination),
        });
        if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
      }
    };
    await Promise.all(Array.from({ length: 50 }, lane));
  } finally {
    await stopChild(api);
  }
}

async function startWorker(redisUrl: string, env: Record<string, string>) {
  const port = await freePort();
  return startChild(
    'src/main.ts',
    gatewayEnv({
      ...env,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: PREFIX,
      ROLE: 'worker',
      WORKERS: 'delivery',
      PORT: String(port),
      DELIVERY_CONCURRENCY: String(C),
    }),
    { url: `http://127.0.0.1:${port}/readyz` },
    (line) => console.log(`    [worker] ${line}`),
    // e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the worker
    (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  );
}

async function gatewayDrain(client: Redis, redisUrl: string): Promise<number> {
  await client.flushall();
  const simPort = await freePort();
  const sim = await startNationalSimulator({
    port: simPort,
    gatewayUrl: 'http://127.0.0.1:9',
    callbackSecret: (demo.CALLBACK_SECRETS_NATIONAL ?? '').split(',')[0] ?? '',
    credentials: { clientId: demo.NATIONAL_CLIENT_ID ?? '', clientSecret: demo.NATIONAL_CLIENT_SECRET ?? '' },
    decision: { mode: 'never' },
    logger: quiet,
  });
  const env = { NATIONAL_BASE_URL: sim.url, RATE_LIMIT_NATIONAL: '10000' };
  const queue = new Queue(builtInPartners.get('national').queue, { connection: client, prefix: PREFIX });
  try {
    await queue.pause();
    await ingest(redisUrl, env, N, { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' });
    const worker = await startWorker(redisUrl, env);
    try {
      const t0 = performance.now();
      await queue.resume();
      await until(
        async () => (await client.zcard(`${PREFIX}:idx:st:submitted:national`)) >= N,
        'gateway drain',
      );
      const seconds = (performance.now() - t0) / 1000;
      if (sim.state.records.size !== N)
        throw new Error(`the partner holds ${sim.state.records.size} records, not ${N}`);
      return N / seconds;
    } finally {
      await stopChild(worker);
    }
  } finally {
    await queue.close();
    await sim.close();
  }
}

async function baselineDrain(client: Redis, redisUrl: string): Promise<number> {
  await client.flushall();
  const queue = new Queue('noop', { connection: client, prefix: 'bench-noop' });
  try {
    await queue.pause();
    for (let i = 0; i < N; i += 500) {
      const batch = Array.from({ length: Math.min(500, N - i) }, (_, k) => ({
        name: 'deliver',
        data: { transferId: `trf_${i + k}` },
        opts: { ...deliveryJobOptions, jobId: `trf_${i + k}-g1` },
      }));
      await queue.addBulk(batch);
    }
    const worker = await startChild(
      'scripts/bench/noop-worker.ts',
      {
        ...process.env,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: 'bench-noop',
        QUEUE: 'noop',
        CONCURRENCY: String(C),
      },
      { line: /ready/ },
    );
    try {
      const t0 = performance.now();
      await queue.resume();
      await until(
        async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= N,
        'baseline drain',
      );
      return N / ((performance.now() - t0) / 1000);
    } finally {
      await stopChild(worker);
    }
  } finally {
    await queue.close();
  }
}

async function limitedDrain(client: Redis, redisUrl: string) {
  await client.flushall();
  const n = 20 * L;
  const sim = await startGuangdongSimulator({
    port: await freePort(),
    gatewayUrl: 'http://127.0.0.1:9',
    callbackSecret: (demo.CALLBACK_SECRETS_GUANGDONG ?? '').split(',')[0] ?? '',
    credentials: { appId: demo.GUANGDONG_APP_ID ?? '', appSecret: demo.GUANGDONG_APP_SECRET ?? '' },
    decision: { mode: 'never' },
    rateLimit: { perSecond: L },
    logger: quiet,
  });
  const env = { GUANGDONG_BASE_URL: sim.url, RATE_LIMIT_GUANGDONG: String(L) };
  const queue = new Queue(builtInPartners.get('guangdong').queue, { connection: client, prefix: PREFIX });
  try {
    await queue.pause();
    await ingest(redisUrl, env, n, { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' });
    const worker = await startWorker(redisUrl, env);
    try {
      await queue.resume();
      await until(
        async () => (await client.zcard(`${PREFIX}:idx:st:awaiting_local_report:guangdong`)) >= n,
        'limited drain',
      );
    } finally {
      await stopChild(worker);
    }
    const times = [...sim.state.records.values()].map((r) => r.createdAt.getTime()).sort((a, b) => a - b);
    const spanS = ((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / 1000;
    return {
      transfers: n,
      records: times.length,
      achievedPerSecond: round2((n - 1) / spanS),
      limit: L,
      partner429s: sim.state.counts.rateLimited,
    };
  } finally {
    await queue.close();
    await sim.close();
  }
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tgw-bench-dlv-'));
  const redis = await startRedis({ dir, loglevel: 'warning' });
  const client = new Redis(redis.url);
  try {
    const redisVer = await redisVersion(redis.port);
    console.log(`delivery benchmark: ${N} transfers, concurrency ${C}, ${ROUNDS} rounds; Redis ${redisVer}`);
    const runs: { subject: string; round: number; perSecond: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const subject of ['baseline', 'gateway'] as const) {
        process.stdout.write(`  round ${round}/${ROUNDS} ${subject.padEnd(8)} ... `);
        const perSecond =
          subject === 'baseline'
            ? await baselineDrain(client, redis.url)
            : await gatewayDrain(client, redis.url);
        runs.push({ subject, round, perSecond: round2(perSecond) });
        console.log(`${Math.round(perSecond)} jobs/s`);
      }
    }
    process.stdout.write(`  partner-limited drain at ${L} requests/s, ${20 * L} transfers ... `);
    const limited = await limitedDrain(client, redis.url);
    console.log(`${limited.achievedPerSecond}/s, ${limited.partner429s} partner 429s`);

    const baseline = median(runs.filter((r) => r.subject === 'baseline').map((r) => r.perSecond));
    const gateway = median(runs.filter((r) => r.subject === 'gateway').map((r) => r.perSecond));
    const drainRatio = round2(gateway / baseline);
    const limitRatio = round2(limited.achievedPerSecond / L);
    const report = {
      benchmark: 'delivery',
      date: new Date().toISOString(),
      settings: { transfers: N, concurrency: C, rounds: ROUNDS, partnerLimitPerSecond: L },
      machine: machine(redisVer),
      drain: {
        baselinePerSecond: round2(baseline),
        gatewayPerSecond: round2(gateway),
        ratio: drainRatio,
        target: 0.7,
        pass: drainRatio >= 0.7,
      },
      limited: {
        ...limited,
        ratio: limitRatio,
        target: 0.98,
        pass: limitRatio >= 0.98 && limited.partner429s === 0,
      },
      runs,
    };
    const out = resolve(ROOT, args.out);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'delivery.json'), `${JSON.stringify(report, null, 2)}\n`);
    const mark = (pass: boolean) => (pass ? 'pass' : '**FAIL**');
    const m = report.machine;
    writeFileSync(
      join(out, 'delivery.md'),
      [
        '# Delivery benchmark',
        '',
        `${report.date} · ${m.cpuModel}, ${m.cores} cores · ${m.os} · Node ${m.node} · Redis ${m.redis}`,
        '',
        `| | baseline | gateway | ratio | target | |`,
        '| --- | ---: | ---: | ---: | --- | --- |',
        `| drain, jobs/s (median of ${ROUNDS}; ${N} transfers, concurrency ${C}) | ${Math.round(baseline)} (no-op worker) | ${Math.round(gateway)} (national: name check + submit) | ${drainRatio} | ≥ 0.7 | ${mark(report.drain.pass)} |`,
        `| partner-limited drain, requests/s (${limited.transfers} transfers) | ${L} (the partner's limit) | ${limited.achievedPerSecond} | ${limitRatio} | ≥ 0.98, no 429 (${limited.partner429s}) | ${mark(report.limited.pass)} |`,
        '',
      ].join('\n'),
    );
    console.log(
      `drain ratio ${drainRatio} (target ≥ 0.7), limited ${limitRatio} × L with ${limited.partner429s} 429s; written ${args.out}/delivery.{json,md}`,
    );
    return report.drain.pass && report.limited.pass ? 0 : 3;
  } finally {
    await client.quit();
    await redis.stop();
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
