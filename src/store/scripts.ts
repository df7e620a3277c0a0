/**
 * Lua scripts: each store write is one script, so it is atomic (a crash or a concurrent request
 * sees all of it or none) and one round trip.
 *
 * Every key a script touches arrives in KEYS, never built inside it from a prefix: Redis Cluster runs a
 * script on the node that owns the slot of its KEYS, and only KEYS tell it (and the client) which slot
 * that is; a key a script makes up itself is unsupported there (refused outright when another node
 * owns it, and by proxies and stricter servers whatever its slot). ARGV carries values only. Where the key depends on what the script reads
 * (a transfer's state index), the caller passes every candidate and the script picks among them. On a
 * cluster the store's keys share one hash tag (src/redis-topology.ts), so every script's keys share
 * one slot; on one server the key names are those every earlier version wrote.
 *
 * Every write to a transfer's hash increments its `rev`, so a step that computed a new form of the
 * record outside Redis (packing, purging: ./retention-store.ts) can swap it in only if nothing changed.
 */
import { STATES, TERMINAL_STATES } from '../domain/transfer.js';

/** The terminal states, as the scripts test them: `string.find(TERMINAL, ',' .. state .. ',')`. */
const TERMINAL = `,${TERMINAL_STATES.join(',')},`;
const isTerminal = (v: string) => `string.find('${TERMINAL}', ',' .. ${v} .. ',', 1, true)`;

/**
 * A Lua table from state name to the position in KEYS of that state's index, for scripts that take a
 * run of state-index keys (one per state of `states`, in that order) starting at KEYS[first].
 */
const indexTable = (name: string, states: readonly string[], first: number) =>
  `local ${name} = {${states.map((s, i) => `['${s}'] = ${first + i}`).join(', ')}}`;

/** TRANSITION's fixed keys; the target's state indexes follow, one per state in STATES order. */
export const TRANSITION_FIXED_KEYS = 10;
/** EXPIRE_RECORD's fixed keys; the target's terminal-state indexes follow, then the keys to delete. */
export const EXPIRE_FIXED_KEYS = 13;

/**
 * Create a transfer unless its idempotency key is taken. The record, its first event, its index
 * entries and its outbox entry are written together: whatever happens after this script, the outbox
 * relay will see that the transfer still needs its job.
 *
 * KEYS: idem, transfer hash, events, outbox, idx:st:accepted:<target>, idx:ref:<ref>
 * ARGV: idem value, idem ttl (s), transfer id, outbox score (ms), first event, then hash field/value pairs
 */
export const CREATE_TRANSFER = `
local existing = redis.call('GET', KEYS[1])
if existing then return {'exists', existing} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('RPUSH', KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[4], tonumber(ARGV[4]), ARGV[3])
redis.call('ZADD', KEYS[5], 0, ARGV[3])
redis.call('ZADD', KEYS[6], 0, ARGV[3])
return {'created', ARGV[3]}
`;

