/**
 * A transfer's changing facts (what it has learnt since intake: its partner's reference, its last
 * error, its local report, the org its destination resolved to, its counters), typed, and parsed once
 * here from the hash fields they are stored in. Writers hand typed values to `factFields`, which
 * serialises them; nobody else reads or writes the raw fields. A stored value that does not parse
 * (written by an older version, damaged) reads as absent rather than breaking every reader.
 */
import { z } from 'zod';

const org = z.object({ orgId: z.string(), fullName: z.string() });

export const errorRecordSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  at: z.string(),
  attempt: z.number().optional(),
  partnerReason: z.string().optional(),
  /** ORG_NOT_FOUND: near names in the partner's directory. */
  suggestions: z.array(org).optional(),
  /** ORG_AMBIGUOUS: the partner's orgs that all match the name. */
  candidates: z.array(org).optional(),
});
export type ErrorRecord = z.infer<typeof errorRecordSchema>;

export const localReportSchema = z.object({
  status: z.enum(['pending', 'completed']),
  dueAt: z.string(),
  since: z.string().optional(),
  overdue: z.boolean(),
  remindersSent: z.array(z.number()).optional(),
  completedAt: z.string().optional(),
});
export type LocalReport = z.infer<typeof localReportSchema>;

export interface TransferFacts {
  /** The partner's reference for the application. */
  partnerRef?: string;
  /** Why the last delivery attempt (or the delivery) failed. */
  lastError?: ErrorRecord;
  /** The member's local report (partners whose transfers end with one). */
  localReport?: LocalReport;
  /** The partner's own org the destination resolved to (its exact spelling and id). */
  resolvedOrg?: { orgId: string; fullName: string };
  /** The national system created the member's account on approval. */
  nationalAccountCreated: boolean;
  /** When the partner's approval was recorded (recorded once). */
  partnerApprovedAt?: string;
  rejectionReason?: string;
  lastReconciledAt?: string;
  /** Attempts spent before the current generation (an operator's retry starts a new count). */
  attemptsBase: number;
  /** Tries the partner failed in this generation (the retry budget, DELIVERY_MAX_ATTEMPTS). */
  partnerFailures: number;
  /** Runs in a row that died inside partner code (DELIVERY_CRASH_LOOP). */
  crashRuns: number;
  /** Failures on our side in this generation (DELIVERY_ERROR). */
  deliveryErrors: number;
}

const json =
  <T extends z.ZodType>(schema: T) =>
  (raw: string | undefined): z.output<T> | undefined => {
    if (!raw) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };
const text = (raw: string | undefined): string | undefined => (raw ? raw : undefined);
const count = (raw: string | undefined): number => {
  const n = Number(raw ?? 0);
  return Number.isFinite(n) ? n : 0;
};

const readError = json(errorRecordSchema);
const readLocalReport = json(localReportSchema);
const readOrg = json(org);

/** The facts, from the hash fields a transfer is stored in. */
export function readFacts(hash: Readonly<Record<string, string>>): TransferFacts {
  const facts: TransferFacts = {
    nationalAccountCreated: hash.nationalAccountCreated === '1',
    attemptsBase: count(hash.attemptsBase),
    partnerFailures: count(hash.partnerFailures),
    crashRuns: count(hash.crashRuns),
    deliveryErrors: count(hash.deliveryErrors),
  };
  const partnerRef = text(hash.partnerRef);
  if (partnerRef) facts.partnerRef = partnerRef;
  const lastError = readError(hash.lastError);
  if (lastError) facts.lastError = lastError;
  const localReport = readLocalReport(hash.localReport);
  if (localReport) facts.localReport = localReport;
  const resolvedOrg = readOrg(hash.resolvedOrg);
  if (resolvedOrg) facts.resolvedOrg = resolvedOrg;
  for (const key of ['partnerApprovedAt', 'rejectionReason', 'lastReconciledAt'] as const) {
    const value = text(hash[key]);
    if (value) facts[key] = value;
  }
  return facts;
}

/** Hash fields to write for the given facts (a fact set to null is cleared). */
export function factFields(facts: { [K in keyof TransferFacts]?: TransferFacts[K] | null }): Record<
  string,
  string
> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(facts)) {
    if (value === undefined) continue;
    if (value === null) out[key] = '';
    else if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number') out[key] = String(value);
    else if (typeof value === 'boolean') out[key] = value ? '1' : '0';
    else out[key] = JSON.stringify(value);
  }
  return out;
}

/** The hash field of each fact, for the store's atomic checks (`once`, set-if-absent). */
export const FACT = {
  partnerApprovedAt: 'partnerApprovedAt',
  nationalAccountCreated: 'nationalAccountCreated',
  localReport: 'localReport',
  crashRuns: 'crashRuns',
  deliveryErrors: 'deliveryErrors',
  partnerFailures: 'partnerFailures',
  attempts: 'attempts',
} as const;

/** Retention bookkeeping fields of a transfer's hash (set by the store's scripts and the sweep). */
export const RETENTION_FIELD = {
  finishedAt: 'finishedAt',
  personalDataPurgedAt: 'personalDataPurgedAt',
} as const;
