/**
 * The retention sweep: every finished transfer is packed soon after it finishes, purged of its personal
 * data PII_RETENTION_DAYS after, and deleted RECORD_RETENTION_DAYS after (src/domain/retention.ts has
 * every bound and its rule). It is ordinary maintenance work: one scheduled job, run by one worker per
 * tick, in batches of small atomic steps (no Redis command touches more than one transfer's keys and a
 * few index entries), so a whole season's backlog never blocks Redis.
 *
 * Each step reads a transfer, computes its new form here, and swaps it in only if the transfer did not
 * change meanwhile (its `rev`): a callback or an operator's retry racing a purge wins or loses whole,
 * and the loser is simply tried again at the next run. Running it twice, or in two processes at
 * once, does each step once.
 */
import type { Clock } from '../clock.js';
import type { PiiCipher } from '../crypto/pii.js';
import { AOF_REWRITE_MIN_INTERVAL_MS, PACK_AFTER_MS } from '../domain/retention.js';
import { TERMINAL_STATES, type Target } from '../domain/transfer.js';
import type { Logger } from '../log.js';
import { isStoreUnavailable } from '../store/errors.js';
import { RETENTION_FIELD } from '../store/facts.js';
import { pack, stayInHash } from '../store/packing.js';
import type { RetentionStep, RetentionStore, SwapOutcome } from '../store/retention-store.js';
import { mergeRecord, type TransferStore } from '../store/transfer-store.js';
import type { TransferDoc, TransferPii } from '../store/types.js';
import { overdueMarker, reminderMarker } from './local-reports.js';

const DAY_MS = 86_400_000;

export interface RetentionSettings {
  piiRetentionDays: number;
  recordRetentionDays: number;
  /** Local-report reminder days: their markers are deleted with the transfer. */
  reminderDays: readonly number[];
  /** Transfers read per Redis round trip. */
  batch?: number;
  /** Most transfers one run handles per step; the rest wait for the next run. */
  maxPerRun?: number;
}

/** What the sweep needs from Redis itself: asking it to rewrite its append-only file. */
export interface DiskRewriter {
  /** 'requested', or 'aof_off' when Redis keeps no append-only file. Throws what Redis answers. */
  rewriteAof(): Promise<'requested' | 'aof_off'>;
}

/** Removes a transfer's jobs from the queues when it expires (ids only; failed ones wait for replay). */
export interface TransferJobs {
  removeJobs(t: { id: string; target: Target; version: number; generation: number }): Promise<void>;
}

export interface RetentionDeps {
  store: TransferStore;
  retention: RetentionStore;
  cipher: PiiCipher;
  disk: DiskRewriter;
  jobs: TransferJobs;
  clock: Clock;
  log: Logger;
  targets: readonly Target[];
  settings: RetentionSettings;
}

export interface RetentionRun {
  packed: number;
  purged: number;
  expired: number;
  /** Transfers changed while a step ran (tried again next run) or that could not be handled. */
  deferred: number;
  errors: number;
  aofRewrite?: 'requested' | 'aof_off' | 'failed' | 'waiting';
}

type StepOutcome = SwapOutcome | 'not_due' | 'error';

/** Replaces every occurrence of the member's own values in stored text (a partner's words, say). */
function scrubber(values: readonly string[]): (text: string) => string {
  // JSON-escaped as they appear inside stored JSON, longest first so a phone inside a number goes whole.
  const needles = [...new Set(values.filter((v) => v.length >= 2))]
    .map((v) => JSON.stringify(v).slice(1, -1))
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => needles.reduce((t, n) => t.split(n).join('***'), text);
}

function secretsOf(pii: TransferPii): string[] {
  const c = pii.domesticContact;
  return [pii.name, pii.idNumber, pii.idNumber.toLowerCase(), pii.phone ?? '', c?.name ?? '', c?.phone ?? ''];
}

/** The hash a packed record keeps and the fields that go into its packed part. */
function split(
  fields: Record<string, string>,
  rev: string,
): {
  hash: Record<string, string>;
  packed: Record<string, string>;
} {
  const hash: Record<string, string> = {};
  const packed: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === '' || k === 'rev') continue; // a cleared field is an absent one
    if (stayInHash(k, v)) hash[k] = v;
    else packed[k] = v;
  }
  hash.rev = String(Number(rev) + 1);
  return { hash, packed };
}

