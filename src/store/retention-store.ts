/**
 * The store's side of retention: the schedules a finished transfer moves through, and the atomic steps
 * that pack, purge and expire it (./scripts.ts). What each step computes (the packed form, the record
 * without personal data) is decided by the retention sweep (src/usecases/retention.ts).
 *
 *   retention:pack    finished transfers written since they were last packed, scored by that write
 *   retention:purge   finished transfers still holding personal data, scored by when they finished
 *   idx:finished      every finished transfer, scored by when it finished (expiry, export)
 *   retention:stats   totals and the last run, for /metrics, /v1/ops/retention and the CLI
 */
import type { Result } from 'ioredis';
import { primaries, type RedisClient, type RedisNode } from '../redis.js';
import { STATES, TERMINAL_STATES, type Target } from '../domain/transfer.js';
import { ADOPT_FINISHED, EXPIRE_RECORD, SWAP_RECORD } from './scripts.js';
import type { TransferStore } from './transfer-store.js';

export type RetentionStep = 'pack' | 'purge' | 'expire';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    tgwSwapRecord(...args: (string | number | Buffer)[]): Result<string, Context>;
    tgwExpireRecord(...args: (string | number)[]): Result<string, Context>;
    tgwAdoptFinished(...args: (string | number)[]): Result<number, Context>;
  }
}

export type SwapOutcome = 'ok' | 'stale' | 'missing' | 'live' | 'not_due';
export type ExpireOutcome = 'ok' | 'not_due' | 'live' | 'stale';

/** A page of finished transfers: ids with when they finished (ms), oldest first. */
export interface FinishedPage {
  items: { id: string; finishedAtMs: number }[];
  /** Pass back to read on; absent on the last page. */
  next?: string;
}

