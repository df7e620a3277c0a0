/**
 * /v1/notifications (scope ops): the Beijing notifications that are queued, in flight, or exhausted,
 * and replay of exhausted ones. Listed from the queue itself, so what operators see is what will run;
 * the view holds ids, states and times only, never personal data.
 */
import type { Job, Queue } from 'bullmq';
import { Router, type RequestHandler } from 'express';
import { jsonBody as readJsonBody } from '../body.js';
import type { NotificationJobData } from '../../../queues/names.js';
import { AppError } from '../../domain/errors.js';
import type { NotificationSummary } from '../../notify/deliver-notification.js';
import type { TransferStore } from '../../store/transfer-store.js';
import type { Authenticator } from '../auth.js';
import { parseBody, parseQuery, requireJson } from '../validation.js';
import {
  ListNotificationsQuery,
  NOTIFICATION_JOB_ID,
  ReplayNotificationsBody,
  type NotificationStatus,
} from './schemas.js';

export interface NotificationRoutesDeps {
  queue: Queue<NotificationJobData>;
  store: Pick<TransferStore, 'getNotification'>;
}

type NotificationJob = Job<NotificationJobData>;

/** A replay starts a fresh round of attempts: with the old count it would fail again at once. */
const FRESH_ATTEMPTS = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;

async function jobView(
  store: NotificationRoutesDeps['store'],
  job: NotificationJob,
  status: NotificationStatus,
) {
  const { transferId, seq } = job.data;
  // A delivered notification's record is deleted; its job's return value keeps the summary.
  const n = (await store.getNotification(transferId, seq)) ?? deliveredSummary(job.returnvalue);
  return {
    id: job.id,
    transferId,
    seq,
    status,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason || null,
    lastAttemptAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    notification: n ? { type: n.type, state: n.state, previousState: n.previousState, at: n.at } : null,
  };
}

function deliveredSummary(value: unknown): NotificationSummary | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Partial<NotificationSummary> & { kind?: string };
  if (v.kind !== 'delivered' || !v.type || !v.state || !v.previousState || !v.at) return null;
  return { type: v.type, state: v.state, previousState: v.previousState, at: v.at };
}

async function failedJob(queue: NotificationRoutesDeps['queue'], id: string): Promise<NotificationJob> {
  const job = NOTIFICATION_JOB_ID.test(id) ? await queue.getJob(id) : undefined;
  if (!job) throw new AppError('not_found', 'NOTIFICATION_NOT_FOUND', `no notification job with id ${id}`);
  const state = await job.getState();
  if (state !== 'failed') {
    throw new AppError(
      'conflict',
      'NOTIFICATION_NOT_FAILED',
      `notification ${id} is ${state}; only failed ones can be replayed`,
    );
  }
  return job;
}

function parseReplayBody(body: unknown): { ids?: string[] } {
  return parseBody(ReplayNotificationsBody, body ?? {});
}

export function notificationRoutes(
  deps: NotificationRoutesDeps,
  auth: Authenticator,
  jsonBody: readonly RequestHandler[] = readJsonBody(64 * 1024),
): Router {
  const router = Router();
  const { queue, store } = deps;

  router.get('/v1/notifications', auth.require('ops'), async (req, res) => {
    const q = parseQuery(ListNotificationsQuery, req.query);
    const start = Number(q.cursor ?? 0);
    // One extra job tells whether there is a next page. Offsets shift as jobs move; fine for an ops view.
    const jobs = (await queue.getJobs([q.status], start, start + q.limit, false)).filter(
      (j): j is NotificationJob => j !== undefined,
    );
    const page = jobs.slice(0, q.limit);
    res.json({
      items: await Promise.all(page.map((j) => jobView(store, j, q.status))),
      nextCursor: jobs.length > q.limit ? String(start + q.limit) : null,
    });
  });

  router.post('/v1/notifications/replay', auth.require('ops'), requireJson, ...jsonBody, async (req, res) => {
    const { ids } = parseReplayBody(req.body);
    if (ids) {
      // Check every id before replaying any, so a bad list changes nothing.
      const jobs = await Promise.all([...new Set(ids)].map((id) => failedJob(queue, id)));
      for (const job of jobs) await job.retry('failed', FRESH_ATTEMPTS);
      res.json({ replayed: jobs.length });
      return;
    }
    let replayed = 0;
    for (const id of await queue.getRanges(['failed'], 0, -1, true)) {
      const job = await queue.getJob(id);
      if (!job) continue; // removed meanwhile
      try {
        await job.retry('failed', FRESH_ATTEMPTS);
        replayed += 1;
      } catch (err) {
        // Replayed by someone else meanwhile is fine; anything else is a real failure.
        if ((await job.getState()) === 'failed') throw err;
      }
    }
    res.json({ replayed });
  });

  router.post('/v1/notifications/:jobId/replay', auth.require('ops'), async (req, res) => {
    const job = await failedJob(queue, String(req.params.jobId));
    await job.retry('failed', FRESH_ATTEMPTS);
    res.json({ replayed: 1 });
  });

  return router;
}