/** What GET /v1/ops/retention and `tgw retention` show. */
export interface RetentionStatus {
  settings: { piiRetentionDays: number; recordRetentionDays: number };
  lastRun: {
    at: string;
    durationMs: number;
    packed: number;
    purged: number;
    expired: number;
    deferred: number;
    errors: number;
  } | null;
  totals: { packed: number; purged: number; expired: number; aofRewrites: number };
  /** Transfers whose step is due now (the next run takes them). */
  due: { pack: number; purge: number; expire: number };
  /** When the oldest finished transfer still holding personal data / still stored becomes due. */
  next: { purgeAt: string | null; expireAt: string | null };
  disk: {
    aofRewriteDueSince: string | null;
    aofRewriteRequestedAt: string | null;
    aofRewriteResult: string | null;
    aofRewriteError: string | null;
  };
}

export class RetentionSweep {
  private readonly warned = new Set<string>();

  constructor(private readonly deps: RetentionDeps) {}

  private get batch(): number {
    return this.deps.settings.batch ?? 200;
  }

  private get maxPerRun(): number {
    return this.deps.settings.maxPerRun ?? 5_000;
  }

  /** The cutoffs of each step at `now`: a transfer whose score is at or before it is due. */
  cutoffs(now: Date): Record<RetentionStep, number> {
    const { piiRetentionDays, recordRetentionDays } = this.deps.settings;
    return {
      pack: now.getTime() - PACK_AFTER_MS,
      purge: now.getTime() - piiRetentionDays * DAY_MS,
      expire: now.getTime() - recordRetentionDays * DAY_MS,
    };
  }

  async status(): Promise<RetentionStatus> {
    const { retention, clock, settings } = this.deps;
    const now = clock.now();
    const cut = this.cutoffs(now);
    const [stats, pack, purge, expire, oldestUnpurged, oldestStored] = await Promise.all([
      retention.stats(),
      retention.dueCount('pack', cut.pack),
      retention.dueCount('purge', cut.purge),
      retention.dueCount('expire', cut.expire),
      retention.earliest('purge'),
      retention.earliest('expire'),
    ]);
    const n = (field: string) => Number(stats[field] ?? 0) || 0;
    const at = (ms: number | null, days: number) =>
      ms === null ? null : new Date(ms + days * DAY_MS).toISOString();
    return {
      settings: {
        piiRetentionDays: settings.piiRetentionDays,
        recordRetentionDays: settings.recordRetentionDays,
      },
      lastRun: stats.lastRunAt
        ? {
            at: stats.lastRunAt,
            durationMs: n('lastRunMs'),
            packed: n('lastPacked'),
            purged: n('lastPurged'),
            expired: n('lastExpired'),
            deferred: n('lastDeferred'),
            errors: n('lastErrors'),
          }
        : null,
      totals: {
        packed: n('packedTotal'),
        purged: n('purgedTotal'),
        expired: n('expiredTotal'),
        aofRewrites: n('aofRewritesTotal'),
      },
      due: { pack, purge, expire },
      next: {
        purgeAt: at(oldestUnpurged, settings.piiRetentionDays),
        expireAt: at(oldestStored, settings.recordRetentionDays),
      },
      disk: {
        aofRewriteDueSince: stats.aofRewriteDueSince ?? null,
        aofRewriteRequestedAt: stats.aofRewriteRequestedAt ?? null,
        aofRewriteResult: stats.aofRewriteResult ?? null,
        aofRewriteError: stats.aofRewriteError ?? null,
      },
    };
  }

  async sweep(): Promise<RetentionRun> {
    const started = Date.now();
    const now = this.deps.clock.now();
    await this.upgrade();
    const cut = this.cutoffs(now);
    const run: RetentionRun = { packed: 0, purged: 0, expired: 0, deferred: 0, errors: 0 };
    const tally = (step: RetentionStep, outcomes: StepOutcome[]) => {
      for (const o of outcomes) {
        if (o === 'ok') run[step === 'pack' ? 'packed' : step === 'purge' ? 'purged' : 'expired'] += 1;
        else if (o === 'error') run.errors += 1;
        else if (o === 'stale') run.deferred += 1;
      }
    };
    // Expiry first: a transfer due for both is deleted, not purged and then deleted.
    tally('expire', await this.step('expire', cut.expire, (id) => this.expireOne(id, cut.expire)));
    tally('purge', await this.step('purge', cut.purge, (id) => this.purgeOne(id, now, cut.purge)));
    tally('pack', await this.step('pack', cut.pack, (id) => this.packOne(id)));
    if (run.purged > 0) await this.deps.retention.setStats({ aofRewriteDueSince: now.toISOString() });
    const rewrite = await this.maybeRewriteAof(now);
    if (rewrite) run.aofRewrite = rewrite;
    await this.deps.retention.recordRun(
      {
        packed: run.packed,
        purged: run.purged,
        expired: run.expired,
        deferred: run.deferred,
        errors: run.errors,
      },
      now,
      Date.now() - started,
    );
    if (run.purged + run.expired + run.errors > 0) this.deps.log.info(run, 'retention sweep');
    return run;
  }

