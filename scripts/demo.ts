/**
 * `npm run demo`: everything on one machine, with exactly the values of .env.example. Starts a local
 * Redis (data under .data/redis), then every component in COMPONENTS in order, each waited on until
 * ready, streams their logs with the component's name in front, and prints where everything is. Ctrl-C
 * (or SIGTERM) stops the components in reverse order, then Redis (its append-only file is kept), and
 * exits 0. If anything dies on its own, everything is stopped and the demo exits 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { builtInPartners } from '../adapters/registry.js';
import { configKeys, loadConfig, type Config } from '../src/config/index.js';
import { startBeijingReceiver } from './beijing-receiver.js';
import { seedDemo } from './demo-seed.js';
import { loadDotenvFile } from './lib/dotenv.js';
import { isPortTaken, startRedis, type RedisHandle } from './lib/redis-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENV_FILE = join(ROOT, '.env.example');
const REDIS_DIR = join(ROOT, '.data', 'redis');
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

/** One thing the demo runs: a child process, or something started inside this process. */
type Component = {
  name: string;
  /** Ports it listens on (on 127.0.0.1 unless `host`), checked free before anything starts. */
  ports: number[];
  host?: string;
  /** Answers 200 when the component is ready; waited for before the next component starts. */
  readyUrl?: string;
  /** Lines for the banner. */
  banner: string[];
} & (
  | { kind: 'process'; command: string; args: string[]; env: NodeJS.ProcessEnv }
  | { kind: 'inProcess'; start: (log: (line: string) => void) => Promise<{ stop(): Promise<void> }> }
);

// ---------------------------------------------------------------------------------------------------
// Output: every line prefixed with its component's name.

/** Every component's name, for colours and alignment (the components add theirs below). */
const names = ['demo', 'redis'];
const nameWidth = () => Math.max(...names.map((n) => n.length));
const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const palette = [36, 35, 33, 32, 34, 91, 96, 95];
const paint = (code: number, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);

function say(component: string, line: string): void {
  const index = Math.max(0, names.indexOf(component));
  const tag = paint(palette[index % palette.length] ?? 36, component.padEnd(nameWidth()));
  process.stdout.write(`${tag} | ${line}\n`);
}

/** Pino's JSON lines as `12:00:01 INFO  message {other fields}`; any other line as it is. */
function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const { time, level, msg, service: _s, role: _r, pid: _p, hostname: _h, ...rest } = record;
    const clock = typeof time === 'string' ? time.slice(11, 19) : '';
    const label =
      typeof level === 'string' ? level.toUpperCase() : typeof level === 'number' ? String(level) : '';
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    const text = `${clock} ${label.padEnd(5)} ${typeof msg === 'string' ? msg : ''}${extra}`;
    return ['ERROR', 'FATAL'].includes(label) ? paint(31, text) : label === 'WARN' ? paint(33, text) : text;
  } catch {
    return line;
  }
}

function fail(message: string): never {
  say('demo', paint(31, message));
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------
// Configuration: .env.example, and nothing from the caller's environment that the gateway would read.

const demoEnv = loadDotenvFile(ENV_FILE);
const need = (key: string): string => {
  const value = demoEnv[key];
  if (value === undefined || value === '') fail(`${relative(ROOT, ENV_FILE)} has no ${key}`);
  return value;
};
const gatewayHost = need('HOST');
const gatewayPort = Number(need('PORT'));
const gatewayUrl = `http://${gatewayHost}:${gatewayPort}`;
const redisUrl = new URL(need('REDIS_URL'));
const redisPort = Number(redisUrl.port || 6379);
if (!['127.0.0.1', 'localhost'].includes(redisUrl.hostname)) {
  fail(`REDIS_URL in .env.example must point at 127.0.0.1: the demo starts its own Redis there`);
}
const notifyUrl = new URL(need('NOTIFY_URL'));
const notifyPort = Number(notifyUrl.port || 80);
if (notifyUrl.hostname !== '127.0.0.1') {
  fail(`NOTIFY_URL in .env.example must point at 127.0.0.1: the demo starts the Beijing receiver there`);
}

/** The caller's environment without any variable the gateway's configuration reads, plus .env.example. */
function componentEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of configKeys()) delete env[key];
  return { ...env, ...demoEnv, ...extra };
}

function apiKeyLines(): string[] {
  let keys: { id: string; key: string; scopes: string[] }[];
  try {
    keys = JSON.parse(need('API_KEYS')) as typeof keys;
  } catch {
    return ['(API_KEYS in .env.example is not JSON)'];
  }
  const width = Math.max(...keys.map((k) => k.id.length));
  return keys.map(
    (k) =>
      `${k.id.padEnd(width)}  ${k.scopes.join(', ').padEnd(32)}  ` +
      (k.key.startsWith('sha256:') ? '(only its sha256 is configured)' : `Bearer ${k.key}`),
  );
}

