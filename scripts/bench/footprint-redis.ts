/**
 * How the footprint benchmark looks at Redis: used memory, every key of a prefix sized and put in a
 * class, keys with a wall-clock TTL expired by business time, traces of transfer ids, the slow log.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { builtInPartners } from '../../adapters/registry.js';
import { MAINTENANCE_QUEUE, NOTIFY_QUEUE } from '../../queues/names.js';

const QUEUES = [...builtInPartners.all().map((d) => d.queue), NOTIFY_QUEUE, MAINTENANCE_QUEUE];
const TRANSFER_ID = /trf_[0-9A-HJKMNP-TV-Z]{26}/g;

/** INFO <section> as a map. */
export async function info(client: Redis, section: string): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const line of (await client.info(section)).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/**
 * used_memory less what clients and the AOF hold in their buffers at that moment (they come and go
 * with traffic, not with what is stored) and less the Lua script cache (scripts the gateway's
 * processes load once). Waits for a running AOF rewrite to end first.
 */
export async function storedMemory(client: Redis): Promise<number> {
  await aofRewriteDone(client);
  const m = await info(client, 'memory');
  const n = (k: string) => Number(m[k] ?? 0);
  return (
    n('used_memory') -
    n('mem_clients_normal') -
    n('mem_clients_slaves') -
    n('mem_aof_buffer') -
    n('mem_replication_backlog') -
    n('used_memory_scripts')
  );
}

export async function aofRewriteDone(client: Redis): Promise<void> {
  for (;;) {
    const p = await info(client, 'persistence');
    if (p.aof_rewrite_in_progress === '0' && p.aof_rewrite_scheduled === '0') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The classes keys are counted in, first match wins; `own` ones are each transfer's own keys. */
export const KEY_CLASSES: readonly { name: string; test: RegExp; own: boolean }[] = [
  { name: 'record hash `trf:<id>`', test: /^trf:[^:]+$/, own: true },
  { name: 'events list `trf:<id>:events`', test: /^trf:[^:]+:events$/, own: true },
  { name: 'packed part `trf:<id>:packed`', test: /^trf:[^:]+:packed$/, own: true },
  { name: 'waiting notifications `trf:<id>:notifications`', test: /^trf:[^:]+:notifications$/, own: true },
  { name: 'externalRef index `idx:ref:<ref>`', test: /^idx:ref:/, own: true },
  { name: 'idempotency key `idem:*` (72 h)', test: /^idem:/, own: true },
  { name: 'callback dedupe `dedupe:callback:*` (7 d)', test: /^dedupe:callback:/, own: true },
  { name: 'local-report markers `dedupe:reminder|overdue:*` (2 d)', test: /^dedupe:/, own: true },
  { name: 'state indexes `idx:st:*` (entries)', test: /^idx:st:/, own: false },
  {
    name: 'retention schedules `idx:finished`, `retention:*`, `idx:overdue` (entries)',
    test: /^(idx:finished|idx:overdue|retention:pack|retention:purge)$/,
    own: false,
  },
  { name: 'outboxes `outbox`, `notify:outbox` (entries)', test: /^(outbox|notify:outbox)$/, own: false },
  {
    name: 'BullMQ: completed jobs added in the phase (kept by count; emptied before used_memory is read)',
    test: new RegExp(`^(${QUEUES.join('|')}):trf_[^:]+-[gn]\\d+$`),
    own: false,
  },
  {
    name: 'BullMQ: events and sets added in the phase (kept by count; emptied likewise)',
    test: new RegExp(`^(${QUEUES.join('|')}):`),
    own: false,
  },
  { name: 'other (stats, rate limiter …)', test: /./, own: false },
];

/** Classes of what BullMQ keeps by count, not per transfer (emptied before used_memory is read). */
export const QUEUE_CLASSES = new Set(
  KEY_CLASSES.filter((c) => c.name.startsWith('BullMQ')).map((c) => c.name),
);

export type Census = Record<string, { keys: number; bytes: number }>;

export function classOf(rest: string): string {
  return KEY_CLASSES.find((c) => c.test.test(rest))?.name ?? 'other';
}

/** Every key under `prefix:`, scanned, sized (MEMORY USAGE … SAMPLES 0: every element) and classed. */
export async function census(client: Redis, prefix: string): Promise<Census> {
  const out: Census = Object.fromEntries(KEY_CLASSES.map((c) => [c.name, { keys: 0, bytes: 0 }]));
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = client.pipeline();
    for (const key of keys) pipe.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const sizes = (await pipe.exec()) ?? [];
    keys.forEach((key, i) => {
      const bytes = Number(sizes[i]?.[1] ?? 0);
      if (!bytes) return; // gone between SCAN and MEMORY USAGE
      const c = out[classOf(key.slice(prefix.length + 1))];
      if (c) {
        c.keys += 1;
        c.bytes += bytes;
      }
    });
  } while (cursor !== '0');
  return out;
}

/** MEMORY USAGE summed over BullMQ's keys under `prefix:` (jobs, sets, events streams, schedulers). */
export async function queueKeysBytes(client: Redis, prefix: string): Promise<number> {
  let bytes = 0;
  for (const name of QUEUES) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:${name}:*`, 'COUNT', 10_000);
      cursor = next;
      if (keys.length === 0) continue;
      const pipe = client.pipeline();
      for (const key of keys) pipe.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      for (const [, size] of (await pipe.exec()) ?? []) bytes += Number(size ?? 0);
    } while (cursor !== '0');
  }
  return bytes;
}

/**
 * Empties what BullMQ keeps by count whatever the traffic: completed jobs (the last 1,000 per queue)
 * and the events streams (about 10,000 entries per queue). At steady state a new transfer's jobs and
 * events replace old ones; emptying them before reading used_memory leaves the store's own growth.
 */
export async function emptyBullmqKept(client: Redis, prefix: string): Promise<void> {
  for (const name of QUEUES) {
    const queue = new Queue(name, { connection: client, prefix });
    try {
      await queue.clean(0, 0, 'completed');
      await queue.trimEvents(0);
    } finally {
      await queue.close();
    }
  }
}

/** The wall-clock TTL each family of keys was given when written. */
export interface TtlFamilies {
  idempotencyMs: number;
  callbackDedupeMs: number;
  markerMs: number;
}

function familyTtl(rest: string, ttl: TtlFamilies): number | undefined {
  if (rest.startsWith('idem:')) return ttl.idempotencyMs;
  if (rest.startsWith('dedupe:callback:')) return ttl.callbackDedupeMs;
  if (rest.startsWith('dedupe:reminder:') || rest.startsWith('dedupe:overdue:')) return ttl.markerMs;
  return undefined;
}

/**
 * Redis expires `EX` keys by wall time, and the benchmark moves business time by days in seconds. This
 * ends (EXPIRE key 0, which is what Redis does when the TTL runs out) every idempotency key, callback
 * dedupe key and local-report marker whose TTL has passed in business time: the wall time it was
 * written at is its wall expiry less its TTL, and the clock tells the business time of that moment.
 * Nothing else is touched. Answers how many were ended and how many (and bytes) still live.
 */
export async function expireByBusinessTime(
  client: Redis,
  prefix: string,
  businessAt: (wallMs: number) => number,
  businessNowMs: number,
  ttl: TtlFamilies,
): Promise<{ ended: number; live: number; liveBytes: number }> {
  let ended = 0;
  let live = 0;
  let liveBytes = 0;
  for (const family of ['idem:*', 'dedupe:*']) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:${family}`, 'COUNT', 5000);
      cursor = next;
      if (keys.length === 0) continue;
      const wallNow = Date.now();
      const pipe = client.pipeline();
      for (const key of keys) pipe.pttl(key).call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      const replies = (await pipe.exec()) ?? [];
      const end = client.pipeline();
      keys.forEach((key, i) => {
        const pttl = Number(replies[2 * i]?.[1] ?? -2);
        const family = familyTtl(key.slice(prefix.length + 1), ttl);
        if (pttl <= 0 || family === undefined) return;
        const writtenWall = wallNow + pttl - family;
        if (businessAt(writtenWall) + family <= businessNowMs) {
          end.expire(key, 0);
          ended += 1;
        } else {
          live += 1;
          liveBytes += Number(replies[2 * i + 1]?.[1] ?? 0);
        }
      });
      if (end.length > 0) await end.exec();
    } while (cursor !== '0');
  }
  return { ended, live, liveBytes };
}

