/**
 * The transfer and its lifecycle. Pure: no I/O. The state machine here is the single authority on
 * which state may follow which; the store applies it atomically.
 */
/**
 * A partner id: which partner system holds a transfer's destination. The partners are registered in
 * adapters/registry.ts; the core knows them only by id and by what they can do (their capabilities).
 */
export type Target = string;

/** What a partner id looks like (lower case, as in URLs and metric labels). */
export const PARTNER_ID = /^[a-z][a-z0-9-]{1,31}$/;

export const STATES = [
  'accepted',
  'submitted',
  'awaiting_local_report',
  'completed',
  'rejected',
  'failed',
  'cancelled',
  'expired',
] as const;
export type TransferState = (typeof STATES)[number];

/**
 * Which states may follow each state. The terminal ones (completed, rejected, failed, cancelled,
 * expired) have none, except an operator's retry of `failed`. A partner may decide before its answer
 * to our submission arrives, so an accepted transfer can reach any partner outcome directly.
 */
export const TRANSITIONS: Readonly<Record<TransferState, readonly TransferState[]>> = {
  accepted: ['submitted', 'awaiting_local_report', 'completed', 'rejected', 'expired', 'failed', 'cancelled'],
  submitted: ['completed', 'rejected', 'expired', 'cancelled', 'failed'],
  awaiting_local_report: ['completed', 'rejected', 'cancelled', 'expired'],
  completed: [],
  rejected: [],
  failed: ['accepted'], // POST /v1/transfers/{id}/retry, scope ops
  cancelled: [],
  expired: [],
};

/**
 * The states a transfer ends in. From the moment it reaches one, its retention windows run
 * (PII_RETENTION_DAYS, then RECORD_RETENTION_DAYS); an operator's retry of `failed` stops them.
 */
export const TERMINAL_STATES = ['completed', 'rejected', 'failed', 'cancelled', 'expired'] as const;

export function isTerminal(state: TransferState): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

export function canTransition(from: TransferState, to: TransferState): boolean {
  return TRANSITIONS[from].includes(to);
}

export type EventSource = 'api' | 'worker' | 'callback' | 'reconciliation' | 'operator';

export interface TransferEvent {
  at: string;
  type: string;
  source: EventSource;
  detail?: Record<string, unknown>;
}

export const REASON_KINDS = [
  'further_study',
  'employed_with_org',
  'employed_without_org',
  'not_placed',
  'abroad',
  'enlistment',
  'classified_unit',
  'other',
] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

/** Reasons that cannot be withdrawn once submitted (docs/domain.md: 参军入伍, 涉密单位). */
export const IRREVERSIBLE_REASONS: ReadonlySet<ReasonKind> = new Set(['enlistment', 'classified_unit']);
