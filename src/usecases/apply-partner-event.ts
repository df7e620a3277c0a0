/**
 * What a partner's word does to a transfer, whether it came in a callback or was learnt by
 * reconciliation: one table, one transition path. Terminal states never change; a word that repeats
 * the current state is "already applied", not an error.
 */
import type { Capabilities, PartnerEventType } from '../../adapters/adapter.js';
import type { PartnerSet } from '../delivery/partner-set.js';
import type { Clock } from '../clock.js';
import type { EventSource, TransferState } from '../domain/transfer.js';
import type { StoredTransfer, TransitionOutcome, TransitionRequest } from '../store/transfer-store.js';
import { FACT, factFields } from '../store/facts.js';
import { pendingLocalReport } from './local-reports.js';
import type { Transitions } from './transitions.js';

export interface PartnerWord {
  type: PartnerEventType;
  partnerRef?: string;
  reason?: string;
  at?: string;
}

export type ApplyResult =
  | { result: 'applied'; state: TransferState; previousState: TransferState }
  | { result: 'already_applied'; state: TransferState }
  | { result: 'invalid_transition'; state: TransferState; detail: string }
  /** The transfer expired (was deleted) meanwhile. */
  | { result: 'gone' };

interface Rule {
  from: readonly TransferState[];
  /** undefined: the event is recorded without a state change. */
  to?: TransferState;
}

/** Which states each word may arrive in, and where it leads, for a partner that can do what `can` says. */
function ruleFor(can: Capabilities, type: PartnerEventType): Rule | null {
  const local = can.localReport;
  switch (type) {
    case 'approved':
      // A partner with local reporting: approval is not the end; the member must still report locally.
      return local
        ? { from: ['accepted', 'awaiting_local_report'], to: 'awaiting_local_report' }
        : { from: ['accepted', 'submitted'], to: 'completed' };
    case 'rejected':
      return { from: ['accepted', 'submitted', 'awaiting_local_report'], to: 'rejected' };
    case 'expired':
      return { from: ['accepted', 'submitted', 'awaiting_local_report'], to: 'expired' };
    case 'account_created':
      return can.accountCreation ? { from: ['accepted', 'submitted', 'completed'] } : null;
    case 'local_report_completed':
      return local ? { from: ['accepted', 'awaiting_local_report'], to: 'completed' } : null;
  }
}

/**
 * What Beijing is told when the national system created the member's account on approval: the
 * username is the member's ID number, and the default password must be changed at first login. The
 * number itself and the password are never sent (nor stored, nor logged).
 */
export const ACCOUNT_CREATED = {
  username: 'id_number',
  mustChangeDefaultPassword: true,
  message:
    '智慧团建系统已为该团员自动创建账号：用户名为本人居民身份证号，首次登录须修改初始密码。' +
    ' The national system created the member’s account: the username is the member’s ID number; the default password must be changed at first login.',
} as const;

export interface ApplyDeps {
  transitions: Transitions;
  /** What each partner can do: its words are read by its capabilities, never by its name. */
  partners: Pick<PartnerSet, 'get'>;
  clock: Clock;
  localReportDueDays: number;
}

export async function applyPartnerWord(
  deps: ApplyDeps,
  t: StoredTransfer,
  word: PartnerWord,
  source: EventSource,
  dedupe?: TransitionRequest['dedupe'],
): Promise<ApplyResult> {
  const rule = ruleFor(deps.partners.get(t.doc.target).capabilities, word.type);
  if (!rule) {
    return {
      result: 'invalid_transition',
      state: t.state,
      detail: `${t.doc.target} does not send ${word.type}`,
    };
  }
  const now = deps.clock.now().toISOString();
  const facts: Parameters<typeof factFields>[0] = {};
  if (word.partnerRef) facts.partnerRef = word.partnerRef;
  const detail: Record<string, unknown> = {
    ...(word.partnerRef ? { partnerRef: word.partnerRef } : {}),
    ...(word.reason ? { reason: word.reason } : {}),
    ...(word.at ? { partnerAt: word.at } : {}),
  };
  let notify: TransitionRequest['notify'] = { detail };
  // Facts that do not move the state are recorded once, however many reports of them arrive (several
  // webhook ids, a callback racing reconciliation): the store checks and sets the marker atomically.
  let once: string | undefined;
  let setIfAbsent: Record<string, string> | undefined;

  if (word.type === 'approved') once = FACT.partnerApprovedAt;
  if (word.type === 'account_created') {
    once = FACT.nationalAccountCreated;
    facts.nationalAccountCreated = true;
    notify = { type: 'member.account_created', detail: { ...detail, ...ACCOUNT_CREATED } };
  }
  if (rule.to === 'awaiting_local_report') {
    // Approved before our own submission was recorded: the wait for the local report starts now,
    // unless the submission already started it.
    setIfAbsent = factFields({ localReport: pendingLocalReport(deps.clock.now(), deps.localReportDueDays) });
  }
  if (word.type === 'local_report_completed') {
    const previous = t.facts.localReport ?? pendingLocalReport(deps.clock.now(), deps.localReportDueDays);
    facts.localReport = { ...previous, status: 'completed', completedAt: word.at ?? now, overdue: false };
  }
  if (word.type === 'rejected' && word.reason) facts.rejectionReason = word.reason;
  const set = factFields(facts);

  const outcome: TransitionOutcome = await deps.transitions.apply(t.doc.id, {
    from: rule.from,
    ...(rule.to ? { to: rule.to } : {}),
    event: { at: now, type: eventType(word.type), source, ...(Object.keys(detail).length ? { detail } : {}) },
    set,
    notify,
    ...(once ? { once } : {}),
    ...(setIfAbsent ? { setIfAbsent } : {}),
    ...(dedupe ? { dedupe } : {}),
  });
  if (outcome.ok) {
    return {
      result: 'applied',
      state: rule.to ?? outcome.previousState,
      previousState: outcome.previousState,
    };
  }
  if (outcome.reason === 'duplicate') return { result: 'already_applied', state: outcome.currentState };
  if (outcome.reason === 'missing') return { result: 'gone' };
  if (outcome.reason === 'refused') {
    return {
      result: 'invalid_transition',
      state: t.state,
      detail: `${word.type} cannot apply: the transfer ended and its personal data was erased; it takes no more changes`,
    };
  }
  if (rule.to && outcome.currentState === rule.to)
    return { result: 'already_applied', state: outcome.currentState };
  return {
    result: 'invalid_transition',
    state: outcome.currentState,
    detail: `${word.type} cannot apply to a transfer that is ${outcome.currentState}`,
  };
}

function eventType(type: PartnerEventType): string {
  switch (type) {
    case 'approved':
      return 'partner_approved';
    case 'rejected':
      return 'rejected';
    case 'expired':
      return 'expired';
    case 'account_created':
      return 'national_account_created';
    case 'local_report_completed':
      return 'local_report_completed';
  }
}
