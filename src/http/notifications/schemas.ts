/** /v1/notifications: query and body schemas (plain, so they can be published in the OpenAPI document). */
import { z } from 'zod';

export const NOTIFICATION_STATUSES = ['failed', 'waiting', 'delayed', 'active', 'completed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** Job ids as notificationJobId writes them: `<transfer id>-n<seq>`. */
export const NOTIFICATION_JOB_ID = /^trf_[0-9A-HJKMNP-TV-Z]{26}-n\d{1,10}$/;

export const ListNotificationsQuery = z.strictObject({
  status: z
    .enum(NOTIFICATION_STATUSES)
    .default('failed')
    .meta({ description: 'queue state; failed by default' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, 'the nextCursor of the previous page')
    .optional()
    .meta({ description: 'nextCursor from the previous page' }),
});

export const ReplayNotificationsBody = z
  .strictObject({
    ids: z
      .array(z.string().regex(NOTIFICATION_JOB_ID, 'a notification job id, e.g. trf_…-n3'))
      .min(1)
      .max(500)
      .optional()
      .meta({ description: 'job ids to replay; without it, every failed notification is replayed' }),
  })
  .meta({ description: 'optional; an empty body replays every failed notification' });
