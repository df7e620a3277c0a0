/** The Beijing notification processor: one use case call. A thrown error is a failed attempt. */
import type { Job } from 'bullmq';
import {
  deliverNotification,
  type NotificationDeps,
  type NotificationOutcome,
} from '../../src/notify/deliver-notification.js';
import type { NotificationJobData } from '../names.js';

export function notificationProcessor(deps: NotificationDeps) {
  return (job: Job<NotificationJobData>): Promise<NotificationOutcome> =>
    deliverNotification(deps, job.data.transferId, job.data.seq);
}
