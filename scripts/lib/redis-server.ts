/**
 * Starts a private redis-server as a child process (never daemonized), on 127.0.0.1 and a given or free
 * port, with every setting on the command line (no conf file unless `configFile` is given: Sentinel needs
 * one). Used by the test global setup, the demo, the benchmark and ./redis-topology.ts (Sentinel and
 * Cluster). `REDIS_SERVER` may name another redis-server binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { resolve } from 'node:path';

export interface StartRedisOptions {
  /** 0 or undefined: pick a free port. */
  port?: number;
  /** Working directory of the server: the AOF lands here (created if missing). */
  dir: string;
  /** Append-only file with fsync every second (default true). */
  appendonly?: boolean;
  /** Redis log level (default `notice`). */
  loglevel?: 'debug' | 'verbose' | 'notice' | 'warning';
  /** Every line Redis writes (it logs to stdout). Without it the output is only kept for error messages. */
  onOutput?: (line: string) => void;
  /**
   * Run Redis in its own process group, so a Ctrl-C in the terminal does not reach it and the caller
   * decides when it stops (the demo stops it last). Default false: it then dies with the caller's group.
   */
  detached?: boolean;
  /** How long to wait for the first PONG (default 10 s). */
  timeoutMs?: number;
  /**
   * A config file, given to redis-server before every other argument (the command line still wins over
   * it). Sentinel requires one, and CONFIG REWRITE (which Sentinel sends after changing a node's role)
   * needs one to persist anything. Default: none.
   */
  configFile?: string;
  /**
   * Run as Redis Sentinel (`--sentinel`; needs `configFile`, which Sentinel rewrites). The data settings
   * (AOF, eviction policy, snapshots) are then left off the command line. Default false.
   */
  sentinel?: boolean;
  /** Appended to the command line after every other setting, e.g. `['--replicaof', '127.0.0.1', '6379']`. */
  extraArgs?: string[];
}

export interface RedisHandle {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM: Redis flushes the AOF and exits) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export class RedisStartError extends Error {
  override name = 'RedisStartError';
}

const HOST = '127.0.0.1';

/** A port that was free a moment ago: listen on port 0, read the port, close. */
export function freePort(host = HOST): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

/** Whether something already listens on host:port (by trying to listen there ourselves). */
export function isPortTaken(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolveTaken, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolveTaken(true);
      else reject(err);
    });
    server.listen(port, host, () => server.close(() => resolveTaken(false)));
  });
}

/** One PING over a raw connection; resolves with Redis's reply line (`+PONG`, `-LOADING …`). */
export function pingOnce(port: number, host = HOST, timeoutMs = 1000): Promise<string> {
  return new Promise((resolveReply, reject) => {
    const socket = createConnection({ port, host });
    let buffer = '';
    const timer = setTimeout(() => socket.destroy(new Error('PING timed out')), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolveReply(buffer.slice(0, end));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed before a reply'));
    });
  });
}

/** INFO server over a raw connection, as a map (`redis_version`, `process_id`, …). */
export function infoServer(port: number, host = HOST, timeoutMs = 2000): Promise<Record<string, string>> {
  return new Promise((resolveInfo, reject) => {
    const socket = createConnection({ port, host });
    let buffer = '';
    const timer = setTimeout(() => socket.destroy(new Error('INFO timed out')), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const header = /^\$(\d+)\r\n/.exec(buffer);
      if (buffer.startsWith('-')) {
        clearTimeout(timer);
        socket.end();
        reject(new Error(buffer.trim()));
      } else if (header?.[1] !== undefined && buffer.length >= header[0].length + Number(header[1])) {
        clearTimeout(timer);
        socket.end();
        const fields: Record<string, string> = {};
        for (const line of buffer.slice(header[0].length).split('\r\n')) {
          const colon = line.indexOf(':');
          if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
        }
        resolveInfo(fields);
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The server's version as INFO reports it, e.g. `7.0.15`. */
export async function redisVersion(port: number, host = HOST): Promise<string> {
  return (await infoServer(port, host)).redis_version ?? 'unknown';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function redisArgs(port: number, dir: string, options: StartRedisOptions): string[] {
  // prettier-ignore
  const data = options.sentinel ? [] : [
    '--appendonly', options.appendonly === false ? 'no' : 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--save', '',
  ];
  // prettier-ignore
  return [
    ...(options.configFile !== undefined ? [resolve(options.configFile)] : []),
    ...(options.sentinel ? ['--sentinel'] : []),
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    ...data,
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--loglevel', options.loglevel ?? 'notice',
    ...(options.extraArgs ?? []),
  ];
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExited) => {
    const timer = setTimeout(() => resolveExited(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExited(true);
    });
  });
}

/**
 * If our process exits without stopping a Redis (a crash, process.exit), take it down with us. One
 * `exit` listener for every server, so that a topology of many does not trip MaxListenersExceeded.
 */
const onExit = new Set<() => void>();
process.once('exit', () => {
  for (const kill of onExit) kill();
});

async function startOnce(port: number, dir: string, options: StartRedisOptions): Promise<RedisHandle> {
  const bin = process.env.REDIS_SERVER ?? 'redis-server';
  const output: string[] = [];
  const child = spawn(bin, redisArgs(port, dir, options), {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });

  // If our process exits without stopping Redis (a crash, process.exit), take Redis down with it.
  const killOnExit = () => child.kill('SIGTERM');
  onExit.add(killOnExit);

  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      output.push(line);
      if (output.length > 50) output.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const failure = (why: string) =>
    new RedisStartError(
      `redis-server on ${HOST}:${port} (dir ${dir}) ${why}` +
        (output.length > 0 ? `; its output:\n  ${output.join('\n  ')}` : ''),
    );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      onExit.delete(killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastReply = 'no reply';
  for (;;) {
    if (spawnError) {
      onExit.delete(killOnExit);
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new RedisStartError(
        code === 'ENOENT'
          ? `${bin} not found on PATH: run scripts/ensure-deps.sh (or apt-get install redis-server)`
          : `could not start ${bin}: ${spawnError.message}`,
      );
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      onExit.delete(killOnExit);
      await sleep(20); // let the last output arrive
      throw failure(`exited (${child.exitCode ?? child.signalCode}) before answering PING`);
    }
    try {
      // Make sure it is our server answering, not another one already on this port.
      const pid = (await infoServer(port)).process_id;
      if (pid === String(child.pid)) {
        lastReply = await pingOnce(port);
        if (lastReply === '+PONG') break;
      } else {
        // Ours will most likely exit in a moment with "Address already in use".
        lastReply = `another process (pid ${pid ?? '?'}) answers on this port`;
      }
    } catch (err) {
      lastReply = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw failure(`did not answer PING within ${options.timeoutMs ?? 10_000} ms (last: ${lastReply})`);
    }
    await sleep(50);
  }

  return { url: `redis://${HOST}:${port}`, port, dir, process: child, stop };
}

export async function startRedis(options: StartRedisOptions): Promise<RedisHandle> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  if (options.port !== undefined && options.port !== 0) return startOnce(options.port, dir, options);
  // A free port can be taken between our probe and Redis's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort(), dir, options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof RedisStartError) || !/address already in use/i.test(err.message)) {
        throw err;
      }
    }
  }
}