// ---------------------------------------------------------------------------------------------------
// What runs, in start order. Partner simulators (3101-3103) and the Beijing receiver (3900) go here.

// The partners come from the registry, configured by the same .env.example the gateway reads: each
// simulator listens where the gateway will look for its partner.
let config: Config;
try {
  config = loadConfig(demoEnv);
} catch (err) {
  fail(`.env.example is not a valid configuration: ${(err as Error).message}`);
}
const partners = builtInPartners.all().map((d) => {
  const settings = config.partners[d.id];
  if (!settings) fail(`.env.example configures no partner ${d.id}`);
  const url = new URL(settings.config.baseUrl);
  if (url.hostname !== '127.0.0.1') {
    fail(
      `${d.envPrefix}_BASE_URL in .env.example must point at 127.0.0.1: the demo starts a simulator there`,
    );
  }
  return { d, settings, url: url.origin, port: Number(url.port || 80) };
});
/** The simulators decide on their own: approval after a few seconds, local reporting a little later. */
const simulated = (port: number, callbackSecret: string) => ({
  port,
  host: '127.0.0.1',
  gatewayUrl: gatewayUrl,
  callbackSecret,
  decision: { mode: 'approve' as const, delayMs: 5_000 },
  localReportDelayMs: 8_000,
});
const firstLine = (log: (line: string) => void) => ({ warn: (message: string) => log(message) });

const COMPONENTS: Component[] = [
  ...partners.map(({ d, settings, url, port }): Component => ({
    name: d.id,
    kind: 'inProcess',
    ports: [port],
    readyUrl: `${url}/__control/state`,
    start: async (log) => {
      const sim = await d.startSimulator(settings.config, {
        ...simulated(port, settings.callbackSecrets[0] ?? ''),
        logger: firstLine(log),
      });
      return { stop: () => sim.close() };
    },
    banner: [`${url}  (${d.label} simulator; faults at /__control/faults)`],
  })),
  // Before the gateway, so the first notifications have somewhere to go.
  {
    name: 'beijing',
    kind: 'inProcess',
    ports: [notifyPort],
    readyUrl: `http://127.0.0.1:${notifyPort}/healthz`,
    start: async (log) => {
      const receiver = await startBeijingReceiver({ port: notifyPort, secret: need('NOTIFY_SECRET'), log });
      return { stop: () => receiver.close() };
    },
    banner: [`${notifyUrl.href}  (stand-in Beijing receiver: verifies and prints each notification)`],
  },
  {
    name: 'gateway',
    kind: 'process',
    command: process.execPath,
    args: ['--import', 'tsx', 'src/main.ts'],
    env: componentEnv(),
    ports: [gatewayPort],
    host: gatewayHost,
    readyUrl: `${gatewayUrl}/readyz`,
    banner: [
      `${gatewayUrl}  (API and workers, ROLE=${demoEnv.ROLE ?? 'all'})`,
      `health ${gatewayUrl}/healthz · ready ${gatewayUrl}/readyz · API docs ${gatewayUrl}/openapi.json`,
      `queues ${gatewayUrl}/admin/queues (${demoEnv.OPS_USER ?? 'ops'} / ${demoEnv.OPS_PASSWORD ?? '?'})` +
        ` · metrics ${gatewayUrl}/metrics`,
    ],
  },
];
names.push(...COMPONENTS.map((c) => c.name));

// ---------------------------------------------------------------------------------------------------
// Running and stopping.

interface Running {
  name: string;
  stop(): Promise<void>;
}
const running: Running[] = [];
let stopping = false;

async function shutdown(code: number, why: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('demo', why);
    for (const item of [...running].reverse()) {
      say('demo', `stopping ${item.name}...`);
      try {
        await item.stop();
      } catch (err) {
        say('demo', paint(31, `could not stop ${item.name} cleanly: ${(err as Error).message}`));
      }
    }
    say('demo', code === 0 ? 'all stopped' : paint(31, 'all stopped (after a failure)'));
    process.exit(code);
  }
  return new Promise<never>(() => undefined); // a shutdown is already under way
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Signals the child's whole process group (it runs in its own, see spawn below). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function startProcess(component: Extract<Component, { kind: 'process' }>): Running & { child: ChildProcess } {
  // Own process group: Ctrl-C in the terminal reaches only this script, which then stops the
  // components one by one in reverse order, instead of all of them at once.
  const child = spawn(component.command, component.args, {
    cwd: ROOT,
    env: component.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (l) => say(component.name, formatLogLine(l)));
  }
  child.once(
    'error',
    (err) => void shutdown(1, paint(31, `${component.name} could not start: ${err.message}`)),
  );
  child.once('exit', (code, signal) => {
    process.off('exit', killOnExit);
    if (!stopping) {
      void shutdown(1, paint(31, `${component.name} exited unexpectedly (${signal ?? `exit code ${code}`})`));
    }
  });
  return {
    name: component.name,
    child,
    async stop() {
      if (exited(child)) return;
      signalGroup(child, 'SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        say('demo', `${component.name} did not stop within ${STOP_TIMEOUT_MS / 1000} s: killing it`);
        signalGroup(child, 'SIGKILL');
        await waitForExit(child, 5_000);
      }
    },
  };
}

