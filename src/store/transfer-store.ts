/**
 * The transfer store, in Redis. A transfer is a hash: `doc` (what never changes, personal data masked),
 * `pii` (name, ID number, phone sealed with AES-256-GCM), its state, version, attempts and generation,
 * and one field per changing fact (./facts.ts: read typed, written through factFields). Events are a
 * list beside it. Once it has finished, the retention sweep packs its long fields and events into one
 * compressed string beside a small hash (./packing.ts); reads merge the two, so nobody else sees it.
 *
 * Indexes are sorted sets scored 0 whose members (ids with a ULID) sort by time, so lexical ranges give
 * newest-first cursor pagination: one per state and target (`idx:st:<state>:<target>`, which every
 * list reads, merging several when it filters on less), one per externalRef, one of overdue transfers.
 * Finished transfers are also in `idx:finished`, scored by when they finished (retention, export).
 */
import { createHash } from 'node:crypto';
import type { Result } from 'ioredis';
import type { RedisClient } from '../redis.js';
import { STATES, type TransferEvent, type TransferState, type Target } from '../domain/transfer.js';
import type { TransferDoc } from './types.js';
import { readFacts, type TransferFacts } from './facts.js';
import { unpack } from './packing.js';
import { CREATE_TRANSFER, TRANSITION, TRANSITION_FIXED_KEYS, UPDATE_FIELDS } from './scripts.js';

/**
 * How many transfers' targets a store remembers. A transfer's target never changes, and TRANSITION
 * needs it to name the state indexes it moves the transfer between; a use case has nearly always just
 * read the transfer, so its target is known. A miss costs one more round trip (the script names it).
 */
const REMEMBERED_TARGETS = 20_000;

export interface StoredTransfer {
  doc: TransferDoc;
  piiSealed: string;
  state: TransferState;
  updatedAt: string;
  version: number;
  attempts: number;
  generation: number;
  /** What it has learnt since intake, typed (./facts.ts). */
  facts: TransferFacts;
  events: TransferEvent[];
  /** When it reached its terminal state (absent while in flight). */
  finishedAt?: string;
  /** When its personal data was erased (PII_RETENTION_DAYS after finishedAt). */
  personalDataPurgedAt?: string;
}

export interface IdempotencyRecord {
  transferId: string;
  fingerprint: string;
}

export type CreateOutcome = { created: true } | { created: false; existing: IdempotencyRecord };

export interface TransitionRequest {
  /** States the transfer may be in for the change to apply; '*' for any. */
  from: readonly TransferState[] | '*';
  /** The new state, or undefined to record an event without a state change. */
  to?: TransferState;
  event: TransferEvent;
  /** Other hash fields to set (strings; JSON for structured values). */
  set?: Record<string, string>;
  /**
   * The Beijing system hears of every state change. An event without a state change can be
   * announced too by naming its notification type (e.g. member.account_created).
   */
  notify?: { type?: string; detail?: Record<string, unknown> };
  /** Apply at most once per key (e.g. `callback:national:<webhook-id>`), remembered this long. */
  dedupe?: { key: string; ttlSeconds: number };
  /** Refuse the change (reason 'refused') if the transfer holds this field, e.g. `personalDataPurgedAt`. */
  refuseIf?: string;
  /**
   * A fact that can be recorded only once (a hash field, e.g. `nationalAccountCreated`): if the
   * transfer already holds it the change is a duplicate, whatever its dedupe key. Checked and set
   * (to the event's time) in the same atomic step as the change.
   */
  once?: string;
  /** Fields written only where the transfer holds no value yet (checked in the same step). */
  setIfAbsent?: Record<string, string>;
}

export type TransitionOutcome =
  | { ok: true; previousState: TransferState; version: number; notified: boolean }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'duplicate'; currentState: TransferState }
  | { ok: false; reason: 'invalid'; currentState: TransferState }
  | { ok: false; reason: 'refused'; currentState: TransferState; field: string };

export interface StoredNotification {
  type: string;
  seq: number;
  state: TransferState;
  previousState: TransferState;
  at: string;
  detail: Record<string, unknown>;
}

