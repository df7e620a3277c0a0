/**
 * The partners as the core uses them: one adapter per registered partner (built by its descriptor from
 * its parsed configuration), each behind its shared rate limit and its circuit breaker. Built once per
 * process from the configuration and the registry.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { RedisClient } from './redis.js';
import { UnknownPartnerError } from '../adapters/partner.js';
import type { PartnerRegistry } from '../adapters/registry.js';
import type { Config } from './config/index.js';
import { PartnerCaller, type BreakerSettings, type CallObserver } from './delivery/partner-caller.js';
import type { Partner, PartnerSet } from './delivery/partner-set.js';
import { PartnerRateLimiter } from './delivery/rate-limiter.js';
import type { Logger } from './log.js';
import { keyspace } from './redis-topology.js';

export interface Partners extends PartnerSet {
  breaker: BreakerSettings;
  shutdown(): void;
}

export function buildPartners(
  config: Config,
  registry: PartnerRegistry,
  redis: RedisClient,
  log: Logger,
  observer?: CallObserver,
): Partners {
  // Keep-alive: a season's worth of requests should not pay a TCP handshake each.
  const http = axios.create({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 128 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 128 }),
  });
  const breaker: BreakerSettings = {
    errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: config.BREAKER_RESET_MS,
    rollingWindowMs: config.BREAKER_WINDOW_MS,
    callTimeoutMs: config.PARTNER_TIMEOUT_MS + 1_000,
  };
  // The limits live beside the store's keys: `<prefix>:ratelimit:<id>` on one server (as always), in
  // the store's hash tag on a cluster, so every key of the gateway's own is found under one tag.
  const keyPrefix = keyspace(config.redis, config.REDIS_PREFIX).store;
  const byId = new Map<string, Partner>();
  for (const d of registry.all()) {
    const settings = config.partners[d.id];
    if (!settings) throw new UnknownPartnerError(d.id, Object.keys(config.partners));
    const limiter = new PartnerRateLimiter(redis, `${keyPrefix}:ratelimit:${d.id}`, settings.rateLimit);
    byId.set(d.id, {
      id: d.id,
      label: d.label,
      adapter: d.createAdapter(settings.config, http),
      caller: new PartnerCaller(d.id, breaker, limiter, log, observer),
      capabilities: d.capabilities,
      queue: d.queue,
      ...(d.memberPortal ? { memberPortal: d.memberPortal } : {}),
    });
  }
  const ids = [...byId.keys()];
  return {
    ids,
    breaker,
    has: (id) => byId.has(id),
    get(id) {
      const p = byId.get(id);
      if (!p) throw new UnknownPartnerError(id, ids);
      return p;
    },
    all: () => [...byId.values()],
    shutdown() {
      for (const p of byId.values()) p.caller.shutdown();
    },
  };
}
