/**
 * Wires the shared simulator parts (state, callback sender, lifecycle, server) around one
 * partner's routes, so each simulator module holds only what is particular to its partner.
 */
import type { Target } from '../../src/domain/transfer.js';
import type { CallbackType } from '../callback.js';
import { CallbackSender } from './callbacks.js';
import { Lifecycle } from './lifecycle.js';
import { OrgDirectory } from './orgs.js';
import { SimServer, newCounts } from './server.js';
import type {
  BaseSimulatorOptions,
  SimRecord,
  SimulatorControl,
  SimulatorHandle,
  SimulatorState,
} from './types.js';

export interface SimContext {
  server: SimServer;
  state: SimulatorState;
  lifecycle: Lifecycle;
  orgs: OrgDirectory;
}

export interface BootSpec<C> {
  target: Target;
  options: BaseSimulatorOptions<C>;
  /** The partner's directory from fixtures, unless the options bring their own. */
  fixture: unknown;
  localReport: boolean;
  expireAfterMs?: number | undefined;
  createsAccount?: (record: SimRecord) => boolean;
  extras: (record: SimRecord, type: CallbackType) => Record<string, unknown>;
  routes: (ctx: SimContext) => void;
}

const consoleLogger = { warn: (message: string) => console.warn(message) };

export async function boot<C, X extends object>(
  spec: BootSpec<C>,
  /** Partner-specific control on top of the shared one (e.g. national's revokeTokens). */
  extraControl: (ctx: SimContext) => X,
): Promise<SimulatorHandle<SimulatorControl & X>> {
  const o = spec.options;
  const logger = o.logger ?? consoleLogger;
  const state: SimulatorState = { records: new Map(), counts: newCounts(), callbacks: [] };
  const sender = new CallbackSender({
    target: spec.target,
    gatewayUrl: o.gatewayUrl,
    secret: o.callbackSecret,
    attempts: o.callbackRetry?.attempts ?? 5,
    baseDelayMs: o.callbackRetry?.baseDelayMs ?? 200,
    logger,
    log: state.callbacks,
  });
  const lifecycle = new Lifecycle({
    target: spec.target,
    records: state.records,
    sender,
    decision: o.decision ?? { mode: 'approve', delayMs: 0 },
    localReport: spec.localReport,
    localReportDelayMs: o.localReportDelayMs,
    expireAfterMs: spec.expireAfterMs,
    ...(o.now ? { now: o.now } : {}),
    ...(spec.createsAccount ? { createsAccount: spec.createsAccount } : {}),
    extras: spec.extras,
  });
  const server = new SimServer({
    target: spec.target,
    state,
    lifecycle,
    sender,
    rateLimit: o.rateLimit,
    logger,
  });
  const orgs = o.orgs ? new OrgDirectory(o.orgs) : OrgDirectory.fromFixture(spec.fixture);
  const ctx: SimContext = { server, state, lifecycle, orgs };
  spec.routes(ctx);
  const { url, port } = await server.listen(o.port ?? 0, o.host ?? '127.0.0.1');
  return {
    url,
    port,
    state,
    control: { ...server.control(), ...extraControl(ctx) },
    close: () => server.close(),
  };
}

/** Partner refs are sequential per simulator, prefixed the partner's way. */
export function refCounter(prefix: (date: string) => string): () => string {
  let n = 0;
  return () => {
    n++;
    const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    return `${prefix(date)}${String(n).padStart(6, '0')}`;
  };
}

/** Query parameters of a raw query string, last value winning. */
export function queryParams(rawQuery: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawQuery));
}

export function parseJsonBody(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}
