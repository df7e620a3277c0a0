/**
 * The retention answers (/v1/ops/retention, /v1/ops/finished-transfers) as the CLI reads them, in the
 * manner of wire.ts: loose objects, plain strings, only what the CLI needs held to a shape.
 */
import { z } from 'zod';

const count = z.number();
const instant = z.string().nullable();

export const RetentionStatus = z.looseObject({
  settings: z.looseObject({ piiRetentionDays: z.number(), recordRetentionDays: z.number() }),
  lastRun: z
    .looseObject({
      at: z.string(),
      durationMs: count,
      packed: count,
      purged: count,
      expired: count,
      deferred: count,
      errors: count,
    })
    .nullable(),
  totals: z.looseObject({ packed: count, purged: count, expired: count, aofRewrites: count }),
  due: z.looseObject({ pack: count, purge: count, expire: count }),
  next: z.looseObject({ purgeAt: instant, expireAt: instant }),
  disk: z.looseObject({
    aofRewriteDueSince: instant,
    aofRewriteRequestedAt: instant,
    aofRewriteResult: z.string().nullable(),
    aofRewriteError: z.string().nullable(),
  }),
  rules: z.array(
    z.looseObject({ what: z.string(), kept: z.string(), rule: z.string(), setting: z.string().optional() }),
  ),
});
export type RetentionStatus = z.infer<typeof RetentionStatus>;

/** An exported transfer is written as the gateway sends it: only its identity is checked. */
export const ExportedTransfer = z.looseObject({ id: z.string(), state: z.string() });
export type ExportedTransfer = z.infer<typeof ExportedTransfer>;

export const FinishedTransferPage = z.looseObject({
  items: z.array(ExportedTransfer),
  nextCursor: z.string().nullable(),
  scanned: count,
  total: count,
});
