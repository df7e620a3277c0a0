/**
 * A whole world on loopback: the gateway (in-process, real HTTP, the test Redis) and every registered
 * partner's simulator (real express servers speaking each partner's wire format) calling back into
 * it, plus a stand-in Beijing receiver for notifications. Partners come from the registry: a test may
 * bring its own registry (a partner that lives in the tests) and that partner's variables in `env`.
 */
import type { Decision, SimulatorControl, SimulatorHandle } from '../../adapters/sim/types.js';
import { builtInPartners, type PartnerRegistry } from '../../adapters/registry.js';
import { startBeijingReceiver } from '../../scripts/beijing-receiver.js';
import { freePort } from '../../scripts/lib/redis-server.js';
import type { GatewayOptions } from '../../src/gateway.js';
import { testEnv } from './env.js';
import { uniquePrefix } from './redis.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface WorldOptions {
  env?: Record<string, string>;
  /**
   * The Redis the gateway uses, as variables (default: the run's test Redis). An undefined value
   * removes the variable, e.g. `{ REDIS_URL: undefined, REDIS_CLUSTER_NODES: '127.0.0.1:7000,…' }`.
   */
  redisEnv?: Record<string, string | undefined>;
  gateway?: GatewayOptions;
  /** The partners (default: the built-in ones). */
  registry?: PartnerRegistry;
  decision?: Decision;
  localReportDelayMs?: number;
  /** Options only one partner's simulator knows, by partner id (e.g. national's lapse). */
  simulator?: Record<string, Record<string, unknown>>;
  /** The partners' clock (e.g. the national 10-day lapse), usually the gateway's movable clock too. */
  partnerNow?: () => Date;
  /** Partners post their callbacks into the void (a closed port): only reconciliation can learn. */
  dropCallbacks?: boolean;
}

type Sim = SimulatorHandle<SimulatorControl>;

export interface World {
  gw: TestGateway;
  /** Every partner's simulator, by partner id. */
  sims: Readonly<Record<string, Sim>>;
  national: Sim;
  guangdong: Sim;
  fujian: Sim;
  beijing: Awaited<ReturnType<typeof startBeijingReceiver>>;
  close(): Promise<void>;
}

const quiet = { warn: () => undefined };

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const registry = options.registry ?? builtInPartners;
  const partners = registry.all();
  const ports = new Map(await Promise.all(partners.map(async (d) => [d.id, await freePort()] as const)));
  const nowhere = await freePort();
  // Each world keeps to its own keys, so one world's transfers never show up in another's sweeps.
  const env = { REDIS_PREFIX: uniquePrefix('world'), ...options.env, ...options.redisEnv };
  const base = testEnv(env);
  const beijing = await startBeijingReceiver({
    port: 0,
    secret: base.NOTIFY_SECRET ?? '',
    log: () => undefined,
  });
  const gw = await startTestGateway(
    {
      ...Object.fromEntries(
        partners.map((d) => [`${d.envPrefix}_BASE_URL`, `http://127.0.0.1:${ports.get(d.id) ?? 0}`]),
      ),
      NOTIFY_URL: beijing.url,
      LOG_LEVEL: 'warn',
      ...env,
    },
    { ...options.gateway, registry },
  );
  const common = {
    host: '127.0.0.1',
    gatewayUrl: options.dropCallbacks ? `http://127.0.0.1:${nowhere}` : gw.url,
    decision: options.decision ?? { mode: 'never' as const },
    ...(options.localReportDelayMs === undefined ? {} : { localReportDelayMs: options.localReportDelayMs }),
    callbackRetry: { attempts: 3, baseDelayMs: 50 },
    ...(options.partnerNow ? { now: options.partnerNow } : {}),
    logger: quiet,
  };
  const started = await Promise.all(
    partners.map(async (d) => {
      const settings = gw.config.partners[d.id];
      if (!settings) throw new Error(`no configuration for partner ${d.id}`);
      const sim = await d.startSimulator(settings.config, {
        ...common,
        port: ports.get(d.id) ?? 0,
        callbackSecret: settings.callbackSecrets[0] ?? '',
        ...(options.simulator?.[d.id] ? { extra: options.simulator[d.id] } : {}),
      });
      return [d.id, sim] as const;
    }),
  );
  const sims: Record<string, Sim> = Object.fromEntries(started);
  const sim = (id: string): Sim => {
    const s = sims[id];
    if (!s) throw new Error(`this world has no partner ${id}`);
    return s;
  };
  return {
    gw,
    sims,
    get national() {
      return sim('national');
    },
    get guangdong() {
      return sim('guangdong');
    },
    get fujian() {
      return sim('fujian');
    },
    beijing,
    async close() {
      await gw.close();
      await Promise.all([...Object.values(sims).map((s) => s.close()), beijing.close()]);
    },
  };
}

export { until } from './wait.js';
