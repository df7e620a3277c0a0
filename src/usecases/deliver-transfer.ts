/**
 * Delivering one accepted transfer to its partner: the use case behind the delivery job. It decides;
 * the processor only translates the decision into BullMQ's terms.
 *
 * What can go wrong, and what each costs:
 * - the partner fails (timeout, 5xx, 429, nonsense): a partner attempt, counted by its breaker, retried
 *   with backoff until DELIVERY_MAX_ATTEMPTS; the partner refuses: the transfer fails at once.
 * - the breaker is open: nothing is sent and nothing is spent; the queue waits.
 * - our side fails (stored data the adapter cannot send, a bug, an exception inside an adapter): not the
 *   partner's fault, so neither an attempt nor a breaker failure. It is tried DELIVERY_MAX_ERRORS times
 *   with a short backoff (other transfers run meanwhile), then this transfer alone fails with
 *   DELIVERY_ERROR and the cause is logged once.
 * - the store is out of reach: nothing is decided; the error goes to the queue, which tries again.
 * - the worker process dies (OOM, SIGKILL, a lost node): the job stalls and comes back. Each run that
 *   entered partner code marks the transfer first and clears the mark when it leaves; a transfer whose
 *   last DELIVERY_MAX_CRASHES runs all died inside partner code is killing its workers, and fails with
 *   DELIVERY_CRASH_LOOP. A worker killed while the transfer waited for its rate-limit slot, or for
 *   anything else, does not count against it.
 *
 * `attempts` counts requests that left for the partner: it is incremented just before the submission
 * is sent (the adapter's onSend), so it never undercounts what the partner received.
 */