async function waitUntilReady(name: string, url: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (!stopping) {
    if (child && exited(child)) return; // its exit handler is shutting everything down
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await shutdown(
        1,
        paint(31, `${name} was not ready within ${READY_TIMEOUT_MS / 1000} s (${url}: ${last})`),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function checkPortsFree(): Promise<void> {
  const wanted = [
    { name: 'redis', host: '127.0.0.1', port: redisPort },
    ...COMPONENTS.flatMap((c) =>
      c.ports.map((port) => ({ name: c.name, host: c.host ?? '127.0.0.1', port })),
    ),
  ];
  const taken = [];
  for (const w of wanted) if (await isPortTaken(w.port, w.host)) taken.push(w);
  if (taken.length > 0) {
    for (const t of taken) {
      say('demo', paint(31, `port ${t.port} (${t.name}) on ${t.host} is already in use`));
    }
    fail(
      `stop whatever holds ${taken.length > 1 ? 'them' : 'it'} (another demo? see \`ss -ltnp\`) and run the demo again`,
    );
  }
}

function printBanner(redis: RedisHandle): void {
  const label = (s: string) => `  ${s.padEnd(10)}`;
  const indent = ' '.repeat(12);
  const lines = ['', paint(1, '  The transfer gateway demo is running. Ctrl-C stops everything.'), ''];
  for (const c of COMPONENTS) {
    c.banner.forEach((line, i) => lines.push(`${i === 0 ? label(c.name) : indent}${line}`));
  }
  lines.push(`${label('redis')}${redis.url}  data in ${relative(ROOT, redis.dir)}/ (append-only file, kept)`);
  apiKeyLines().forEach((line, i) => lines.push(`${i === 0 ? label('API keys') : indent}${line}`));
  lines.push(
    '',
    `  Walk-through with curl: README.md, "Try it". Configuration: ${relative(ROOT, ENV_FILE)}.`,
    '',
  );
  const rule = paint(2, '─'.repeat(100));
  process.stdout.write(`${rule}\n${lines.join('\n')}\n${rule}\n`);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0, 'Ctrl-C: stopping everything'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM: stopping everything'));

  await checkPortsFree();

  mkdirSync(REDIS_DIR, { recursive: true });
  say('demo', `starting redis on port ${redisPort} (data in ${relative(ROOT, REDIS_DIR)})`);
  const redis = await startRedis({
    port: redisPort,
    dir: REDIS_DIR,
    detached: true, // stopped last, by us, not by the terminal's Ctrl-C
    onOutput: (l) => say('redis', l),
  });
  running.push({ name: 'redis', stop: () => redis.stop() });
  redis.process.once('exit', (code, signal) => {
    if (!stopping)
      void shutdown(1, paint(31, `redis exited unexpectedly (${signal ?? `exit code ${code}`})`));
  });

  for (const component of COMPONENTS) {
    if (stopping) return;
    say('demo', `starting ${component.name}...`);
    if (component.kind === 'process') {
      const started = startProcess(component);
      running.push(started);
      if (component.readyUrl) await waitUntilReady(component.name, component.readyUrl, started.child);
    } else {
      const handle = await component.start((line) => say(component.name, line));
      running.push({ name: component.name, stop: () => handle.stop() });
      if (component.readyUrl) await waitUntilReady(component.name, component.readyUrl);
    }
  }
  if (stopping) return;
  printBanner(redis);
  if (process.argv.includes('--seed')) {
    names.push('seed');
    const keys = JSON.parse(need('API_KEYS')) as { id: string; key: string }[];
    await seedDemo({
      gatewayUrl,
      apiKey: keys.find((k) => k.id === 'beijing')?.key ?? '',
      partners: Object.fromEntries(partners.map((p) => [p.d.id, p.url])),
      log: (line) => say('seed', line),
    });
  }
}

main().catch((err: unknown) => {
  void shutdown(1, paint(31, `demo failed: ${err instanceof Error ? err.message : String(err)}`));
});
