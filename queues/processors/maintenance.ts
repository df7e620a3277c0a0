/**
 * The periodic work, one job name each, run by BullMQ job schedulers so that every tick is taken by
 * exactly one worker however many processes run: reconciliation with partners, local-report tracking,
 * the delivery watchdog, and the retention sweep.
 */
import type { Job } from 'bullmq';
import type { DeliveryWatchdog } from '../../src/usecases/delivery-watchdog.js';
import { trackLocalReports, type LocalReportDeps } from '../../src/usecases/local-reports.js';
import { reconcileStale, type ReconcileDeps } from '../../src/usecases/reconcile.js';
import type { RetentionSweep } from '../../src/usecases/retention.js';

export const MAINTENANCE_JOBS = ['reconcile', 'local-reports', 'watchdog', 'retention'] as const;
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number];

export interface MaintenanceDeps {
  reconcile: ReconcileDeps;
  localReports: LocalReportDeps;
  watchdog: DeliveryWatchdog;
  retention: RetentionSweep;
}

export function maintenanceProcessor(deps: MaintenanceDeps) {
  return async (job: Job): Promise<unknown> => {
    switch (job.name as MaintenanceJob) {
      case 'reconcile':
        return reconcileStale(deps.reconcile);
      case 'local-reports':
        return trackLocalReports(deps.localReports);
      case 'watchdog':
        return deps.watchdog.sweep();
      case 'retention':
        return deps.retention.sweep();
      default:
        return { ignored: job.name };
    }
  };
}
