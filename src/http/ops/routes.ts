/**
 * /v1/ops (scope ops): each target's delivery status, and pausing or resuming a target's delivery;
 * retention (the windows, the last sweep, what is due) and finished transfers for export.
 *
 * A pause is BullMQ's queue-wide pause, held in Redis: every worker process stops taking that target's
 * jobs (jobs already running finish), new transfers are accepted and wait in the queue, and a resume
 * lets them run. The breaker state, by contrast, lives in each process (opossum), so it is reported as
 * this process sees it; the hold an open breaker puts on the queue is in Redis, so `heldMs` is what
 * every process sees (an API process that sends nothing still shows a worker's open breaker).
 */
import type { Queue } from 'bullmq';
import { Router } from 'express';
import type { z } from 'zod';
import type { DeliveryJobData } from '../../../queues/names.js';
import type { PartnerSet } from '../../delivery/partner-set.js';
import { AppError } from '../../domain/errors.js';
import type { Target } from '../../domain/transfer.js';
import type { Logger } from '../../log.js';
import { callerOf, type Authenticator } from '../auth.js';
import { configuredRules } from '../../domain/retention.js';
import type { RetentionStore } from '../../store/retention-store.js';
import type { TransferStore } from '../../store/transfer-store.js';
import { finishedTransfers } from '../../usecases/finished-transfers.js';
import type { RetentionSweep } from '../../usecases/retention.js';
import { parseQuery } from '../validation.js';
import { exportView } from '../transfers/view.js';
import { COUNTED_JOB_STATES, FinishedTransfersQuery, TargetParam, type TargetStatus } from './schemas.js';

export interface OpsDeps {
  queues: { queue(target: Target): Queue<DeliveryJobData> };
  partners: PartnerSet;
  log: Logger;
  retention: Pick<RetentionSweep, 'status'>;
  store: TransferStore;
  retentionStore: RetentionStore;
  /** IDEMPOTENCY_TTL_HOURS, for the bounds GET /v1/ops/retention shows. */
  idempotencyTtlHours: number;
}

function targetOf(deps: OpsDeps, raw: unknown): Target {
  const parsed = TargetParam.safeParse(raw);
  if (!parsed.success || !deps.partners.has(parsed.data)) {
    throw new AppError(
      'not_found',
      'UNKNOWN_TARGET',
      `no target called ${String(raw).slice(0, 64)}; targets are ${deps.partners.ids.join(', ')}`,
    );
  }
  return parsed.data;
}

async function targetStatus(deps: OpsDeps, target: Target): Promise<z.output<typeof TargetStatus>> {
  const queue = deps.queues.queue(target);
  const { caller } = deps.partners.get(target);
  const [paused, heldMs, raw] = await Promise.all([
    queue.isPaused(),
    queue.getRateLimitTtl(),
    queue.getJobCounts(...COUNTED_JOB_STATES),
  ]);
  const n = (state: (typeof COUNTED_JOB_STATES)[number]) => raw[state] ?? 0;
  return {
    target,
    paused,
    breaker: caller.state,
    breakerNextProbeMs: Math.round(caller.remainingOpenMs),
    heldMs: Math.max(0, Math.round(heldMs)),
    counts: {
      waiting: n('waiting'),
      active: n('active'),
      delayed: n('delayed'),
      prioritized: n('prioritized'),
      failed: n('failed'),
      completed: n('completed'),
    },
  };
}

export function opsRoutes(deps: OpsDeps, auth: Authenticator): Router {
  const router = Router();

  router.get('/v1/ops/targets', auth.require('ops'), async (_req, res) => {
    res.json({ items: await Promise.all(deps.partners.ids.map((t) => targetStatus(deps, t))) });
  });

  for (const action of ['pause', 'resume'] as const) {
    router.post(`/v1/ops/targets/:target/${action}`, auth.require('ops'), async (req, res) => {
      const target = targetOf(deps, req.params.target);
      const queue = deps.queues.queue(target);
      // Both are idempotent in BullMQ: pausing a paused queue (or resuming a running one) changes nothing.
      if (action === 'pause') await queue.pause();
      else await queue.resume();
      deps.log.info({ target, by: callerOf(res.locals).keyId }, `delivery ${action}d by an operator`);
      res.json(await targetStatus(deps, target));
    });
  }

  router.get('/v1/ops/retention', auth.require('ops'), async (_req, res) => {
    const status = await deps.retention.status();
    const rules = configuredRules({
      PII_RETENTION_DAYS: status.settings.piiRetentionDays,
      RECORD_RETENTION_DAYS: status.settings.recordRetentionDays,
      IDEMPOTENCY_TTL_HOURS: deps.idempotencyTtlHours,
    });
    res.json({ ...status, rules });
  });

  router.get('/v1/ops/finished-transfers', auth.require('ops'), async (req, res) => {
    const q = parseQuery(FinishedTransfersQuery, req.query);
    if (q.target !== undefined && !deps.partners.has(q.target)) {
      const message = `no partner ${q.target}`;
      throw new AppError('invalid', 'VALIDATION_FAILED', `query.target: ${message}`, [
        { path: 'query.target', message, code: 'VALIDATION_FAILED' },
      ]);
    }
    const page = await finishedTransfers(
      { store: deps.store, retention: deps.retentionStore },
      {
        ...(q.state ? { state: q.state } : {}),
        ...(q.target ? { target: q.target } : {}),
        ...(q.since ? { since: new Date(q.since) } : {}),
        ...(q.until ? { until: new Date(q.until) } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit: q.limit,
      },
    );
    res.json({
      items: page.items.map(exportView),
      nextCursor: page.next ?? null,
      scanned: page.scanned,
      total: page.total,
    });
  });

  return router;
}
