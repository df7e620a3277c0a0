/** /v1/ops: response shapes, as zod schemas for the OpenAPI document (plain objects: fields may be added). */
import { z } from 'zod';
import { TRANSFER_ID } from '../../domain/ids.js';
import { PARTNER_ID, TERMINAL_STATES } from '../../domain/transfer.js';
import { TransferView } from '../transfers/view-schema.js';

export const TargetParam = z
  .string()
  .regex(PARTNER_ID)
  .meta({ description: 'a partner id (GET /v1/ops/targets lists the partners this gateway has)' });

/** The queue states counted for each target (BullMQ job states). */
export const COUNTED_JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'completed',
] as const;

const count = (description: string) => z.number().int().min(0).meta({ description });

export const TargetStatus = z
  .object({
    target: TargetParam,
    paused: z.boolean().meta({
      description:
        'delivery to this target is paused by an operator: no worker process takes its jobs; new transfers wait',
    }),
    breaker: z.enum(['closed', 'open', 'half_open']).meta({
      description:
        "the partner's circuit breaker as seen by the gateway process that answered; each process keeps its own",
    }),
    breakerNextProbeMs: z.number().int().min(0).meta({
      description: 'open breaker: milliseconds until a probe may pass (same process); 0 otherwise',
    }),
    heldMs: z.number().int().min(0).meta({
      description:
        "milliseconds until any worker process takes this target's jobs again: a breaker opened in some process (or the partner's Retry-After) holds the whole queue in the store; 0 when not held",
    }),
    counts: z
      .object({
        waiting: count('queued, ready to run (also while paused)'),
        active: count('being delivered now'),
        delayed: count('waiting for a backoff or a breaker to let them through'),
        prioritized: count('queued with a priority'),
        failed: count('delivery jobs that died; their transfers are failed'),
        completed: count('kept finished jobs (trimmed over time)'),
      })
      .meta({ description: "jobs in the target's delivery queue, by state" }),
  })
  .meta({ description: "one target's delivery: paused or not, breaker state and queue depth" });

export const TargetStatusList = z
  .object({ items: z.array(TargetStatus).meta({ description: 'one per target' }) })
  .meta({ description: 'every target' });

const instantOrNull = (description: string) => z.iso.datetime().nullable().meta({ description });

export const RetentionStatusView = z
  .object({
    settings: z.object({
      piiRetentionDays: z.number().meta({ description: 'PII_RETENTION_DAYS' }),
      recordRetentionDays: z.number().meta({ description: 'RECORD_RETENTION_DAYS' }),
    }),
    lastRun: z
      .object({
        at: z.iso.datetime(),
        durationMs: count('how long it took'),
        packed: count('finished transfers packed'),
        purged: count('transfers whose personal data was erased'),
        expired: count('transfers deleted'),
        deferred: count('transfers that changed while a step ran: tried again next run'),
        errors: count('transfers a step could not handle (logged with their id)'),
      })
      .nullable()
      .meta({ description: 'the last sweep (null before the first)' }),
    totals: z.object({
      packed: count('since the store began'),
      purged: count('since the store began'),
      expired: count('since the store began'),
      aofRewrites: count('append-only file rewrites requested after purges'),
    }),
    due: z
      .object({ pack: count('to pack'), purge: count('to purge'), expire: count('to delete') })
      .meta({ description: 'transfers whose step is due now: the next run takes them' }),
    next: z.object({
      purgeAt: instantOrNull('when the oldest finished transfer still holding personal data is purged'),
      expireAt: instantOrNull('when the oldest finished transfer is deleted'),
    }),
    disk: z
      .object({
        aofRewriteDueSince: instantOrNull('a purge is waiting for the append-only file to be rewritten'),
        aofRewriteRequestedAt: instantOrNull('the last rewrite the gateway asked for'),
        aofRewriteResult: z.string().nullable().meta({ description: 'requested, or aof_off' }),
        aofRewriteError: z.string().nullable().meta({ description: 'why Redis last refused (asked again)' }),
      })
      .meta({ description: 'erased data leaves the disk when Redis rewrites its append-only file' }),
    rules: z
      .array(
        z.object({ what: z.string(), kept: z.string(), rule: z.string(), setting: z.string().optional() }),
      )
      .meta({ description: 'how long each thing the gateway stores is kept, and why' }),
  })
  .meta({ description: 'Retention: the windows, the last sweep, what is due, and every bound' });

export const FinishedTransfersQuery = z.strictObject({
  state: z.enum(TERMINAL_STATES).optional(),
  target: z.string().regex(PARTNER_ID, 'a partner id').optional().meta({ description: 'a partner id' }),
  since: z.iso.datetime().optional().meta({ description: 'finished at or after this instant' }),
  until: z.iso.datetime().optional().meta({ description: 'finished before this instant' }),
  cursor: z
    .string()
    .regex(new RegExp(`^\\d{1,16}:${TRANSFER_ID.source.slice(1, -1)}$`), 'a cursor from the previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const ExportedTransfer = TransferView.omit({ member: true }).meta({
  description:
    'A finished transfer without personal data: no member, no domestic contact in the reason; with its timeline',
});

export const FinishedTransferPage = z
  .object({
    items: z.array(ExportedTransfer).meta({ description: 'oldest finished first' }),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'pass as cursor for the next page; null on the last' }),
    scanned: count('finished transfers this page read, before the state and target filters'),
    total: count('finished transfers in the time range, before the state and target filters'),
  })
  .meta({ description: 'One page of finished transfers, for export' });
