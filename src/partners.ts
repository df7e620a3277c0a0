/**
 * The partners as the core uses them: one adapter per target (from the registry), each behind its
 * shared rate limit and its circuit breaker. Built once per process from the configuration.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { Redis } from 'ioredis';
import type { TransferAdapter } from '../adapters/adapter.js';
import { createAdapters } from '../adapters/registry.js';
import type { Config } from './config/index.js';
import { PartnerCaller, type BreakerSettings, type CallObserver } from './delivery/partner-caller.js';
import { PartnerRateLimiter } from './delivery/rate-limiter.js';
import { TARGETS, type Target } from './domain/transfer.js';
import type { Logger } from './log.js';

export interface Partners {
  adapters: Readonly<Record<Target, TransferAdapter>>;
  callers: Readonly<Record<Target, PartnerCaller>>;
  breaker: BreakerSettings;
  shutdown(): void;
}

export function buildPartners(config: Config, redis: Redis, log: Logger, observer?: CallObserver): Partners {
  // Keep-alive: a season's worth of requests should not pay a TCP handshake each.
  const http = axios.create({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 128 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 128 }),
  });
  const timeoutMs = config.PARTNER_TIMEOUT_MS;
  const adapters = createAdapters(
    {
      national: {
        baseUrl: config.NATIONAL_BASE_URL,
        clientId: config.NATIONAL_CLIENT_ID,
        clientSecret: config.NATIONAL_CLIENT_SECRET,
        timeoutMs,
      },
      guangdong: {
        baseUrl: config.GUANGDONG_BASE_URL,
        appId: config.GUANGDONG_APP_ID,
        appSecret: config.GUANGDONG_APP_SECRET,
        timeoutMs,
      },
      fujian: {
        baseUrl: config.FUJIAN_BASE_URL,
        appId: config.FUJIAN_APP_ID,
        appKey: config.FUJIAN_APP_KEY,
        timeoutMs,
      },
    },
    http,
  );
  const rates: Record<Target, number> = {
    national: config.RATE_LIMIT_NATIONAL,
    guangdong: config.RATE_LIMIT_GUANGDONG,
    fujian: config.RATE_LIMIT_FUJIAN,
  };
  const breaker: BreakerSettings = {
    errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: config.BREAKER_RESET_MS,
    rollingWindowMs: config.BREAKER_WINDOW_MS,
    callTimeoutMs: config.PARTNER_TIMEOUT_MS + 1_000,
  };
  const callers = Object.fromEntries(
    TARGETS.map((t) => {
      const limiter = new PartnerRateLimiter(redis, `${config.REDIS_PREFIX}:ratelimit:${t}`, rates[t]);
      return [t, new PartnerCaller(t, breaker, limiter, log, observer)];
    }),
  ) as Record<Target, PartnerCaller>;
  return {
    adapters,
    callers,
    breaker,
    shutdown() {
      for (const c of Object.values(callers)) c.shutdown();
    },
  };
}