import type { SubmitRequest } from '../../adapters/adapter.js';
import { PartnerError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import { submitReasonSchema } from '../../adapters/reason.js';
import type { Clock } from '../clock.js';
import type { PiiCipher } from '../crypto/pii.js';
import type { OrgCache } from '../delivery/org-cache.js';
import { resolveDestination } from '../delivery/resolve-destination.js';
import { BreakerOpenError, type CallHooks } from '../delivery/partner-caller.js';
import type { Partner, PartnerSet } from '../delivery/partner-set.js';
import type { TransferEvent } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import { backoffDelay } from '../domain/backoff.js';
import { isStoreUnavailable } from '../store/errors.js';
import { FACT, factFields, type ErrorRecord } from '../store/facts.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';
import type { TransferPii } from '../store/types.js';
import { pendingLocalReport } from './local-reports.js';
import type { Transitions } from './transitions.js';

export interface DeliverySettings {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  localReportDueDays: number;
  /** Runs in a row that died inside partner code before the transfer fails (DELIVERY_CRASH_LOOP). */
  maxCrashes: number;
  /** Failures on our side before the transfer fails (DELIVERY_ERROR). */
  maxErrors: number;
}

export interface DeliveryDeps {
  store: TransferStore;
  transitions: Transitions;
  cipher: PiiCipher;
  partners: PartnerSet;
  clock: Clock;
  log: Logger;
  settings: DeliverySettings;
  /** Jitter source, injectable so tests can pin it. */
  random?: () => number;
  /** Destinations already resolved, so each is looked up at its partner once in a while. */
  orgCache?: OrgCache;
}

export type DeliveryOutcome =
  | { kind: 'done'; state: string }
  | { kind: 'skipped'; why: string }
  | { kind: 'retry'; delayMs: number }
  /** The partner's breaker is open: try again after this long, with no attempt spent. */
  | { kind: 'paused'; forMs: number };

/**
 * The mark a run sets while it executes partner code (adapter and HTTP), and clears when it leaves.
 * Rate-limit waits are outside: the slot is awaited first, then the mark is set (beforeCall); between
 * two partner calls (the national name check, then the submission) the mark is lifted again.
 */
class CrashMark {
  private inside = false;
  private entered = false;

  constructor(
    private readonly store: TransferStore,
    private readonly id: string,
  ) {}

  readonly hooks: CallHooks = { beforeCall: () => this.enter() };

  private async enter(): Promise<void> {
    if (this.inside) return;
    this.inside = true;
    this.entered = true;
    await this.store.incrementField(this.id, FACT.crashRuns, 1);
  }

  /** Between two partner calls: a death while waiting for the next slot is not this transfer's doing. */
  async pause(): Promise<void> {
    if (!this.inside) return;
    this.inside = false;
    await this.store.incrementField(this.id, FACT.crashRuns, -1);
  }

  /**
   * The run left partner code alive: the crash count starts again from zero. Written even through a
   * store outage (retried for a while), or a run cut short by the outage would count as a crash.
   */
  async clear(): Promise<void> {
    if (!this.entered) return;
    this.inside = false;
    this.entered = false;
    const giveUpAt = Date.now() + 30_000;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        await this.store.setFields(this.id, factFields({ crashRuns: 0 }));
        return;
      } catch (err) {
        if (!isStoreUnavailable(err) || Date.now() > giveUpAt) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}

export async function deliverTransfer(
  deps: DeliveryDeps,
  transferId: string,
  generation: number,
): Promise<DeliveryOutcome> {
  const t = await deps.store.getState(transferId);
  if (!t) return { kind: 'skipped', why: 'no such transfer' };
  if (t.state !== 'accepted') return { kind: 'skipped', why: `already ${t.state}` };
  if (t.generation !== generation)
    return { kind: 'skipped', why: `superseded by generation ${t.generation}` };

  const crashes = t.facts.crashRuns;
  if (crashes >= deps.settings.maxCrashes) {
    deps.log.error(
      { transferId, target: t.doc.target, crashes, code: 'DELIVERY_CRASH_LOOP' },
      `delivering this transfer killed its worker ${crashes} times in a row; the transfer failed`,
    );
    return fail(deps, t, {
      code: 'DELIVERY_CRASH_LOOP',
      message: `delivering this transfer killed its worker process ${crashes} times in a row; an operator must look at it before a retry`,
    });
  }

  const mark = new CrashMark(deps.store, transferId);
  try {
    return await submit(deps, t, mark);
  } catch (err) {
    if (err instanceof BreakerOpenError) return { kind: 'paused', forMs: err.retryInMs };
    if (err instanceof PartnerError) return partnerFailed(deps, t, err);
    if (isStoreUnavailable(err)) throw err; // nothing decided: the queue tries again
    return ourFailure(deps, t, err);
  } finally {
    await mark.clear();
  }
}

async function submit(deps: DeliveryDeps, t: StoredTransfer, mark: CrashMark): Promise<DeliveryOutcome> {
  const transferId = t.doc.id;
  const target = t.doc.target;
  // The partner it was accepted for, whatever the routing table says today (a province that moved to
  // another system takes its new transfers there, not the ones already on their way).
  if (!deps.partners.has(target)) {
    return fail(deps, t, {
      code: 'PARTNER_NOT_CONFIGURED',
      message: `this gateway has no partner ${target} configured any more`,
    });
  }
  const { adapter, caller } = deps.partners.get(target);
  if (caller.state === 'open') return { kind: 'paused', forMs: Math.max(caller.remainingOpenMs, 100) };

  const pii = JSON.parse(deps.cipher.open(t.piiSealed, transferId)) as TransferPii;
  const reason = submitReasonSchema.safeParse(
    t.doc.reason.kind === 'abroad' ? { ...t.doc.reason, domesticContact: pii.domesticContact } : t.doc.reason,
  );
  if (!reason.success) {
    return fail(deps, t, {
      code: 'INVALID_DATA',
      message: 'the stored reason does not fit the partner contract',
    });
  }

  const org = await resolveOrg(deps, t, deps.partners.get(target), mark);
  if (org === 'failed') return { kind: 'done', state: 'failed' };
  await mark.pause();
  const request: SubmitRequest = {
    transferId,
    externalRef: t.doc.externalRef,
    member: { name: pii.name, idNumber: pii.idNumber, ...(pii.phone ? { phone: pii.phone } : {}) },
    initiator: t.doc.initiator,
    source: t.doc.source,
    destination: {
      provinceCode: t.doc.destination.provinceCode,
      orgFullName: org.fullName,
      orgId: org.orgId,
    },
    reason: reason.data,
    irreversible: t.doc.irreversible,
  };
  let attempt = 0;
  const onSend = async () => {
    attempt = await deps.store.incrementAttempts(transferId);
  };
  const result = await caller.call(
    'submit',
    (signal) => adapter.submit(request, { signal, onSend }),
    mark.hooks,
  );
  return succeed(deps, t, result.partnerRef, result.duplicate, attempt, org);
}

/** The partner failed or refused: a spent attempt; permanent refusals end the transfer. */
async function partnerFailed(
  deps: DeliveryDeps,
  t: StoredTransfer,
  err: PartnerError,
): Promise<DeliveryOutcome> {
  const transferId = t.doc.id;
  const fresh = await deps.store.getState(transferId);
  const record: ErrorRecord = {
    code: err.code,
    message: err.message,
    at: deps.clock.now().toISOString(),
    attempt: fresh?.attempts ?? t.attempts,
    ...(err instanceof PermanentPartnerError && err.partnerReason
      ? { partnerReason: err.partnerReason }
      : {}),
    ...(err instanceof PermanentPartnerError && err.suggestions.length
      ? { suggestions: err.suggestions }
      : {}),
  };
  if (err instanceof PermanentPartnerError) return fail(deps, t, record);
  // The retry budget: tries the partner failed (a submission, or the directory lookup before it).
  const failures = await deps.store.incrementField(transferId, FACT.partnerFailures, 1);
  if (failures >= deps.settings.maxAttempts) {
    return fail(deps, t, {
      ...record,
      code: 'RETRIES_EXHAUSTED',
      message: `gave up after ${failures} failed tries (${record.attempt ?? 0} submissions); last: ${err.code}: ${err.message}`,
    });
  }
  const delayMs = backoff(
    deps,
    failures,
    err instanceof RetryablePartnerError ? err.retryAfterMs : undefined,
  );
  await record_(
    deps,
    t,
    { type: 'attempt_failed', detail: { ...record, retryInMs: delayMs } },
    factFields({ lastError: record }),
  );
  return { kind: 'retry', delayMs };
}

/**
 * Our side failed: not an attempt, not the partner's fault. A few tries with a short backoff (a
 * passing fault heals), then this transfer alone fails, and the cause is logged once, then.
 */
async function ourFailure(deps: DeliveryDeps, t: StoredTransfer, err: unknown): Promise<DeliveryOutcome> {
  const transferId = t.doc.id;
  const tries = await deps.store.incrementField(transferId, FACT.deliveryErrors, 1);
  const kind = err instanceof Error ? err.name : typeof err;
  if (tries >= deps.settings.maxErrors) {
    deps.log.error(
      { err, transferId, target: t.doc.target, tries, code: 'DELIVERY_ERROR' },
      'the gateway could not deliver this transfer; it failed (not the partner: nothing was counted against it)',
    );
    return fail(deps, t, {
      code: 'DELIVERY_ERROR',
      message: `the gateway could not send this transfer (${kind}, ${tries} tries); the cause is in the worker log`,
    });
  }
  const delayMs = backoff(deps, tries, undefined);
  deps.log.debug({ transferId, tries, error: kind, retryInMs: delayMs }, 'delivery failed on our side');
  await record_(
    deps,
    t,
    {
      type: 'delivery_error',
      detail: { code: 'DELIVERY_ERROR', error: kind, try: tries, retryInMs: delayMs },
    },
    {},
  );
  return { kind: 'retry', delayMs };
}

/**
 * Every destination is resolved against the partner's own directory before anything is sent (its
 * name check where it has one, its org list otherwise), matching canonically, so the partner gets its
 * own exact spelling and org id. A name that does not resolve fails the transfer with 0 submissions:
 * ORG_NOT_FOUND with near names, or ORG_AMBIGUOUS with the orgs it could be. A resolution already
 * recorded on the transfer (a retry of a run that got that far) is not asked again.
 */
async function resolveOrg(
  deps: DeliveryDeps,
  t: StoredTransfer,
  partner: Partner,
  mark: CrashMark,
): Promise<{ orgId: string; fullName: string } | 'failed'> {
  if (t.facts.resolvedOrg) return t.facts.resolvedOrg;
  const { provinceCode, orgFullName } = t.doc.destination;
  const resolution = await resolveDestination(partner, provinceCode, orgFullName, {
    ...(deps.orgCache ? { cache: deps.orgCache } : {}),
    hooks: mark.hooks,
  });
  if (resolution.kind === 'resolved') return resolution.org;
  if (resolution.kind === 'ambiguous') {
    await fail(deps, t, {
      code: 'ORG_AMBIGUOUS',
      message: `${resolution.candidates.length} organisations under province ${provinceCode} match ${orgFullName}; send the exact full name of one of them`,
      candidates: resolution.candidates.slice(0, 10),
    });
    return 'failed';
  }
  await fail(deps, t, {
    code: 'ORG_NOT_FOUND',
    message: `no organisation named ${orgFullName} under province ${provinceCode}`,
    suggestions: resolution.suggestions.slice(0, 10),
  });
  return 'failed';
}

async function succeed(
  deps: DeliveryDeps,
  t: StoredTransfer,
  partnerRef: string,
  duplicate: boolean,
  attempt: number,
  org: { orgId: string; fullName: string },
): Promise<DeliveryOutcome> {
  const now = deps.clock.now();
  const local = deps.partners.get(t.doc.target).capabilities.localReport;
  const to = local ? 'awaiting_local_report' : 'submitted';
  const localReport = local ? pendingLocalReport(now, deps.settings.localReportDueDays) : undefined;
  // The partner's own spelling of the destination, as the resolution found it.
  const set = factFields({ partnerRef, resolvedOrg: org, ...(localReport ? { localReport } : {}) });
  const outcome = await deps.transitions.apply(t.doc.id, {
    from: ['accepted'],
    to,
    event: {
      at: now.toISOString(),
      type: to,
      source: 'worker',
      detail: { partnerRef, duplicate, attempt, destinationOrg: org },
    },
    set,
    notify: {
      detail: {
        partnerRef,
        ...(localReport ? { localReport } : {}),
      },
    },
  });
  if (!outcome.ok) {
    // A callback got there first (the partner decided before its answer to us arrived) or an operator
    // moved it: keep their state, but do not lose what the submission tells us.
    await deps.transitions.apply(t.doc.id, {
      from: '*',
      event: {
        at: now.toISOString(),
        type: 'submitted_late',
        source: 'worker',
        detail: { partnerRef, duplicate, attempt },
      },
      set: factFields({ partnerRef }),
    });
    deps.log.info({ transferId: t.doc.id }, 'submission recorded after the transfer had moved on');
    if (!outcome.ok && outcome.reason === 'invalid' && outcome.currentState === 'cancelled') {
      await withdrawLate(deps, t, partnerRef);
    }
  }
  return { kind: 'done', state: to };
}

/** Cancelled while its submission was in flight: take it back at the partner too, where allowed. */
async function withdrawLate(deps: DeliveryDeps, t: StoredTransfer, partnerRef: string): Promise<void> {
  const { adapter, caller } = deps.partners.get(t.doc.target);
  let outcome = 'not supported by the partner';
  if (adapter.capabilities.withdraw) {
    try {
      await caller.call('withdraw', (signal) =>
        adapter.withdraw({ transferId: t.doc.id, partnerRef }, { signal }),
      );
      outcome = 'withdrawn';
    } catch (err) {
      outcome = err instanceof PartnerError ? `failed: ${err.code}` : 'failed';
    }
  }
  await deps.transitions.apply(t.doc.id, {
    from: '*',
    event: {
      at: deps.clock.now().toISOString(),
      type: 'late_withdrawal',
      source: 'worker',
      detail: { partnerRef, outcome },
    },
  });
}

async function fail(
  deps: DeliveryDeps,
  t: StoredTransfer,
  error: Partial<ErrorRecord> & { code: string; message: string },
): Promise<DeliveryOutcome> {
  const record: ErrorRecord = { ...error, at: error.at ?? deps.clock.now().toISOString() };
  await deps.transitions.failDelivery(t.doc.id, record);
  deps.log.warn({ transferId: t.doc.id, target: t.doc.target, code: error.code }, 'delivery failed');
  return { kind: 'done', state: 'failed' };
}

async function record_(
  deps: DeliveryDeps,
  t: StoredTransfer,
  event: Omit<TransferEvent, 'at' | 'source'>,
  set: Record<string, string>,
): Promise<void> {
  await deps.transitions.apply(t.doc.id, {
    from: ['accepted'],
    event: { at: deps.clock.now().toISOString(), source: 'worker', ...event },
    set,
  });
}

/** The one backoff (src/domain/backoff.ts), with the delivery's settings and the injectable jitter. */
function backoff(deps: DeliveryDeps, attempt: number, retryAfterMs: number | undefined): number {
  const settings = { baseMs: deps.settings.backoffBaseMs, maxMs: deps.settings.backoffMaxMs };
  return backoffDelay(attempt, settings, retryAfterMs, deps.random);
}