  /**
   * Runs one step over its due transfers, a batch at a time, up to maxPerRun. A transfer the step
   * leaves in its schedule (changed meanwhile, or failed) is skipped for the rest of this run.
   */
  private async step(
    step: RetentionStep,
    cutoffMs: number,
    handle: (id: string) => Promise<StepOutcome>,
  ): Promise<StepOutcome[]> {
    const outcomes: StepOutcome[] = [];
    const skipped = new Set<string>();
    while (outcomes.length < this.maxPerRun) {
      const ids = (await this.deps.retention.due(step, cutoffMs, this.batch + skipped.size)).filter(
        (id) => !skipped.has(id),
      );
      if (ids.length === 0) break;
      for (const id of ids.slice(0, this.batch)) {
        let outcome: StepOutcome;
        try {
          outcome = await handle(id);
        } catch (err) {
          if (isStoreUnavailable(err)) throw err;
          outcome = 'error';
          // One damaged transfer must not stop the others: it is named once and left for a person.
          if (!this.warned.has(`${step}:${id}`)) {
            this.warned.add(`${step}:${id}`);
            this.deps.log.error({ err, transferId: id, step }, 'retention step failed for one transfer');
          }
        }
        if (outcome !== 'ok' && outcome !== 'missing' && outcome !== 'live') skipped.add(id);
        outcomes.push(outcome);
      }
    }
    return outcomes;
  }

  private async packOne(id: string): Promise<StepOutcome> {
    const raw = await this.deps.store.raw(id);
    if (!raw) {
      await this.deps.retention.forget(id);
      return 'missing';
    }
    const rev = raw.hash.rev ?? '0';
    const { fields, events } = mergeRecord(raw);
    const { hash, packed } = split(fields, rev);
    return this.deps.retention.swap(id, rev, 'pack', pack({ fields: packed, events }), hash);
  }

