/**
 * /healthz: the process is alive. /readyz: it can do its work — Redis answers, and Redis will not
 * silently evict queue data (BullMQ needs `maxmemory-policy noeviction`; anything else loses jobs
 * under memory pressure, so the gateway refuses readiness and says why).
 */
import { Router } from 'express';
import type { Redis } from 'ioredis';

export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: string | Record<string, unknown> }>;
}

export function redisReadiness(
  redis: Redis,
  status?: { available: boolean; states(): Record<string, boolean> },
): ReadinessCheck {
  return {
    name: 'redis',
    async check() {
      // Known down: say so at once (and which connections), rather than wait for a command to fail.
      if (status && !status.available) {
        const down = Object.entries(status.states())
          .filter(([, up]) => !up)
          .map(([name]) => name);
        return { ok: false, detail: `Redis unreachable (connections down: ${down.join(', ')})` };
      }
      // INFO rather than CONFIG GET: managed Redis services often rename or disable CONFIG.
      const info = await redis.info('memory');
      const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
      if (policy !== 'noeviction') {
        return {
          ok: false,
          detail: `Redis maxmemory-policy is ${policy ?? 'unknown'}; it must be noeviction or queued jobs can be evicted`,
        };
      }
      return { ok: true };
    },
  };
}

/**
 * Each partner's breaker as this process sees it. Informational: an open breaker is the partner's
 * trouble, and the gateway keeps accepting (and queueing) transfers, so it never makes a process unready.
 */
export function breakerReadiness(states: () => Record<string, string>): ReadinessCheck {
  return {
    name: 'partners',
    check: () => Promise.resolve({ ok: true, detail: states() }),
  };
}

export function healthRoutes(checks: readonly ReadinessCheck[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          const r = await withTimeout(c.check(), 2_000);
          return [c.name, r] as const;
        } catch (err) {
          return [
            c.name,
            { ok: false, detail: err instanceof Error ? err.message : 'check failed' },
          ] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r.ok);
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
  });
  return router;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
