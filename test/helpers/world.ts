/**
 * A whole world on loopback: the gateway (in-process, real HTTP, the test Redis) and the three partner
 * simulators (real express servers speaking each partner's wire format) calling back into it, plus
 * a stand-in Beijing receiver for notifications.
 */
import { startNationalSimulator, type NationalSimulatorOptions } from '../../adapters/national/simulator.js';
import { startGuangdongSimulator } from '../../adapters/guangdong/simulator.js';
import { startFujianSimulator } from '../../adapters/fujian/simulator.js';
import type { Decision } from '../../adapters/sim/types.js';
import { startBeijingReceiver } from '../../scripts/beijing-receiver.js';
import { freePort } from '../../scripts/lib/redis-server.js';
import type { GatewayOptions } from '../../src/gateway.js';
import { testEnv } from './env.js';
import { uniquePrefix } from './redis.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface WorldOptions {
  env?: Record<string, string>;
  gateway?: GatewayOptions;
  decision?: Decision;
  localReportDelayMs?: number;
  national?: Partial<Pick<NationalSimulatorOptions, 'expireAfterMs' | 'membersWithAccounts'>>;
  /** The partners' clock (e.g. the national 10-day lapse), usually the gateway's movable clock too. */
  partnerNow?: () => Date;
  /** Partners post their callbacks into the void (a closed port): only reconciliation can learn. */
  dropCallbacks?: boolean;
}

type Sim<T extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<T>>;

export interface World {
  gw: TestGateway;
  national: Sim<typeof startNationalSimulator>;
  guangdong: Sim<typeof startGuangdongSimulator>;
  fujian: Sim<typeof startFujianSimulator>;
  beijing: Awaited<ReturnType<typeof startBeijingReceiver>>;
  close(): Promise<void>;
}

const quiet = { warn: () => undefined };

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const [np, gp, fp, nowhere] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  // Each world keeps to its own keys, so one world's transfers never show up in another's sweeps.
  const env = { REDIS_PREFIX: uniquePrefix('world'), ...options.env };
  const base = testEnv(env);
  const beijing = await startBeijingReceiver({ port: 0, secret: base.NOTIFY_SECRET!, log: () => undefined });
  const gw = await startTestGateway(
    {
      NATIONAL_BASE_URL: `http://127.0.0.1:${np}`,
      GUANGDONG_BASE_URL: `http://127.0.0.1:${gp}`,
      FUJIAN_BASE_URL: `http://127.0.0.1:${fp}`,
      NOTIFY_URL: `${beijing.url}/notifications`,
      LOG_LEVEL: 'warn',
      ...env,
    },
    options.gateway,
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
  const c = gw.config;
  const [national, guangdong, fujian] = await Promise.all([
    startNationalSimulator({
      ...common,
      ...options.national,
      port: np,
      callbackSecret: c.CALLBACK_SECRETS_NATIONAL[0]!,
      credentials: { clientId: c.NATIONAL_CLIENT_ID, clientSecret: c.NATIONAL_CLIENT_SECRET },
    }),
    startGuangdongSimulator({
      ...common,
      port: gp,
      callbackSecret: c.CALLBACK_SECRETS_GUANGDONG[0]!,
      credentials: { appId: c.GUANGDONG_APP_ID, appSecret: c.GUANGDONG_APP_SECRET },
    }),
    startFujianSimulator({
      ...common,
      port: fp,
      callbackSecret: c.CALLBACK_SECRETS_FUJIAN[0]!,
      credentials: { appId: c.FUJIAN_APP_ID, appKey: c.FUJIAN_APP_KEY },
    }),
  ]);
  return {
    gw,
    national,
    guangdong,
    fujian,
    beijing,
    async close() {
      await gw.close();
      await Promise.all([national.close(), guangdong.close(), fujian.close(), beijing.close()]);
    },
  };
}

export { until } from './wait.js';
