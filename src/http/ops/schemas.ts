/** /v1/ops: response shapes, as zod schemas for the OpenAPI document (plain objects: fields may be added). */
import { z } from 'zod';
import { PARTNER_ID } from '../../domain/transfer.js';

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
