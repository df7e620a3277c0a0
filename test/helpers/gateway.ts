/** Start the whole gateway in-process on a free port against the test Redis, and talk to it over HTTP. */
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { testEnv } from './env.js';

export const KEYS = {
  beijing: 'demo-beijing-key-0123456789',
  ops: 'demo-ops-key-0123456789abc',
  reader: 'demo-reader-key-0123456789',
} as const;

export interface TestGateway extends Gateway {
  url: string;
  /** Every log line the gateway wrote, as text. */
  logs: string[];
}

export async function startTestGateway(
  env: Record<string, string | undefined> = {},
  options: GatewayOptions = {},
): Promise<TestGateway> {
  const config = loadConfig(testEnv({ LOG_LEVEL: 'debug', ...env }), options.registry);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  // The gateway's own logger (with its redaction) writing to memory, so tests can read what it logs.
  const log = options.log ?? createLogger(config.LOG_LEVEL, {}, sink);
  const gateway = await startGateway(config, { ...options, log });
  if (!gateway.url) throw new Error('the test gateway must serve HTTP (ROLE api or all)');
  return Object.assign(gateway, { url: gateway.url, logs });
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let payload: string | undefined = options.raw;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** The first callback secret of a partner, as the gateway was configured. */
export function callbackSecret(gw: { config: Config }, partner: string): string {
  const secret = gw.config.partners[partner]?.callbackSecrets[0];
  if (!secret) throw new Error(`no callback secret for partner ${partner}`);
  return secret;
}