/**
 * Where the given transfer ids are still named under `prefix:`: key names, and members of sorted sets,
 * sets, lists and hashes (index entries, schedules, outboxes, jobs' sets); BullMQ's events streams
 * (trimmed by count, not by time) are counted apart.
 */
export async function traces(
  client: Redis,
  prefix: string,
  ids: ReadonlySet<string>,
): Promise<{ keys: number; entries: number; streamEntries: number; examples: string[] }> {
  let keysNaming = 0;
  let entries = 0;
  let streamEntries = 0;
  const examples: string[] = [];
  const names = (text: string) => (text.match(TRANSFER_ID) ?? []).some((id) => ids.has(id));
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    for (const key of keys) {
      if (names(key)) {
        keysNaming += 1;
        if (examples.length < 5) examples.push(key);
        continue;
      }
      const type = await client.type(key);
      let items: string[] = [];
      if (type === 'zset') items = await client.zrange(key, 0, -1);
      else if (type === 'set') items = await client.smembers(key);
      else if (type === 'list') items = await client.lrange(key, 0, -1);
      else if (type === 'hash') items = Object.entries(await client.hgetall(key)).flat();
      else if (type === 'stream') {
        const stream = (await client.xrange(key, '-', '+')) as [string, string[]][];
        streamEntries += stream.filter(([, fields]) => fields.some(names)).length;
        continue;
      }
      const hits = items.filter(names).length;
      if (hits > 0) {
        entries += hits;
        if (examples.length < 5) examples.push(`${key} (${hits})`);
      }
    }
  } while (cursor !== '0');
  return { keys: keysNaming, entries, streamEntries, examples };
}

export interface SlowEntry {
  id: number;
  at: string;
  micros: number;
  command: string;
  client: string;
}

/** SLOWLOG GET, newest first, without the commands of clients named `exclude` (the benchmark's own). */
export async function slowlog(client: Redis, exclude: string): Promise<SlowEntry[]> {
  const raw = (await client.call('SLOWLOG', 'GET', '1000')) as [
    number,
    number,
    number,
    string[],
    string,
    string,
  ][];
  return raw
    .filter((e) => e[5] !== exclude)
    .map(([id, at, micros, args, , name]) => ({
      id,
      at: new Date(at * 1000).toISOString(),
      micros,
      command: args
        .slice(0, 4)
        .map((a) => (a.length > 40 ? `${a.slice(0, 40)}…` : a))
        .join(' '),
      client: name,
    }));
}
