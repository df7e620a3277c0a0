/**
 * What happens to an application after the partner stored it: a decision after a delay (or never),
 * the national 10-day lapse (compressed), local reporting for guangdong/fujian, and the callback
 * each step sends. Timers are tracked so close() leaves nothing running.
 */
import type { CallbackType } from '../callback.js';
import type { CallbackSender } from './callbacks.js';
import { decisionSchema, type Decision, type SimRecord } from './types.js';

export const DEFAULT_REJECT_REASON = '经审核，该团员不属于本组织接收范围';

export interface LifecycleOptions {
  target: string;
  records: Map<string, SimRecord>;
  sender: CallbackSender;
  decision: Decision;
  /** guangdong/fujian: member reports this long after approval; undefined = only via control. */
  localReportDelayMs?: number | undefined;
  localReport: boolean;
  /** national: undecided applications lapse after this long. */
  expireAfterMs?: number | undefined;
  /** national: does approving this record create the member's account? */
  createsAccount?: (record: SimRecord) => boolean;
  /** The partner's own extra fields inside a callback's `data`. */
  extras: (record: SimRecord, type: CallbackType) => Record<string, unknown>;
  /** The partner's clock; tests move it to reach the 10-day lapse without waiting. */
  now?: () => Date;
}

export type WithdrawOutcome = 'withdrawn' | 'not_found' | 'decided' | 'irreversible';

export class Lifecycle {
  private decision: ReturnType<typeof decisionSchema.parse>;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Members who will not report locally on their own (the demo's overdue example). */
  private readonly forgetful = new Set<string>();

  readonly now: () => Date;

  constructor(private readonly o: LifecycleOptions) {
    this.decision = decisionSchema.parse(o.decision);
    this.now = o.now ?? (() => new Date());
  }

  /**
   * Lapses every undecided application older than expireAfterMs on the partner's clock. The timer set
   * at admission does this in real time; this catches up when the clock was moved (or a timer could
   * not be set for that long) — the partner checks before it answers about an application.
   */
  expireLapsed(): void {
    if (this.o.expireAfterMs === undefined) return;
    const cutoff = this.now().getTime() - this.o.expireAfterMs;
    for (const record of this.o.records.values()) {
      if (record.status === 'pending' && record.createdAt.getTime() <= cutoff) this.expire(record.requestId);
    }
  }

  setDecision(decision: Decision): void {
    this.decision = decisionSchema.parse(decision);
  }

  /** A new record: schedule its decision and, for national, its lapse. */
  admit(record: SimRecord): void {
    const { mode, delayMs, reason } = this.decision;
    if (mode !== 'never') {
      this.later(delayMs, () => this.decide(record.requestId, mode, reason));
    }
    // setTimeout holds at most ~24.8 days; longer lapses are left to expireLapsed().
    if (this.o.expireAfterMs !== undefined && this.o.expireAfterMs < 2 ** 31 - 1) {
      this.later(this.o.expireAfterMs, () => this.expire(record.requestId));
    }
  }

  decide(requestId: string, outcome: 'approve' | 'reject', reason?: string): boolean {
    const record = this.pending(requestId);
    if (!record) return false;
    const now = this.now();
    record.decidedAt = now;
    record.updatedAt = now;
    if (outcome === 'reject') {
      record.status = 'rejected';
      record.reason = reason ?? DEFAULT_REJECT_REASON;
      this.emit(record, 'transfer.rejected');
      return true;
    }
    record.status = 'approved';
    this.emit(record, 'transfer.approved');
    if (this.o.createsAccount?.(record)) {
      record.accountCreated = true;
      this.emit(record, 'member.account_created');
    }
    if (this.o.localReport && this.o.localReportDelayMs !== undefined) {
      this.later(this.o.localReportDelayMs, () => {
        if (!this.forgetful.has(requestId)) this.completeLocalReport(requestId);
      });
    }
    return true;
  }

  /** This member forgets to report locally: only control.completeLocalReport will do it. */
  holdLocalReport(requestId: string): boolean {
    if (!this.o.localReport || !this.o.records.has(requestId)) return false;
    this.forgetful.add(requestId);
    return true;
  }

  completeLocalReport(requestId: string): boolean {
    const record = this.o.records.get(requestId);
    if (!this.o.localReport || record?.status !== 'approved') return false;
    record.status = 'reported';
    record.reportedAt = record.updatedAt = this.now();
    this.emit(record, 'member.local_report_completed');
    return true;
  }

  expire(requestId: string): boolean {
    const record = this.pending(requestId);
    if (!record) return false;
    record.status = 'expired';
    record.updatedAt = this.now();
    this.emit(record, 'transfer.expired');
    return true;
  }

  withdraw(requestId: string): WithdrawOutcome {
    const record = this.o.records.get(requestId);
    if (!record) return 'not_found';
    if (record.status === 'withdrawn') return 'withdrawn'; // asking twice is fine
    if (record.irreversible) return 'irreversible';
    if (record.status !== 'pending') return 'decided';
    record.status = 'withdrawn';
    record.updatedAt = this.now();
    return 'withdrawn';
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private pending(requestId: string): SimRecord | undefined {
    const record = this.o.records.get(requestId);
    return record?.status === 'pending' ? record : undefined;
  }

  private emit(record: SimRecord, type: CallbackType): void {
    this.o.sender.send({
      requestId: record.requestId,
      webhookId: `msg_${this.o.target}_${record.partnerRef}_${type.replace('.', '_')}`,
      type,
      data: {
        transferId: record.requestId,
        partnerRef: record.partnerRef,
        ...(type === 'transfer.rejected' && record.reason ? { reason: record.reason } : {}),
        ...this.o.extras(record, type),
      },
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
