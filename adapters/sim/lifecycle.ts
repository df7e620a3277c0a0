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
}

export type WithdrawOutcome = 'withdrawn' | 'not_found' | 'decided' | 'irreversible';

export class Lifecycle {
  private decision: ReturnType<typeof decisionSchema.parse>;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: LifecycleOptions) {
    this.decision = decisionSchema.parse(o.decision);
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
    if (this.o.expireAfterMs !== undefined) {
      this.later(this.o.expireAfterMs, () => this.expire(record.requestId));
    }
  }

  decide(requestId: string, outcome: 'approve' | 'reject', reason?: string): boolean {
    const record = this.pending(requestId);
    if (!record) return false;
    const now = new Date();
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
      this.later(this.o.localReportDelayMs, () => this.completeLocalReport(requestId));
    }
    return true;
  }

  completeLocalReport(requestId: string): boolean {
    const record = this.o.records.get(requestId);
    if (!this.o.localReport || record?.status !== 'approved') return false;
    record.status = 'reported';
    record.reportedAt = record.updatedAt = new Date();
    this.emit(record, 'member.local_report_completed');
    return true;
  }

  expire(requestId: string): boolean {
    const record = this.pending(requestId);
    if (!record) return false;
    record.status = 'expired';
    record.updatedAt = new Date();
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
    record.updatedAt = new Date();
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
