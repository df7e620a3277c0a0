/**
 * The gateway's answers as the CLI reads them: only the fields it prints, loose objects and plain
 * strings for enums, so a gateway that adds fields or states does not break an older CLI.
 */
import { z } from 'zod';

export const ProblemWire = z.looseObject({
  status: z.number().int().optional(),
  code: z.string(),
  detail: z.string().optional(),
  errors: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
});

const TransferEvent = z.looseObject({
  at: z.string(),
  type: z.string(),
  source: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

const LastError = z.looseObject({
  code: z.string(),
  message: z.string().optional(),
  at: z.string().optional(),
  attempt: z.number().optional(),
  partnerReason: z.string().optional(),
  suggestions: z.array(z.looseObject({ orgId: z.string(), fullName: z.string() })).optional(),
});

export const TransferSummary = z.looseObject({
  id: z.string(),
  externalRef: z.string(),
  target: z.string(),
  state: z.string(),
  attempts: z.number(),
  partnerRef: z.string().nullish(),
  reason: z.looseObject({ kind: z.string() }).optional(),
  destination: z.looseObject({ provinceCode: z.string(), orgFullName: z.string() }).optional(),
  member: z.looseObject({ name: z.string().optional(), idNumber: z.string().optional() }).optional(),
  irreversible: z.boolean().optional(),
  localReport: z
    .looseObject({ status: z.string(), dueAt: z.string(), overdue: z.boolean().optional() })
    .nullish(),
  nationalAccountCreated: z.boolean().optional(),
  lastError: LastError.nullish(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TransferSummary = z.infer<typeof TransferSummary>;

export const Transfer = TransferSummary.extend({ events: z.array(TransferEvent) });
export type Transfer = z.infer<typeof Transfer>;

export const TransferPage = z.looseObject({
  items: z.array(TransferSummary),
  nextCursor: z.string().nullable(),
});

export const TargetStatus = z.looseObject({
  target: z.string(),
  paused: z.boolean(),
  breaker: z.string(),
  breakerNextProbeMs: z.number().optional(),
  heldMs: z.number().optional(),
  counts: z.record(z.string(), z.number()),
});
export type TargetStatus = z.infer<typeof TargetStatus>;

export const TargetList = z.looseObject({ items: z.array(TargetStatus) });

export const NotificationJob = z.looseObject({
  id: z.string(),
  transferId: z.string(),
  seq: z.number(),
  status: z.string(),
  attemptsMade: z.number(),
  failedReason: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  notification: z
    .looseObject({ type: z.string(), state: z.string(), previousState: z.string(), at: z.string() })
    .nullable(),
});
export type NotificationJob = z.infer<typeof NotificationJob>;

export const NotificationPage = z.looseObject({
  items: z.array(NotificationJob),
  nextCursor: z.string().nullable(),
});

export const ReplayResult = z.looseObject({ replayed: z.number() });
