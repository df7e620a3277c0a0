/**
 * How long the gateway keeps each thing it stores, in one place, each with the rule it follows from.
 * The code reads its bounds from here (job options, dedupe markers, the retention sweep), the README
 * and docs/operations.md show this table (test/unit/retention-rules.test.ts holds them to it), and
 * GET /v1/ops/retention answers it. Pure: no I/O.
 */

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

/**
 * A partner's callback is remembered by its webhook-id this long. Partners stop retrying one message
 * within 3 days (docs/partners.md); a repeat after that is still never applied twice (facts recorded
 * once, the state machine), it is only answered 409 instead of 204.
 */
export const CALLBACK_DEDUPE_SECONDS = 7 * DAY_S;

/**
 * A local-report reminder or overdue flag is marked this long. The mark only keeps two passes running
 * at the same moment from both sending it; the transfer itself records the reminders sent and the flag.
 */
export const LOCAL_REPORT_MARKER_SECONDS = 2 * DAY_S;

/** A finished transfer is packed (src/store/packing.ts) once nothing was written to it for this long. */
export const PACK_AFTER_MS = 5 * 60_000;

/**
 * After a sweep that purged personal data, the gateway asks Redis to rewrite its append-only file (the
 * old file still holds what was erased), at most once in this time.
 */
export const AOF_REWRITE_MIN_INTERVAL_MS = HOUR_S * 1000;

/** BullMQ's `removeOnComplete` / `removeOnFail`: keep at most `count` jobs, none older than `age` (s). */
export interface JobRetention {
  count: number;
  age?: number;
}

export const JOB_RETENTION = {
  deliveryCompleted: { count: 1_000, age: DAY_S },
  deliveryFailed: { count: 10_000, age: 7 * DAY_S },
  notificationCompleted: { count: 1_000, age: DAY_S },
  /** Exhausted notifications wait for an operator's replay; the transfer's expiry removes them. */
  notificationFailed: { count: 10_000 },
  maintenanceCompleted: { count: 100 },
  maintenanceFailed: { count: 1_000 },
} as const satisfies Record<string, JobRetention>;

export interface RetentionRule {
  what: string;
  /** With the default setting (as the README shows it). */
  kept: string;
  rule: string;
  /** The variable that sets it, when one does. */
  setting?: string;
  /** `kept` for another value of the setting. */
  keptFor?: (value: number) => string;
}

const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

/** The table of bounds (README "Data retention", docs/operations.md, GET /v1/ops/retention). */
export const RETENTION_RULES: readonly RetentionRule[] = [
  {
    what: "A finished transfer's personal data (sealed name, ID number, phone, domestic contact; the masked copies; its idempotency fingerprint)",
    kept: '90 days after the transfer finished',
    keptFor: (n) => `${days(n)} after the transfer finished`,
    rule: 'long enough to answer questions about the season’s moves; then erased (no longer than necessary). Transfers in flight are never purged',
    setting: 'PII_RETENTION_DAYS',
  },
  {
    what: 'A finished transfer (its record, events, notifications, index entries)',
    kept: '400 days after it finished',
    keptFor: (n) => `${days(n)} after it finished`,
    rule: 'one season plus an audit margin; export it before (`tgw transfers export`)',
    setting: 'RECORD_RETENTION_DAYS',
  },
  {
    what: 'Idempotency-Key of an intake request',
    kept: '72 hours (and deleted with the personal data)',
    keptFor: (n) => `${n} hour${n === 1 ? '' : 's'} (and deleted with the personal data)`,
    rule: 'longer than Beijing retries one POST (it retries a failed POST within a day)',
    setting: 'IDEMPOTENCY_TTL_HOURS',
  },
  {
    what: "A partner callback's webhook-id",
    kept: '7 days',
    rule: 'longer than a partner retries one callback (at most 3 days); a later repeat is still never applied twice',
  },
  {
    what: 'Local-report reminder and overdue markers',
    kept: '2 days (and deleted with the transfer)',
    rule: 'they only stop two passes running at once from both sending; the transfer records what was sent',
  },
  {
    what: 'A notification to Beijing',
    kept: 'until Beijing acknowledges it; an unacknowledged one until its transfer expires',
    rule: 'its job holds only ids; the record is read at each attempt and deleted once delivered',
  },
  {
    what: 'Notification jobs',
    kept: 'completed: the last 1,000, at most 1 day; failed (exhausted): until replayed or the transfer expires, at most 10,000',
    rule: 'operators see recent deliveries and replay failures; the transfer is the history',
  },
  {
    what: 'Delivery jobs',
    kept: 'completed: the last 1,000 per partner, at most 1 day; failed: 7 days, at most 10,000',
    rule: "the transfer records every attempt and outcome; a job only carries the transfer's id",
  },
  {
    what: 'Maintenance jobs',
    kept: 'the last 100 completed, 1,000 failed',
    rule: 'enough to see the recent runs of each schedule',
  },
  {
    what: 'Queue event streams (what the dashboard and listeners read)',
    kept: 'the last 10,000 events per queue',
    rule: "BullMQ's own trimming; events carry job ids and states only",
  },
  {
    what: 'Personal data in the append-only file',
    kept: 'until the rewrite the gateway requests after a purge (at most one an hour)',
    rule: 'the old file still holds what was erased; a rewrite writes only what Redis holds now',
  },
];

/** The rules with the kept times this gateway is configured with (GET /v1/ops/retention). */
export function configuredRules(
  settings: Readonly<Record<string, number>>,
): Omit<RetentionRule, 'keptFor'>[] {
  return RETENTION_RULES.map(({ keptFor, ...rule }) => {
    const value = rule.setting ? settings[rule.setting] : undefined;
    return value === undefined || !keptFor ? rule : { ...rule, kept: keptFor(value) };
  });
}