export interface ListFilter {
  state?: TransferState;
  target?: Target;
  externalRef?: string;
  /** Only transfers whose member is overdue for local reporting. */
  overdue?: boolean;
}

/** A transfer as it lies in Redis: its hash, its events list and its packed part (if packed). */
export interface RawRecord {
  hash: Record<string, string>;
  events: string[];
  packed: Buffer | null;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    tgwCreateTransfer(...args: (string | number)[]): Result<[string, string], Context>;
    tgwTransition(...args: (string | number)[]): Result<string[], Context>;
    tgwUpdateFields(key: string, ...args: (string | number)[]): Result<number | null, Context>;
  }
}

export class TransferStore {
  private readonly targetOf = new Map<string, Target>();

  /**
   * @param targets the partner ids: a list that filters on less than state and target merges the
   *   per-state-and-target indexes of these.
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly targets: readonly Target[],
  ) {
    redis.defineCommand('tgwCreateTransfer', { numberOfKeys: 6, lua: CREATE_TRANSFER });
    redis.defineCommand('tgwTransition', {
      numberOfKeys: TRANSITION_FIXED_KEYS + STATES.length,
      lua: TRANSITION,
    });
    redis.defineCommand('tgwUpdateFields', { numberOfKeys: 1, lua: UPDATE_FIELDS });
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /**
   * Where an idempotency key is remembered: `<scope>:<hash>`, hashed so that whatever a caller puts
   * in its key (even personal data) never becomes a Redis key name. The transfer keeps this (field
   * `idem`) so that purging or expiring it can delete the key.
   */
  idempotencyRef(scope: string, key: string): string {
    return `${scope}:${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
  }

  idempotencyKey(scope: string, key: string): string {
    return this.idempotencyKeyOf(this.idempotencyRef(scope, key));
  }

  idempotencyKeyOf(ref: string): string {
    return this.key('idem', ref);
  }

  /** Stores a new transfer with its idempotency key, first event, indexes and outbox entry, atomically. */
  async create(
    doc: TransferDoc,
    piiSealed: string,
    event: TransferEvent,
    idem: { scope: string; key: string; fingerprint: string; ttlSeconds: number },
    now: Date,
  ): Promise<CreateOutcome> {
    const id = doc.id;
    const record: IdempotencyRecord = { transferId: id, fingerprint: idem.fingerprint };
    const idemRef = this.idempotencyRef(idem.scope, idem.key);
    const [status, value] = await this.redis.tgwCreateTransfer(
      this.idempotencyKeyOf(idemRef),
      this.key('trf', id),
      this.key('trf', id, 'events'),
      this.key('outbox'),
      this.key('idx', 'st', 'accepted', doc.target),
      this.key('idx', 'ref', doc.externalRef),
      JSON.stringify(record),
      idem.ttlSeconds,
      id,
      now.getTime(),
      JSON.stringify(event),
      ...['doc', JSON.stringify(doc), 'pii', piiSealed, 'idem', idemRef, 'state', 'accepted'],
      ...['target', doc.target, 'updatedAt', doc.createdAt, 'version', 1, 'attempts', 0, 'generation', 1],
    );
    if (status === 'created') {
      this.rememberTarget(id, doc.target);
      return { created: true };
    }
    return { created: false, existing: JSON.parse(value) as IdempotencyRecord };
  }

  async get(id: string): Promise<StoredTransfer | null> {
    const raw = await this.raw(id);
    return raw ? toStored(raw) : null;
  }

  /** The transfer as it lies in Redis, read in one atomic step; null when there is none. */
  async raw(id: string): Promise<RawRecord | null> {
    const [hash, events, packed] = replies<[Record<string, string>, string[], Buffer | null]>(
      await this.redis
        .multi()
        .hgetall(this.key('trf', id))
        .lrange(this.key('trf', id, 'events'), 0, -1)
        .getBuffer(this.key('trf', id, 'packed'))
        .exec(),
    );
    // A frozen transfer (purged) has no hash: its packed part holds it all.
    if (!hash.state && !packed) return null;
    this.rememberTarget(id, hash.target);
    return { hash, events, packed };
  }

  /** One transfer without its events: what a worker needs, in one command. */
  async getState(id: string): Promise<StoredTransfer | null> {
    const [t] = await this.getMany([id]);
    return t ?? null;
  }

  /** The hash without events: for list pages and workers that need the current state only. */
  async getMany(ids: readonly string[]): Promise<StoredTransfer[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.key('trf', id)).getBuffer(this.key('trf', id, 'packed'));
    const results = replies<(Record<string, string> | Buffer | null)[]>(await pipe.exec());
    const out: StoredTransfer[] = [];
    for (let i = 0; i < ids.length; i += 1) {
      const hash = results[2 * i] as Record<string, string>;
      const packed = results[2 * i + 1] as Buffer | null;
      this.rememberTarget(ids[i] ?? '', hash.target);
      if (hash.state || packed) out.push(toStored({ hash, events: [], packed }, false));
    }
    return out;
  }

  /**
   * Applies one change atomically (TRANSITION). The script is given the state indexes of the target
   * this store believes the transfer has; if it was not known (or, impossibly, wrong) the script
   * writes nothing and names the target, and the change is sent again with that target's indexes.
   */
  async transition(id: string, req: TransitionRequest): Promise<TransitionOutcome> {
    let target = this.targetOf.get(id) ?? '';
    let reply = await this.runTransition(id, target, req);
    if (reply[0] === 'target') {
      target = reply[1] ?? '';
      this.rememberTarget(id, target);
      reply = await this.runTransition(id, target, req);
    }
    return toOutcome(reply);
  }

  private runTransition(id: string, target: Target, req: TransitionRequest): Promise<string[]> {
    const set = Object.entries(req.set ?? {}).flat();
    return this.redis.tgwTransition(
      this.key('trf', id),
      this.key('trf', id, 'events'),
      this.key('trf', id, 'notifications'),
      this.key('notify', 'outbox'),
      this.key('dedupe', req.dedupe?.key ?? 'none'),
      this.key('trf', id, 'packed'),
      this.key('idx', 'overdue'),
      this.key('idx', 'finished'),
      this.key('retention', 'purge'),
      this.key('retention', 'pack'),
      ...STATES.map((state) => this.key('idx', 'st', state, target)),
      id,
      target,
      req.from === '*' ? '*' : req.from.join(','),
      req.to ?? '',
      JSON.stringify(req.event),
      req.event.at,
      req.notify?.type ?? '',
      JSON.stringify(req.notify?.detail ?? {}),
      Date.parse(req.event.at) || Date.now(),
      req.dedupe?.ttlSeconds ?? 0,
      req.once ?? '',
      req.refuseIf ?? '',
      Object.keys(req.setIfAbsent ?? {}).length,
      ...Object.entries(req.setIfAbsent ?? {}).flat(),
      ...set,
    );
  }

  /** Remembers a transfer's target (it never changes), forgetting the oldest beyond the bound. */
  private rememberTarget(id: string, target: Target | undefined): void {
    if (!target || this.targetOf.get(id) === target) return;
    if (this.targetOf.size >= REMEMBERED_TARGETS) {
      const oldest = this.targetOf.keys().next().value;
      if (oldest !== undefined) this.targetOf.delete(oldest);
    }
    this.targetOf.set(id, target);
  }

  /** Sets bookkeeping fields of an existing transfer: no event, no version, no notification. */
  async setFields(id: string, fields: Record<string, string>): Promise<void> {
    const pairs = Object.entries(fields).flat();
    if (pairs.length > 0) await this.redis.tgwUpdateFields(this.key('trf', id), 'set', ...pairs);
  }

  /** Counts a submission about to leave for the partner; answers the new count. */
  async incrementAttempts(id: string): Promise<number> {
    return this.incrementField(id, 'attempts', 1);
  }

  /**
   * Adds `by` to a numeric bookkeeping field of an existing transfer and answers the new value
   * (0 when the transfer no longer exists: nothing is written then).
   */
  async incrementField(id: string, field: string, by = 1): Promise<number> {
    return Number((await this.redis.tgwUpdateFields(this.key('trf', id), 'incr', field, by)) ?? 0);
  }

  /**
   * Newest first. The cursor is the last id of the previous page. A filter on state and target reads
   * one index; a filter on less merges the indexes of every state and target it covers (ids sort by
   * time, so the newest ids of each index, merged, are the newest of all).
   */
  async list(
    filter: ListFilter,
    limit: number,
    cursor?: string,
  ): Promise<{ items: StoredTransfer[]; next?: string }> {
    const indexes = filter.overdue
      ? [this.key('idx', 'overdue')]
      : filter.externalRef
        ? [this.key('idx', 'ref', filter.externalRef)]
        : (filter.state ? [filter.state] : STATES).flatMap((state) =>
            (filter.target ? [filter.target] : this.targets).map((target) =>
              this.key('idx', 'st', state, target),
            ),
          );
    // A ref or overdue page can hold ids that the other filters then drop; read on until the page is full.
    const items: StoredTransfer[] = [];
    let from = cursor ? `(${cursor}` : '+';
    for (;;) {
      const ids = await this.newestIds(indexes, from, limit + 1);
      const batch = await this.getMany(ids);
      for (const t of batch) {
        if (filter.state && t.state !== filter.state) continue;
        if (filter.target && t.doc.target !== filter.target) continue;
        if (filter.externalRef && t.doc.externalRef !== filter.externalRef) continue;
        if (filter.overdue && !isOverdue(t)) continue;
        items.push(t);
      }
      if (ids.length <= limit || items.length > limit) break;
      from = `(${ids[ids.length - 1]}`;
    }
    if (items.length > limit) {
      const page = items.slice(0, limit);
      return { items: page, next: page[page.length - 1]?.doc.id };
    }
    return { items };
  }

  /** The `count` newest ids below `from` (a lex bound) across the given indexes, newest first. */
  private async newestIds(indexes: readonly string[], from: string, count: number): Promise<string[]> {
    if (indexes.length === 1) {
      return this.redis.zrange(indexes[0] ?? '', from, '-', 'BYLEX', 'REV', 'LIMIT', 0, count);
    }
    const pipe = this.redis.pipeline();
    for (const index of indexes) pipe.zrange(index, from, '-', 'BYLEX', 'REV', 'LIMIT', 0, count);
    const pages = replies<string[][]>(await pipe.exec());
    // An id sits in one state index at a time, but a change between two reads could show it twice.
    const merged = [...new Set(pages.flat())].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    return merged.slice(0, count);
  }

  /** How many transfers are stored (the sum of the per-state-and-target indexes). */
  async count(): Promise<number> {
    const counts = await this.countByStateAndTarget(STATES, this.targets);
    return counts.reduce((sum, c) => sum + c.count, 0);
  }

  async countByStateAndTarget(
    states: readonly TransferState[],
    targets: readonly Target[],
  ): Promise<{ state: TransferState; target: Target; count: number }[]> {
    const pairs = states.flatMap((state) => targets.map((target) => ({ state, target })));
    const pipe = this.redis.pipeline();
    for (const { state, target } of pairs) pipe.zcard(this.key('idx', 'st', state, target));
    const counts = replies<number[]>(await pipe.exec());
    return pairs.map((p, i) => ({ ...p, count: Number(counts[i] ?? 0) }));
  }

  /** The overdue index loses a transfer when its state changes (see TRANSITION), so this is exact. */
  async overdueCount(): Promise<number> {
    return this.redis.zcard(this.key('idx', 'overdue'));
  }

  async addToOverdueIndex(id: string): Promise<void> {
    await this.redis.zadd(this.key('idx', 'overdue'), 0, id);
  }

  // --- the outbox: transfers whose delivery job is not yet confirmed queued ---

  async outboxDue(olderThan: Date, max: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('outbox'), '-inf', olderThan.getTime(), 'LIMIT', 0, max);
  }

  async inOutbox(id: string): Promise<boolean> {
    return (await this.redis.zscore(this.key('outbox'), id)) !== null;
  }

  async removeFromOutbox(id: string): Promise<void> {
    await this.redis.zrem(this.key('outbox'), id);
  }

  // --- notifications to the Beijing system, numbered per transfer ---

  async getNotification(transferId: string, seq: number): Promise<StoredNotification | null> {
    const raw = await this.redis.hget(this.key('trf', transferId, 'notifications'), String(seq));
    return raw ? (JSON.parse(raw) as StoredNotification) : null;
  }

  /** A notification Beijing acknowledged has done its work: its record goes (the job keeps a summary). */
  async deleteNotification(transferId: string, seq: number): Promise<void> {
    await this.redis.hdel(this.key('trf', transferId, 'notifications'), String(seq));
  }

  /** `transferId:seq` entries written by transitions and not yet confirmed queued. */
  async notificationOutboxDue(olderThan: Date, max: number): Promise<{ transferId: string; seq: number }[]> {
    const members = await this.redis.zrangebyscore(
      this.key('notify', 'outbox'),
      '-inf',
      olderThan.getTime(),
      'LIMIT',
      0,
      max,
    );
    return members.map((m) => {
      const at = m.lastIndexOf(':');
      return { transferId: m.slice(0, at), seq: Number(m.slice(at + 1)) };
    });
  }

  async removeNotificationFromOutbox(transferId: string, seq: number): Promise<void> {
    await this.redis.zrem(this.key('notify', 'outbox'), `${transferId}:${seq}`);
  }
}

/**
 * TRANSITION's reply as an outcome. 'target' after the second try would mean the transfer's target
 * changed in between, which nothing does: an error, not an outcome.
 */
function toOutcome(reply: string[]): TransitionOutcome {
  if (reply[0] === 'target') throw new Error(`the transfer's target changed to ${reply[1] ?? ''}`);
  if (reply[0] === 'ok') {
    return {
      ok: true,
      previousState: reply[1] as TransferState,
      version: Number(reply[2]),
      notified: reply[3] === '1',
    };
  }
  if (reply[0] === 'invalid')
    return { ok: false, reason: 'invalid', currentState: reply[1] as TransferState };
  if (reply[0] === 'duplicate')
    return { ok: false, reason: 'duplicate', currentState: reply[1] as TransferState };
  if (reply[0] === 'refused')
    return { ok: false, reason: 'refused', currentState: reply[1] as TransferState, field: reply[2] ?? '' };
  return { ok: false, reason: 'missing' };
}

/**
 * The replies of a pipeline or MULTI, or the first error among them. A reply is never read as data
 * when its command failed (a pipeline cut by a lost connection has an error in every slot), and a
 * discarded transaction (null) is an error too.
 */
function replies<T extends unknown[]>(results: [Error | null, unknown][] | null): T {
  if (!results) throw new Error('the Redis transaction was discarded');
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
  return results.map(([, value]) => value) as T;
}

/** The overdue index only grows; a transfer counts while its member is still awaited and flagged. */
function isOverdue(t: StoredTransfer): boolean {
  return t.state === 'awaiting_local_report' && t.facts.localReport?.overdue === true;
}

/**
 * A record's fields and events with its packed part merged in: a field in the hash was written after
 * the packing, so it wins; events in the list came after the packed ones. A field set to '' is absent.
 */
export function mergeRecord(
  raw: RawRecord,
  withEvents = true,
): { fields: Record<string, string>; events: string[] } {
  if (!raw.packed) return { fields: raw.hash, events: raw.events };
  const packed = unpack(raw.packed);
  return {
    fields: { ...packed.fields, ...raw.hash },
    events: withEvents ? [...packed.events, ...raw.events] : [],
  };
}

function toStored(raw: RawRecord, withEvents = true): StoredTransfer {
  const { fields: hash, events } = mergeRecord(raw, withEvents);
  return {
    doc: JSON.parse(hash.doc ?? '{}') as TransferDoc,
    piiSealed: hash.pii ?? '',
    state: hash.state as TransferState,
    updatedAt: hash.updatedAt ?? '',
    version: Number(hash.version ?? 0),
    attempts: Number(hash.attempts ?? 0),
    generation: Number(hash.generation ?? 1),
    facts: readFacts(hash),
    events: events.map((e) => JSON.parse(e) as TransferEvent),
    ...(hash.finishedAt ? { finishedAt: hash.finishedAt } : {}),
    ...(hash.personalDataPurgedAt ? { personalDataPurgedAt: hash.personalDataPurgedAt } : {}),
  };
}
