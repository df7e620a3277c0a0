/**
 * The one contract every adapter implements and the core calls. Adapters import this file; this
 * file imports no adapter. Partner field names never cross it: answers and callbacks become the
 * types below at each adapter's boundary, and failures become the errors in ./errors.ts.
 */
import type { Target } from '../src/domain/transfer.js';
import type { Org } from './errors.js';
import type { SubmitReason } from './reason.js';

export * from './errors.js';
export * from './reason.js';
export type { Target };

export type Initiator = { kind: 'member' } | { kind: 'branch'; branchOrgId: string; operatorId: string };

export interface SubmitRequest {
  /** Our transfer id, sent as the partner's request id: resubmitting it is idempotent. */
  transferId: string;
  /** The Beijing system's reference. */
  externalRef: string;
  member: { name: string; idNumber: string; phone?: string };
  initiator: Initiator;
  source: { orgId: string; orgFullName: string };
  destination: {
    provinceCode: string;
    /** Exactly as the partner spells it (resolved through checkOrg/searchOrgs where possible). */
    orgFullName: string;
    orgId?: string;
  };
  reason: SubmitReason;
  /** Enlistment and classified units cannot be withdrawn once submitted. */
  irreversible: boolean;
}

export interface SubmitResult {
  partnerRef: string;
  /** True when the partner already held this request id; partnerRef is then the existing one. */
  duplicate: boolean;
}

export type OrgCheckResult = { result: 'exists'; org: Org } | { result: 'not_found'; suggestions: Org[] };

export const PARTNER_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'awaiting_local_report',
  'local_report_completed',
  'withdrawn',
  'not_found',
] as const;
export type PartnerStatusValue = (typeof PARTNER_STATUSES)[number];

export interface PartnerStatus {
  status: PartnerStatusValue;
  /** The partner's reason for a rejection, in its own words. */
  reason?: string;
  partnerRef?: string;
  /** national: the approval created the member's account (default password; never forwarded). */
  accountCreated?: boolean;
  /** ISO 8601 UTC time of the latest change, when the partner says. */
  at?: string;
}

export type PartnerEventType =
  'approved' | 'rejected' | 'expired' | 'account_created' | 'local_report_completed';

export type PartnerEvent =
  | { type: PartnerEventType; transferId: string; partnerRef?: string; reason?: string; at?: string }
  | { type: 'unsupported'; description: string };

export interface Capabilities {
  /** "Does this full name exist?" — national only. Without it, checkOrg throws CAPABILITY_NOT_SUPPORTED. */
  checkOrg: boolean;
  /** Withdrawal before a decision. Without it, withdraw throws CAPABILITY_NOT_SUPPORTED. */
  withdraw: boolean;
  /** The member must report locally after approval (guangdong, fujian). */
  localReport: boolean;
  /** Approval may create the member's account (national). */
  accountCreation: boolean;
}

export interface CallOptions {
  /** Every HTTP call can be cut off: pass the breaker's AbortSignal here. */
  signal?: AbortSignal;
  /**
   * Awaited right before each request of the operation itself leaves (not before an auxiliary one,
   * such as fetching an access token), and only then: the core counts delivery attempts here, so a
   * request that never left (the adapter threw while building it) is never counted, and one that left
   * always is. If it throws, nothing is sent and its error propagates as is.
   */
  onSend?: () => Promise<void>;
}

export interface TransferRef {
  transferId: string;
  partnerRef?: string;
}

/**
 * Every method throws only PartnerError subclasses. Adapters are stateless apart from a cached
 * access token: config and HTTP client come in through the constructor.
 */
export interface TransferAdapter {
  readonly id: Target;
  readonly capabilities: Capabilities;
  submit(request: SubmitRequest, options?: CallOptions): Promise<SubmitResult>;
  checkOrg(provinceCode: string, fullName: string, options?: CallOptions): Promise<OrgCheckResult>;
  searchOrgs(provinceCode: string, q: string, options?: CallOptions & { limit?: number }): Promise<Org[]>;
  fetchStatus(ref: TransferRef, options?: CallOptions): Promise<PartnerStatus>;
  withdraw(ref: TransferRef & { partnerRef: string }, options?: CallOptions): Promise<void>;
  /** Maps a verified callback body (Standard Webhooks checked by the caller) to our event union. */
  parseCallback(body: unknown): PartnerEvent;
}

/** Default number of search results when the caller gives no limit. */
export const DEFAULT_SEARCH_LIMIT = 20;