/**
 * Apply one event to a transfer, atomically. The state changes only if the current state is one of
 * the allowed ones; the indexes move with it; the version increases so readers can order changes.
 * An empty target state records an event without a state change. A state change (or an event that
 * names a notification type) also writes the notification for the Beijing system, numbered by the
 * transfer's version, and puts it in the notification outbox: it cannot be lost between the change
 * and its queueing.
 *
 * Every precondition is checked here, in the step that writes, never by the caller beforehand:
 * - a dedupe key (e.g. a partner callback's webhook-id) makes the change apply at most once per key;
 * - a `once` field names a fact (e.g. `nationalAccountCreated`): if the transfer already holds it, the
 *   change is a duplicate whatever its key, so N concurrent reports of one fact apply once;
 * - a "refuse if" field (e.g. `personalDataPurgedAt`) refuses the change when the transfer holds it;
 * - "set if absent" fields are written only where the transfer has no value yet.
 * A refused change (invalid transition, duplicate, refused) writes nothing, not even its dedupe key.
 *
 * Retention: reaching a terminal state sets `finishedAt` and enters the transfer in idx:finished and
 * the purge schedule (scored by that time); leaving one (an operator's retry of a failed transfer)
 * takes it out of both. Any change that leaves the transfer terminal schedules it for packing.
 *
 * A transfer whose personal data was purged is frozen (its hash is gone, its packed part holds it all):
 * every change is refused, as by its `personalDataPurgedAt`.
 *
 * KEYS: transfer hash, events, notifications hash, notification outbox, dedupe key (ignored when TTL
 *       is 0), packed part, idx:overdue, idx:finished, retention:purge, retention:pack, then the
 *       state indexes of the transfer's target (idx:st:<state>:<target>), one per state in STATES
 *       order: the script moves the transfer from its current state's index to the new one's
 * ARGV: transfer id, the target those state indexes belong to, allowed from-states (comma-separated,
 *       '*' = any), to-state or '', event JSON, updatedAt, notification type ('' = only on a state
 *       change), notification detail JSON, now (ms), dedupe TTL in seconds (0 = no dedupe), once field
 *       ('' = none), refuse-if field ('' = none), number N of set-if-absent pairs, then N set-if-absent
 *       field/value pairs, then hash field/value pairs to set
 * Returns {'ok', fromState, version, notified 0|1} | {'invalid', currentState} | {'missing'} |
 *   {'duplicate', state} | {'refused', state, field} | {'target', target}: a state change whose state
 *   indexes were passed for another target than the transfer's; nothing was written, call again with
 *   that target's indexes.
 */
export const TRANSITION = `
${indexTable('STATE_INDEX', STATES, TRANSITION_FIXED_KEYS + 1)}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  if redis.call('EXISTS', KEYS[6]) == 1 then return {'refused', '', 'personalDataPurgedAt'} end
  return {'missing'}
end
local dedupeTtl = tonumber(ARGV[10])
if dedupeTtl > 0 and redis.call('EXISTS', KEYS[5]) == 1 then return {'duplicate', state} end
local allowed = ARGV[3]
if allowed ~= '*' and not string.find(',' .. allowed .. ',', ',' .. state .. ',', 1, true) then
  return {'invalid', state}
end
local once = ARGV[11]
if once ~= '' then
  local held = redis.call('HGET', KEYS[1], once)
  if held and held ~= '' and held ~= '0' then return {'duplicate', state} end
end
local refuseIf = ARGV[12]
if refuseIf ~= '' then
  local held = redis.call('HGET', KEYS[1], refuseIf)
  if held and held ~= '' then return {'refused', state, refuseIf} end
end
local to = ARGV[4]
local id = ARGV[1]
local nowMs = tonumber(ARGV[9])
local changed = to ~= '' and to ~= state
if changed then
  -- The state indexes passed are one target's: checked before anything is written.
  local target = redis.call('HGET', KEYS[1], 'target') or ''
  if target ~= ARGV[2] then return {'target', target} end
  local fromIndex = STATE_INDEX[state]
  if fromIndex then redis.call('ZREM', KEYS[fromIndex], id) end
  redis.call('ZADD', KEYS[STATE_INDEX[to]], 0, id)
  redis.call('HSET', KEYS[1], 'state', to)
  -- Only a transfer awaiting its member's local report can be overdue.
  redis.call('ZREM', KEYS[7], id)
  if ${isTerminal('to')} then
    redis.call('HSET', KEYS[1], 'finishedAt', ARGV[6])
    redis.call('ZADD', KEYS[8], nowMs, id)
    redis.call('ZADD', KEYS[9], nowMs, id)
  elseif ${isTerminal('state')} then
    redis.call('HDEL', KEYS[1], 'finishedAt')
    redis.call('ZREM', KEYS[8], id)
    redis.call('ZREM', KEYS[9], id)
    redis.call('ZREM', KEYS[10], id)
  end
end
if once ~= '' then redis.call('HSET', KEYS[1], once, ARGV[6]) end
local nx = tonumber(ARGV[13])
for i = 14, 13 + 2 * nx, 2 do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if not held or held == '' then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
local first = 14 + 2 * nx
if #ARGV >= first then redis.call('HSET', KEYS[1], unpack(ARGV, first)) end
if dedupeTtl > 0 then redis.call('SET', KEYS[5], '1', 'EX', dedupeTtl) end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[6])
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HINCRBY', KEYS[1], 'rev', 1)
redis.call('RPUSH', KEYS[2], ARGV[5])
local final = redis.call('HGET', KEYS[1], 'state')
if ${isTerminal('final')} then redis.call('ZADD', KEYS[10], nowMs, id) end
local notified = 0
local ntype = ARGV[7]
if ntype == '' and changed then ntype = 'transfer.state_changed' end
if ntype ~= '' then
  local n = '{"type":' .. cjson.encode(ntype) .. ',"seq":' .. version .. ',"state":' .. cjson.encode(final) ..
    ',"previousState":' .. cjson.encode(state) .. ',"at":' .. cjson.encode(ARGV[6]) .. ',"detail":' .. ARGV[8] .. '}'
  redis.call('HSET', KEYS[3], tostring(version), n)
  redis.call('ZADD', KEYS[4], tonumber(ARGV[9]), id .. ':' .. version)
  notified = 1
end
return {'ok', state, tostring(version), tostring(notified)}
`;

