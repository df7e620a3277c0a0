/**
 * The footprint benchmark's world, in this process: the gateway (ROLE=all, real HTTP, a movable
 * business clock), every partner's simulator calling back into it, and the stand-in Beijing receiver
 * taking its notifications. Like test/helpers/world.ts, without vitest: scripts cannot import it.
 */
import type { SimulatorControl, SimulatorHandle } from '../../adapters/sim/types.js';
import { builtInPartners } from '../../adapters/registry.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { startBeijingReceiver, type BeijingReceiver } from '../beijing-receiver.js';
import { freePort } from '../lib/redis-server.js';
import { API_KEY, gatewayEnv } from './lib.js';

/**
 * Business time that the benchmark moves forward. It remembers every move, so the business time at
 * which something happened can be told from the wall time it happened at (see businessAt).
 */
export class BenchClock implements Clock {
  private offsetMs = 0;
  /** Wall time (ms) of each move and the offset from then on, oldest first. */
  private readonly moves: { wallMs: number; offsetMs: number }[] = [{ wallMs: 0, offsetMs: 0 }];

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
    this.moves.push({ wallMs: Date.now(), offsetMs: this.offsetMs });
  }

  /** The business time (ms) it was at wall time `wallMs`. */
  businessAt(wallMs: number): number {
    let lo = 0;
    let hi = this.moves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.moves[mid]?.wallMs ?? 0) <= wallMs) lo = mid;
      else hi = mid - 1;
    }
    return wallMs + (this.moves[lo]?.offsetMs ?? 0);
  }
}

export type Sim = SimulatorHandle<SimulatorControl>;

export interface World {
  gw: Gateway;
  clock: BenchClock;
  sims: Readonly<Record<string, Sim>>;
  beijing: BeijingReceiver;
  close(): Promise<void>;
}

/** Production lifecycle values (.env.example shortens them for the demo). */
export const PRODUCTION_LIFECYCLE = {
  LOCAL_REPORT_DUE_DAYS: '30',
  LOCAL_REPORT_REMINDER_DAYS: '7,14,21',
  RECONCILE_STALE_AFTER_MS: '21600000',
};

const quiet = { warn: () => undefined };

/**
 * Starts the world on `redisUrl` under `prefix`. The partners decide only when told (control.decide,
 * completeLocalReport), on the business clock. Maintenance runs when the benchmark calls it: the
 * schedules are an hour of wall time away.
 */
export async function startWorld(
  redisUrl: string,
  prefix: string,
  env: Record<string, string> = {},
): Promise<World> {
  const clock = new BenchClock();
  const partners = builtInPartners.all();
  const ports = new Map(await Promise.all(partners.map(async (d) => [d.id, await freePort()] as const)));
  const base = gatewayEnv({});
  const beijing = await startBeijingReceiver({
    port: 0,
    secret: base.NOTIFY_SECRET ?? '',
    log: () => undefined,
  });
  const config = loadConfig(
    gatewayEnv({
      ...PRODUCTION_LIFECYCLE,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      ROLE: 'all',
      PORT: '0',
      // Failures are part of the plan (an org no partner knows): only errors are worth a line.
      LOG_LEVEL: 'error',
      NOTIFY_URL: beijing.url,
      RETENTION_SWEEP_MS: '3600000',
      RECONCILE_INTERVAL_MS: '3600000',
      LOCAL_REPORT_CHECK_MS: '3600000',
      WATCHDOG_INTERVAL_MS: '3600000',
      ...Object.fromEntries(
        partners.flatMap((d) => [
          [`${d.envPrefix}_BASE_URL`, `http://127.0.0.1:${ports.get(d.id) ?? 0}`],
          [`RATE_LIMIT_${d.envPrefix}`, '5000'],
        ]),
      ),
      DELIVERY_CONCURRENCY: '16',
      ...env,
    }),
  );
  // More notifications in flight than the default 5: a simulated day's changes reach Beijing sooner.
  const gw = await startGateway(config, { clock, notify: { concurrency: 20 } });
  const started = await Promise.all(
    partners.map(async (d) => {
      const settings = config.partners[d.id];
      if (!settings) throw new Error(`no configuration for partner ${d.id}`);
      const sim = await d.startSimulator(settings.config, {
        host: '127.0.0.1',
        port: ports.get(d.id) ?? 0,
        gatewayUrl: gw.url,
        callbackSecret: settings.callbackSecrets[0] ?? '',
        decision: { mode: 'never' },
        callbackRetry: { attempts: 5, baseDelayMs: 50 },
        now: () => clock.now(),
        logger: quiet,
      });
      return [d.id, sim] as const;
    }),
  );
  const sims: Record<string, Sim> = Object.fromEntries(started);
  return {
    gw,
    clock,
    sims,
    beijing,
    async close() {
      await gw.close();
      await Promise.all([...Object.values(sims).map((s) => s.close()), beijing.close()]);
    },
  };
}

export interface Destination {
  provinceCode: string;
  orgFullName: string;
}

/** One destination each partner's directory knows, and one no directory knows (ORG_NOT_FOUND). */
export const DESTINATIONS = {
  national: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' },
  guangdong: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
  fujian: { provinceCode: '35', orgFullName: '中国共产主义青年团福建省福州市委员会' },
  unknown: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会办公室' },
} as const satisfies Record<string, Destination>;

/**
 * Posts transfers through `baseUrl` over `connections` concurrent lanes, a fresh Idempotency-Key each;
 * answers the ids in the order of `bodies`.
 */
export async function postTransfers(
  baseUrl: string,
  bodies: readonly string[],
  keyOf: (i: number) => string,
  connections = 50,
): Promise<string[]> {
  const ids: string[] = new Array<string>(bodies.length);
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const i = next++;
      const res = await fetch(`${baseUrl}/v1/transfers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': keyOf(i),
        },
        body: bodies[i],
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${text.slice(0, 300)}`);
      ids[i] = String((JSON.parse(text) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, bodies.length) }, lane));
  return ids;
}
