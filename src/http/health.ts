/**
 * /healthz: the process is alive. /readyz: it can do its work — Redis answers, and Redis will not
 * silently evict queue data (BullMQ needs `maxmemory-policy noeviction`; anything else loses jobs
 * under memory pressure, so the gateway refuses readiness and says why). On a cluster every primary
 * holds some of the data (the queues spread over them), so every primary is asked.
 */
import { Router } from 'express';
import { primaries, type RedisClient, type RedisNode, type TopologyView } from '../redis.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: string | Record<string, unknown> }>;
}

export function redisReadiness(
  redis: RedisClient,
  status?: { available: boolean; states(): Record<string, boolean> },
  topology?: { refresh(): Promise<TopologyView> },
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
      const evicting = await evictionProblem(redis);
      if (evicting) return { ok: false, detail: evicting };
      if (!topology) return { ok: true };
      // A connection left on a demoted primary (now a replica) cannot write: not ready until it follows.
      const view = await topology.refresh();
      if (view.role !== 'master') {
        return {
          ok: false,
          detail: { ...view, problem: `the server written to is a ${view.role}, not the primary` },
        };
      }
      return { ok: true, detail: { ...view } };
    },
  };
}

/** Why a primary may evict data (its maxmemory-policy is not noeviction), or undefined when none may. */
async function evictionProblem(redis: RedisClient): Promise<string | undefined> {
  const nodes = primaries(redis);
  const policies = await Promise.all(nodes.map((node) => evictionPolicy(node)));
  const bad = policies.findIndex((policy) => policy !== 'noeviction');
  if (bad < 0) return undefined;
  const where = nodes.length > 1 ? ` on ${describeNode(nodes[bad])}` : '';
  return `Redis maxmemory-policy is ${policies[bad] ?? 'unknown'}${where}; it must be noeviction or queued jobs can be evicted`;
}

/** INFO rather than CONFIG GET: managed Redis services often rename or disable CONFIG. */
async function evictionPolicy(node: RedisNode): Promise<string | undefined> {
  const info = await node.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

function describeNode(node: RedisNode | undefined): string {
  return `${node?.options.host ?? '?'}:${node?.options.port ?? '?'}`;
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
