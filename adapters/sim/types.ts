/**
 * What every partner simulator shares: its options, its inspectable state and its control handle.
 * Simulators are test and demo tooling; they speak each partner's wire format for real over HTTP.
 */
import { z } from 'zod';

export const decisionSchema = z.object({
  mode: z.enum(['approve', 'reject', 'never']),
  delayMs: z.number().int().min(0).default(0),
  /** The rejection reason sent with `reject`. */
  reason: z.string().min(1).optional(),
});
export type Decision = z.input<typeof decisionSchema>;

export const rateLimitSchema = z.object({
  perSecond: z.number().positive(),
  /**
   * Bucket size. The sustained rate is always perSecond; the default tolerates one second's worth
   * plus 10%, so a caller pacing at exactly perSecond with network jitter is never refused.
   */
  burst: z.number().int().positive().optional(),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;

/** Faults, as `POST /__control/faults` takes them (merged into the current set; null clears one). */
export const faultSpecSchema = z.strictObject({
  /** 503 for every partner request. */
  down: z.boolean().nullish(),
  /** Process the request, then hold the answer this long (beyond the adapter's timeout). */
  slow: z.strictObject({ ms: z.number().int().min(0) }).nullish(),
  /** A share of requests fail with 500 or a reset connection; deterministic for a given seed. */
  flaky: z
    .strictObject({
      percent: z.number().min(0).max(100),
      seed: z.number().int().optional(),
      mode: z.enum(['error', 'reset', 'mixed']).optional(),
      /** Fail before processing, after it (the partner stored the request, the answer is lost), or either. */
      phase: z.enum(['before', 'after', 'mixed']).optional(),
    })
    .nullish(),
  /** Answer with a body that is not JSON, or JSON of the wrong shape, after processing. */
  malformed: z.strictObject({ kind: z.enum(['invalid_json', 'wrong_shape']) }).nullish(),
  /** 429 with `Retry-After: retryAfterSeconds` for every partner request. */
  rate_limited: z.strictObject({ retryAfterSeconds: z.number().int().min(0) }).nullish(),
  /** Submissions get the partner's business rejection with this reason. */
  reject: z.strictObject({ reason: z.string().min(1).optional() }).nullish(),
  /** The partner's own limit in requests/s (429 above it, counted); null restores the start option. */
  rate_limit: rateLimitSchema.nullish(),
});
export type FaultSpec = z.infer<typeof faultSpecSchema>;

export type RecordStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn' | 'reported';

/** One application as the partner holds it, keyed by our request id (the transfer id). */
export interface SimRecord {
  requestId: string;
  partnerRef: string;
  provinceCode: string;
  orgId: string;
  orgFullName: string;
  idNumber: string;
  irreversible: boolean;
  status: RecordStatus;
  reason?: string;
  accountCreated?: boolean;
  createdAt: Date;
  updatedAt: Date;
  decidedAt?: Date;
  reportedAt?: Date;
  /** How many submissions carried this request id (1 + duplicates). */
  submissions: number;
}

export interface CallbackDelivery {
  webhookId: string;
  type: string;
  requestId: string;
  outcome: 'delivered' | 'refused' | 'failed';
  attempts: number;
  status?: number;
}

export interface SimCounts {
  /** Partner API requests received (control endpoints excluded). */
  requests: number;
  byRoute: Record<string, number>;
  /** 429s sent, whether injected or from the rate limit. */
  rateLimited: number;
  down: number;
  flaky: number;
  malformed: number;
  slow: number;
  rejectedByFault: number;
  authFailures: number;
  /** Submissions processed, duplicates included. */
  submissions: number;
  duplicates: number;
}

export interface SimulatorState {
  records: Map<string, SimRecord>;
  counts: SimCounts;
  callbacks: CallbackDelivery[];
}

export interface SimulatorControl {
  setFaults(spec: FaultSpec): void;
  clearFaults(): void;
  setDecision(decision: Decision): void;
  /** Decides a pending record now. False when it is unknown or already decided. */
  decide(requestId: string, outcome: 'approve' | 'reject', reason?: string): boolean;
  /** guangdong/fujian: the member reported locally. */
  completeLocalReport(requestId: string): boolean;
  /** guangdong/fujian: the member will not report on their own (only completeLocalReport does it). */
  holdLocalReport(requestId: string): boolean;
  /** The application lapses now (national's 10-day rule). */
  expire(requestId: string): boolean;
  /** Resolves once every callback scheduled so far was delivered or given up. */
  settle(): Promise<void>;
}

export interface SimulatorHandle<C extends SimulatorControl = SimulatorControl> {
  url: string;
  port: number;
  state: SimulatorState;
  control: C;
  close(): Promise<void>;
}

export interface SimOrg {
  orgId: string;
  fullName: string;
  provinceCode: string;
}

export interface SimLogger {
  warn(message: string): void;
}

export interface BaseSimulatorOptions<Credentials> {
  port?: number;
  host?: string;
  /** The gateway's base URL; callbacks go to `${gatewayUrl}/v1/callbacks/{target}`. */
  gatewayUrl: string;
  callbackSecret: string;
  credentials: Credentials;
  decision?: Decision;
  /** guangdong/fujian: the member reports this long after approval (never when undefined). */
  localReportDelayMs?: number;
  orgs?: SimOrg[];
  rateLimit?: RateLimit;
  callbackRetry?: { attempts: number; baseDelayMs: number };
  /** The partner's clock (decisions, lapses); tests move it instead of waiting. */
  now?: () => Date;
  logger?: SimLogger;
}