  /**
   * Erases a finished transfer's personal data: the sealed values, the masked copies in its document,
   * its idempotency key (the fingerprint of a body that held them), and any of the member's own values
   * that found their way into stored text (a partner's refusal naming the member, say), in the record
   * and in notifications still waiting. What is left is packed.
   */
  private async purgeOne(id: string, now: Date, cutoffMs: number): Promise<StepOutcome> {
    const raw = await this.deps.store.raw(id);
    if (!raw) {
      await this.deps.retention.forget(id);
      return 'missing';
    }
    const rev = raw.hash.rev ?? '0';
    const { fields, events } = mergeRecord(raw);
    const scrub = scrubber(this.openPii(id, fields.pii));
    const doc = JSON.parse(fields.doc ?? '{}') as Partial<TransferDoc>;
    delete doc.member;
    if (doc.reason && 'domesticContact' in doc.reason) {
      const { domesticContact: _contact, ...reason } = doc.reason;
      doc.reason = reason;
    }
    const idemRef = fields.idem;
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'pii' || k === 'idem') continue;
      kept[k] = k === 'doc' ? scrub(JSON.stringify(doc)) : scrub(v);
    }
    kept[RETENTION_FIELD.personalDataPurgedAt] = now.toISOString();
    // Notifications still waiting for Beijing first: if this stops between the two, the next run
    // does both again (scrubbing twice changes nothing).
    const waiting = await this.deps.retention.notifications(id);
    const scrubbed = Object.fromEntries(
      Object.entries(waiting)
        .map(([seq, n]) => [seq, scrub(n)] as const)
        .filter(([seq, n]) => n !== waiting[seq]),
    );
    if (Object.keys(scrubbed).length > 0) await this.deps.retention.rewriteNotifications(id, scrubbed);
    // Frozen: everything in the packed part, no hash (nothing changes a purged transfer any more).
    const all = Object.fromEntries(Object.entries(kept).filter(([k, v]) => v !== '' && k !== 'rev'));
    return this.deps.retention.swap(
      id,
      rev,
      'purge',
      pack({ fields: all, events: events.map(scrub) }),
      {},
      { cutoffMs, ...(idemRef ? { idemRef } : {}) },
    );
  }

  /** The member's values to scrub from stored text; none if the sealed data cannot be opened. */
  private openPii(id: string, sealed: string | undefined): string[] {
    if (!sealed) return [];
    try {
      return secretsOf(JSON.parse(this.deps.cipher.open(sealed, id)) as TransferPii);
    } catch (err) {
      // A key taken out of PII_KEYS: the sealed values are unreadable anyway and are erased all the same.
      if (!this.warned.has('pii-key')) {
        this.warned.add('pii-key');
        this.deps.log.warn(
          { transferId: id, err: (err as Error).message },
          'personal data purged without scrubbing stored text: it could not be opened',
        );
      }
      return [];
    }
  }

  private async expireOne(id: string, cutoffMs: number): Promise<StepOutcome> {
    const raw = await this.deps.store.raw(id);
    const merged = raw ? mergeRecord(raw, false).fields : undefined;
    const doc = merged?.doc ? (JSON.parse(merged.doc) as Partial<TransferDoc>) : undefined;
    const markers = [
      ...this.deps.settings.reminderDays.map((d) => reminderMarker(id, d)),
      overdueMarker(id),
    ].map((m) => this.deps.store.key('dedupe', m));
    const read = {
      ...(doc?.externalRef ? { externalRef: doc.externalRef } : {}),
      ...(merged?.state ? { state: merged.state } : {}),
      ...(merged?.target ? { target: merged.target } : {}),
      version: Number(merged?.version ?? 0),
    };
    const outcome = await this.deps.retention.expire(id, cutoffMs, read, [
      ...(merged?.idem ? [this.deps.store.idempotencyKeyOf(merged.idem)] : []),
      ...markers,
    ]);
    if (outcome === 'ok' && merged) await this.removeJobs(id, merged);
    return outcome;
  }

  private async removeJobs(id: string, merged: Record<string, string>): Promise<void> {
    try {
      await this.deps.jobs.removeJobs({
        id,
        target: merged.target ?? '',
        version: Number(merged.version ?? 0),
        generation: Number(merged.generation ?? 1),
      });
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      // A job being worked on cannot be removed; the queue's own bounds trim it later.
      this.deps.log.warn(
        { err: (err as Error).message, transferId: id },
        'jobs of an expired transfer left to the queue bounds',
      );
    }
  }

  /**
   * After a purge, the append-only file still holds what was erased until Redis rewrites it. The
   * gateway asks for a rewrite at the first run after a purge, then at most once an hour: every purged
   * value leaves the disk within about an hour and one run.
   */
  private async maybeRewriteAof(now: Date): Promise<RetentionRun['aofRewrite']> {
    const stats = await this.deps.retention.stats();
    if (!stats.aofRewriteDueSince) return undefined;
    const last = Date.parse(stats.aofRewriteRequestedAt ?? '') || 0;
    if (now.getTime() - last < AOF_REWRITE_MIN_INTERVAL_MS) return 'waiting';
    try {
      const result = await this.deps.disk.rewriteAof();
      await this.deps.retention.setStats({
        aofRewriteRequestedAt: now.toISOString(),
        aofRewriteResult: result,
      });
      await this.deps.retention.clearStats('aofRewriteDueSince', 'aofRewriteError');
      await this.deps.retention.incrStat('aofRewritesTotal');
      return result;
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      // Already rewriting (it may have started before the purge), or the command is not allowed:
      // asked again at the next run.
      const message = (err as Error).message;
      await this.deps.retention.setStats({ aofRewriteError: message.slice(0, 200) });
      if (!this.warned.has(`aof:${message}`)) {
        this.warned.add(`aof:${message}`);
        this.deps.log.warn(
          { err: message },
          'Redis did not start the AOF rewrite after a purge; asking again next run',
        );
      }
      return 'failed';
    }
  }

  /**
   * Transfers stored before retention existed have no finishing time: each finished one is given its
   * last change as one and entered in the schedules, and the indexes this version no longer keeps are
   * dropped. Once per Redis (its stats remember), in pages; safe to repeat if it stops half way.
   */
  private async upgrade(): Promise<void> {
    const { retention, store, targets } = this.deps;
    if ((await retention.stats()).layout === '2') return;
    for (const state of TERMINAL_STATES) {
      for (const target of targets) {
        let from = '-';
        for (;;) {
          const ids = await retention.indexPage(store.key('idx', 'st', state, target), from, this.batch);
          if (ids.length === 0) break;
          await retention.adopt(ids);
          from = `(${ids[ids.length - 1]}`;
        }
      }
    }
    await retention.dropOldIndexes(targets);
    await retention.setStats({ layout: '2' });
  }
}