export class RetentionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly store: TransferStore,
  ) {
    redis.defineCommand('tgwSwapRecord', { numberOfKeys: 7, lua: SWAP_RECORD });
    redis.defineCommand('tgwExpireRecord', { lua: EXPIRE_RECORD });
    redis.defineCommand('tgwAdoptFinished', { numberOfKeys: 4, lua: ADOPT_FINISHED });
  }

  private key(...parts: string[]): string {
    return this.store.key(...parts);
  }

  private schedule(step: RetentionStep): string {
    return step === 'expire' ? this.key('idx', 'finished') : this.key('retention', step);
  }

  /** Up to `max` transfers whose step is due: scored at or before `cutoffMs`, oldest first. */
  async due(step: RetentionStep, cutoffMs: number, max: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.schedule(step), '-inf', cutoffMs, 'LIMIT', 0, max);
  }

  /** How many transfers the step has due at `cutoffMs`. */
  async dueCount(step: RetentionStep, cutoffMs: number): Promise<number> {
    return this.redis.zcount(this.schedule(step), '-inf', cutoffMs);
  }

  /** The earliest score in a step's schedule (ms), or null when it is empty. */
  async earliest(step: RetentionStep): Promise<number | null> {
    const [, score] = await this.redis.zrange(this.schedule(step), 0, 0, 'WITHSCORES');
    return score === undefined ? null : Number(score);
  }

  /** Forgets a transfer in every schedule (it no longer exists). */
  async forget(id: string): Promise<void> {
    await this.redis
      .multi()
      .zrem(this.key('retention', 'pack'), id)
      .zrem(this.key('retention', 'purge'), id)
      .exec();
  }

  /**
   * Swaps in a new form of a finished transfer (packed, or packed and purged) if its `rev` is still the
   * one read (and, a purge, if it is still due at the cutoff). A purge also deletes the transfer's
   * idempotency key and leaves the purge schedule.
   */
  async swap(
    id: string,
    rev: string,
    mode: 'pack' | 'purge',
    packed: Buffer,
    hash: Record<string, string>,
    purge?: { cutoffMs: number; idemRef?: string },
  ): Promise<SwapOutcome> {
    const reply = await this.redis.tgwSwapRecord(
      this.key('trf', id),
      this.key('trf', id, 'events'),
      this.key('trf', id, 'packed'),
      this.key('retention', 'pack'),
      this.key('retention', 'purge'),
      purge?.idemRef ? this.store.idempotencyKeyOf(purge.idemRef) : this.key('idem', '-'),
      this.key('retention', 'stats'),
      id,
      rev,
      mode,
      packed,
      purge?.cutoffMs ?? 0,
      ...Object.entries(hash).flat(),
    );
    return reply as SwapOutcome;
  }

  /** Rewrites waiting notification records that still exist (a delivered one is gone: left so). */
  async rewriteNotifications(id: string, records: Record<string, string>): Promise<void> {
    const key = this.key('trf', id, 'notifications');
    for (const [seq, value] of Object.entries(records)) {
      // HSET only where the field is still there: a record deleted on delivery must not come back.
      await this.redis.eval(
        "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end",
        1,
        key,
        seq,
        value,
      );
    }
  }

  async notifications(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key('trf', id, 'notifications'));
  }

  /**
   * Deletes a finished transfer whose finishing time is at or before `cutoffMs`, with every index
   * entry and the keys named (its idempotency key, its reminder markers). Its target's terminal-state
   * indexes go with the keys: the script takes it out of the one its state names.
   */
  async expire(
    id: string,
    cutoffMs: number,
    read: { externalRef?: string; state?: string; target?: string; version?: number },
    alsoDelete: readonly string[],
  ): Promise<ExpireOutcome> {
    const { externalRef, state, target } = read;
    const keys = [
      this.key('trf', id),
      this.key('trf', id, 'events'),
      this.key('trf', id, 'packed'),
      this.key('trf', id, 'notifications'),
      this.key('idx', 'finished'),
      this.key('retention', 'pack'),
      this.key('retention', 'purge'),
      externalRef === undefined ? this.key('idx', 'ref', '-') : this.key('idx', 'ref', externalRef),
      this.key('idx', 'overdue'),
      this.key('outbox'),
      this.key('notify', 'outbox'),
      this.key('retention', 'stats'),
      state && target ? this.key('idx', 'st', state, target) : this.key('idx', 'st', '-'),
      ...TERMINAL_STATES.map((s) => this.key('idx', 'st', s, target ?? '')),
      ...alsoDelete,
    ];
    const reply = await this.redis.tgwExpireRecord(
      keys.length,
      ...keys,
      id,
      target ?? '',
      cutoffMs,
      read.version ?? 0,
    );
    return reply as ExpireOutcome;
  }

  /**
   * Finished transfers in [sinceMs, beforeMs), oldest first, `limit` at a time. The cursor is
   * `<finishedAtMs>:<id>` of the last item read.
   */
  async finished(sinceMs: number, beforeMs: number, limit: number, cursor?: string): Promise<FinishedPage> {
    const index = this.key('idx', 'finished');
    let min = String(sinceMs);
    let skipUpTo: { score: number; id: string } | undefined;
    if (cursor) {
      const at = cursor.indexOf(':');
      const score = Number(cursor.slice(0, at));
      if (Number.isFinite(score) && score >= sinceMs) {
        min = String(score);
        skipUpTo = { score, id: cursor.slice(at + 1) };
      }
    }
    const items: FinishedPage['items'] = [];
    let offset = 0;
    // Several transfers can finish in the same millisecond: skip those up to the cursor's id.
    for (;;) {
      const raw = await this.redis.zrangebyscore(
        index,
        min,
        `(${beforeMs}`,
        'WITHSCORES',
        'LIMIT',
        offset,
        limit + 1,
      );
      for (let i = 0; i < raw.length; i += 2) {
        const id = raw[i] ?? '';
        const score = Number(raw[i + 1]);
        if (skipUpTo && score === skipUpTo.score && id <= skipUpTo.id) continue;
        items.push({ id, finishedAtMs: score });
      }
      if (items.length > limit || raw.length < 2 * (limit + 1)) break;
      offset += limit + 1;
    }
    if (items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page, ...(last ? { next: `${last.finishedAtMs}:${last.id}` } : {}) };
    }
    return { items };
  }

  /** How many transfers finished in [sinceMs, beforeMs). */
  async finishedCount(sinceMs: number, beforeMs: number): Promise<number> {
    return this.redis.zcount(this.key('idx', 'finished'), sinceMs, `(${beforeMs}`);
  }

  // --- upgrading a store written before retention existed ---

  /** Up to `count` ids of an index (lexical, oldest first) above `from`. */
  async indexPage(index: string, from: string, count: number): Promise<string[]> {
    return this.redis.zrange(index, from, '+', 'BYLEX', 'LIMIT', 0, count);
  }

  /** Enters finished transfers without a finishing time in the schedules (see ADOPT_FINISHED). */
  async adopt(ids: readonly string[]): Promise<number> {
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.key('trf', id), 'updatedAt');
    const updated = (await pipe.exec()) ?? [];
    let adopted = 0;
    for (const [i, id] of ids.entries()) {
      const value = updated[i]?.[1];
      const at = typeof value === 'string' ? Date.parse(value) || 0 : 0;
      adopted += await this.redis.tgwAdoptFinished(
        this.key('trf', id),
        this.key('idx', 'finished'),
        this.key('retention', 'purge'),
        this.key('retention', 'pack'),
        id,
        at,
      );
    }
    return adopted;
  }

  /** Drops the indexes of the first layout (all, by state, by target): UNLINK frees them in the background. */
  async dropOldIndexes(targets: readonly Target[]): Promise<void> {
    await this.redis.unlink(
      this.key('idx', 'all'),
      ...STATES.map((s) => this.key('idx', 'state', s)),
      ...targets.map((t) => this.key('idx', 'target', t)),
    );
  }

  // --- the sweep's bookkeeping, shared by every process ---

  async stats(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key('retention', 'stats'));
  }

  /** The last run's figures (the totals are counted by each step itself, atomically). */
  async recordRun(run: Record<string, number>, at: Date, durationMs: number): Promise<void> {
    const multi = this.redis.multi();
    const key = this.key('retention', 'stats');
    for (const [name, n] of Object.entries(run)) {
      multi.hset(key, `last${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`, n);
    }
    multi.hset(key, 'lastRunAt', at.toISOString(), 'lastRunMs', Math.round(durationMs));
    await multi.exec();
  }

  async incrStat(field: string, by = 1): Promise<void> {
    await this.redis.hincrby(this.key('retention', 'stats'), field, by);
  }

  async setStats(fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.key('retention', 'stats'), fields);
  }

  async clearStats(...fields: string[]): Promise<void> {
    if (fields.length > 0) await this.redis.hdel(this.key('retention', 'stats'), ...fields);
  }

  /**
   * Asks Redis to rewrite its append-only file (BGREWRITEAOF), unless it keeps none. A Redis that
   * refuses CONFIG (a managed service) is asked all the same. On a cluster every primary is asked:
   * the store's slot may have moved between primaries (a failover, a resharding) since the purge, and
   * an old owner's file still holds what was erased.
   */
  async rewriteAof(): Promise<'requested' | 'aof_off'> {
    const results = await Promise.all(primaries(this.redis).map((node) => rewriteAofOn(node)));
    return results.includes('requested') ? 'requested' : 'aof_off';
  }
}

async function rewriteAofOn(redis: RedisNode): Promise<'requested' | 'aof_off'> {
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    if (appendonly === 'no') return 'aof_off';
  } catch (err) {
    if (!/unknown command|NOPERM|not allowed/i.test((err as Error).message)) throw err;
  }
  await redis.bgrewriteaof();
  return 'requested';
}
