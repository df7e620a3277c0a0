/**
 * Lua scripts: each store write is one script, so it is atomic (a crash or a concurrent request
 * sees all of it or none) and one round trip. Keys are built from the gateway's prefix inside the
 * scripts; the gateway supports a single Redis primary (with replicas or Sentinel), not Cluster.
 */

/**
 * Create a transfer unless its idempotency key is taken. The record, its first event, its index
 * entries and its outbox entry are written together: whatever happens after this script, the outbox
 * relay will see that the transfer still needs its job.
 *
 * KEYS: idem, transfer hash, events, outbox, idx:all, idx:state, idx:target, idx:state+target, idx:ref
 * ARGV: idem value, idem ttl (s), transfer id, outbox score (ms), first event, then hash field/value pairs
 */
export const CREATE_TRANSFER = `
local existing = redis.call('GET', KEYS[1])
if existing then return {'exists', existing} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('RPUSH', KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[4], tonumber(ARGV[4]), ARGV[3])
for i = 5, 9 do redis.call('ZADD', KEYS[i], 0, ARGV[3]) end
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
 * - "set if absent" fields are written only where the transfer has no value yet.
 * A refused change (invalid transition, duplicate) writes nothing, not even its dedupe key.
 *
 * KEYS: transfer hash, events, notifications hash, notification outbox, dedupe key (ignored when TTL is 0)
 * ARGV: key prefix, transfer id, allowed from-states (comma-separated, '*' = any), to-state or '',
 *       event JSON, updatedAt, notification type ('' = only on a state change), notification detail JSON,
 *       now (ms), dedupe TTL in seconds (0 = no dedupe), once field ('' = none), number N of
 *       set-if-absent pairs, then N set-if-absent field/value pairs, then hash field/value pairs to set
 * Returns {'ok', fromState, version, notified 0|1} | {'invalid', currentState} | {'missing'} | {'duplicate', state}
 */
export const TRANSITION = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
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
local to = ARGV[4]
local id = ARGV[2]
local p = ARGV[1]
local changed = to ~= '' and to ~= state
if changed then
  local target = redis.call('HGET', KEYS[1], 'target')
  redis.call('ZREM', p .. ':idx:state:' .. state, id)
  redis.call('ZREM', p .. ':idx:st:' .. state .. ':' .. target, id)
  redis.call('ZADD', p .. ':idx:state:' .. to, 0, id)
  redis.call('ZADD', p .. ':idx:st:' .. to .. ':' .. target, 0, id)
  redis.call('HSET', KEYS[1], 'state', to)
  -- Only a transfer awaiting its member's local report can be overdue.
  redis.call('ZREM', p .. ':idx:overdue', id)
end
if once ~= '' then redis.call('HSET', KEYS[1], once, ARGV[6]) end
local nx = tonumber(ARGV[12])
for i = 13, 12 + 2 * nx, 2 do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if not held or held == '' then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
local first = 13 + 2 * nx
if #ARGV >= first then redis.call('HSET', KEYS[1], unpack(ARGV, first)) end
if dedupeTtl > 0 then redis.call('SET', KEYS[5], '1', 'EX', dedupeTtl) end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[6])
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('RPUSH', KEYS[2], ARGV[5])
local notified = 0
local ntype = ARGV[7]
if ntype == '' and changed then ntype = 'transfer.state_changed' end
if ntype ~= '' then
  local now = redis.call('HGET', KEYS[1], 'state')
  local n = '{"type":' .. cjson.encode(ntype) .. ',"seq":' .. version .. ',"state":' .. cjson.encode(now) ..
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
if ARGV[1] == 'incr' then return redis.call('HINCRBY', KEYS[1], ARGV[2], ARGV[3]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;
