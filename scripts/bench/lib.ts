/** What the benchmarks share: valid transfer bodies, child processes, the machine, medians. */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { configKeys } from '../../src/config/index.js';
import { checkDigit } from '../../src/domain/id-number.js';
import { loadDotenvFile } from '../lib/dotenv.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const API_KEY = 'demo-beijing-key-0123456789';

/** A valid ID number, different for each n: region 110105, a birth date from 1995 on, sequence n % 1000. */
export function idNumber(n: number): string {
  const day = Math.floor(n / 1000) % 3650;
  const birth = new Date(Date.UTC(1995, 0, 1) + day * 86_400_000)
    .toISOString()
    .slice(0, 10)
    .replaceAll('-', '');
  const first17 = `110105${birth}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

export function transferBody(
  n: number,
  destination: { provinceCode: string; orgFullName: string } = {
    provinceCode: '44',
    orgFullName: '共青团广州市天河区委员会',
  },
): string {
  return JSON.stringify({
    externalRef: `BENCH-${n}`,
    initiator: { kind: 'member' },
    member: { name: '张三', idNumber: idNumber(n), phone: '13800000000' },
    source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
    destination,
    reason: { kind: 'employed_with_org', employerName: '广州某某科技有限公司' },
    confirmedWithMember: false,
  });
}

/** The gateway's environment: .env.example, then overrides; nothing inherited that its config reads. */
export function gatewayEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of configKeys()) delete env[key];
  return { ...env, ...loadDotenvFile(join(ROOT, '.env.example')), LOG_LEVEL: 'warn', ...overrides };
}

export interface Child {
  child: ChildProcess;
  output: string[];
}

/** Starts `node --import tsx <file>` and waits until `readyUrl` answers 200 (or a stdout line matches). */
export async function startChild(
  file: string,
  env: NodeJS.ProcessEnv,
  ready: { url?: string; line?: RegExp },
  echo?: (line: string) => void,
  nodeArgs: string[] = [],
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Should the benchmark die without stopping it, take the child down too.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const output: string[] = [];
  let sawLine = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
      if (ready.line?.test(line)) sawLine = true;
      echo?.(line);
    });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${file} exited before it was ready:\n${output.join('\n')}`);
    }
    if (ready.line && sawLine) break;
    if (ready.url) {
      try {
        if ((await fetch(ready.url, { signal: AbortSignal.timeout(1_000) })).status === 200) break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      await stopChild({ child, output });
      throw new Error(`${file} was not ready within 60 s:\n${output.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output };
}

export async function stopChild({ child }: Child): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
export const round2 = (x: number) => Math.round(x * 100) / 100;

export function machine(redis: string) {
  return {
    os: `${type()} ${release()}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: round2(totalmem() / 2 ** 30),
    node: process.versions.node,
    redis,
  };
}

/**
 * `connections` autocannon connections posting valid transfers to `url`/v1/transfers for `seconds`,
 * each with a fresh Idempotency-Key (`<keyPrefix>-<n>`, n counting across calls): the intake load of
 * the intake and replica-ack benchmarks. Returns autocannon's result, the answers by status and a few
 * samples of anything that was not a 202.
 */
export async function postTransfersFor(url: string, seconds: number, connections: number, keyPrefix: string) {
  const statusCodes: Record<string, number> = {};
  const samples: string[] = [];
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/transfers',
        setupRequest: (request) => {
          const n = postedCount++;
          return {
            ...request,
            headers: {
              authorization: `Bearer ${API_KEY}`,
              'content-type': 'application/json',
              'idempotency-key': `${keyPrefix}-${n}`,
            },
            body: transferBody(n),
          };
        },
        onResponse: (status, body) => {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status !== 202 && samples.length < 3) samples.push(`${status} ${body.slice(0, 300)}`);
        },
      },
    ],
  });
  const non202 = Object.entries(statusCodes).reduce((acc, [code, n]) => acc + (code === '202' ? 0 : n), 0);
  return { result, statusCodes, samples, non202 };
}
let postedCount = 0;

/** A benchmark option that must be an integer ≥ `min`: its value, or the process ends with a message. */
export function integerOption(name: string, raw: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min} (got "${raw}")`);
    process.exit(1);
  }
  return n;
}