/**
 * Bookkeeping on an existing transfer only: a counter or field written after the transfer is gone
 * must not leave a stray hash behind. KEYS: transfer hash. ARGV: 'incr', field, by | 'set', field, value, …
 * Returns the new counter value, 1 for a set, or false when the transfer does not exist.
 */
export const UPDATE_FIELDS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
if ARGV[1] == 'incr' then return redis.call('HINCRBY', KEYS[1], ARGV[2], ARGV[3]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

/**
 * Swap in a new form of a finished transfer computed outside Redis, if nothing changed since it was
 * read (`rev`), it is still terminal, and (a purge) it is still due: a transfer retried and finished
 * again since the purge was scheduled has a new time.
 * - pack: the hash is written anew with its short fields (so Redis stores it compactly again); the
 *   long ones and the events go into the packed part;
 * - purge: everything left goes into the packed part and the hash is deleted: the transfer is frozen
 *   (nothing changes it any more; TRANSITION refuses) until it expires.
 *
 * The retention totals (retention:stats packedTotal / purgedTotal) count in the same step, so they are
 * exact whatever process dies when.
 *
 * KEYS: transfer hash, events, packed, retention:pack, retention:purge, idempotency key (purge only),
 *       retention:stats
 * ARGV: transfer id, rev read, mode ('pack' | 'purge'), packed blob, purge cutoff (ms), then (pack) the
 *       hash's field/value pairs
 * Returns 'ok' | 'stale' (changed meanwhile: try again later) | 'missing' | 'live' (not terminal) |
 *   'not_due'
 */
export const SWAP_RECORD = `
local state = redis.call('HGET', KEYS[1], 'state')
local id = ARGV[1]
if not state then
  redis.call('ZREM', KEYS[4], id)
  redis.call('ZREM', KEYS[5], id)
  return 'missing'
end
if (redis.call('HGET', KEYS[1], 'rev') or '0') ~= ARGV[2] then return 'stale' end
if not ${isTerminal('state')} then
  redis.call('ZREM', KEYS[4], id)
  return 'live'
end
if ARGV[3] == 'purge' then
  local due = redis.call('ZSCORE', KEYS[5], id)
  if not due or tonumber(due) > tonumber(ARGV[5]) then return 'not_due' end
end
redis.call('DEL', KEYS[1], KEYS[2])
if ARGV[3] ~= 'purge' then redis.call('HSET', KEYS[1], unpack(ARGV, 6)) end
redis.call('SET', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], id)
if ARGV[3] == 'purge' then
  redis.call('ZREM', KEYS[5], id)
  redis.call('DEL', KEYS[6])
  redis.call('HINCRBY', KEYS[7], 'purgedTotal', 1)
else
  redis.call('HINCRBY', KEYS[7], 'packedTotal', 1)
end
return 'ok'
`;

/**
 * Delete a finished transfer whose record retention has passed: the record, its events, its packed
 * part and notifications, every index entry, its idempotency key and its markers. Only if it is still
 * in idx:finished with a finishing time at or before the cutoff (a retried transfer is not).
 *
 * KEYS: hash, events, packed, notifications, idx:finished, retention:pack, retention:purge, idx:ref of
 *       its externalRef, idx:overdue, outbox, notification outbox, retention:stats (expiredTotal counts
 *       in the same step), its state index as read (a frozen transfer has no hash to read it from),
 *       then the terminal-state indexes of its target (idx:st:<state>:<target>, one per state in
 *       TERMINAL_STATES order: the script takes it out of the one its hash names), then keys to delete
 *       (idempotency key, reminder markers)
 * ARGV: transfer id, the target those terminal-state indexes belong to, cutoff (ms), its version as read
 * Returns 'ok' | 'not_due' | 'live' | 'stale' (its hash names another target than the indexes passed:
 *   nothing written, tried again at the next run)
 */
export const EXPIRE_RECORD = `
${indexTable('TERMINAL_INDEX', TERMINAL_STATES, EXPIRE_FIXED_KEYS + 1)}
local id = ARGV[1]
local score = redis.call('ZSCORE', KEYS[5], id)
if not score or tonumber(score) > tonumber(ARGV[3]) then return 'not_due' end
local state = redis.call('HGET', KEYS[1], 'state')
local version = tonumber(ARGV[4]) or 0
if state then
  if not ${isTerminal('state')} then
    redis.call('ZREM', KEYS[5], id)
    return 'live'
  end
  local target = redis.call('HGET', KEYS[1], 'target') or ''
  if target ~= ARGV[2] then return 'stale' end
  redis.call('ZREM', KEYS[TERMINAL_INDEX[state]], id)
  version = math.max(version, tonumber(redis.call('HGET', KEYS[1], 'version') or '0'))
end
redis.call('ZREM', KEYS[13], id)
for v = 1, version do redis.call('ZREM', KEYS[11], id .. ':' .. v) end
for i = 8, 10 do redis.call('ZREM', KEYS[i], id) end
for i = 5, 7 do redis.call('ZREM', KEYS[i], id) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
for i = ${EXPIRE_FIXED_KEYS + TERMINAL_STATES.length + 1}, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('HINCRBY', KEYS[12], 'expiredTotal', 1)
return 'ok'
`;

/**
 * Enter a finished transfer stored before retention existed in the retention schedules, its last
 * change taken as its finishing time. Does nothing to one that has a finishing time or is not finished.
 *
 * KEYS: hash, idx:finished, retention:purge, retention:pack
 * ARGV: transfer id, its updatedAt in ms (read just before: only a fallback score)
 */
export const ADOPT_FINISHED = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state or not ${isTerminal('state')} then return 0 end
if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then return 0 end
local at = redis.call('HGET', KEYS[1], 'updatedAt') or ''
local ms = tonumber(ARGV[2]) or 0
redis.call('HSET', KEYS[1], 'finishedAt', at)
redis.call('ZADD', KEYS[2], 'NX', ms, ARGV[1])
redis.call('ZADD', KEYS[3], 'NX', ms, ARGV[1])
redis.call('ZADD', KEYS[4], 'NX', ms, ARGV[1])
return 1
`;
