/**
 * The Lua scripts behind every lease write. Each runs atomically in Redis, so "check the owner and
 * the counter, then write and bump the counter" is one step no other worker can interleave with.
 *
 * Row hash fields keep the DynamoDB guide's names: `ref` (owner), `ts` (epoch seconds of the last
 * write, for people), `sequence` (last checkpoint), plus `lease_counter`, `finished`, `pending_owner`,
 * `group`, `stream`, `shard`, `bytes_per_second` (the shard's recent throughput). Expiry is Redis's own key TTL (`PEXPIRE`), not a field.
 *
 * KEYS are always { row, stream index, group index }; all three carry the group as a hash tag, so a
 * script touches one Redis Cluster slot.
 */

/** Shared by the writing scripts: sequence comparison and the TTL/index upkeep every write does. */
const PRELUDE = `
-- Is decimal string a later than b? Kinesis sequence numbers have up to 40 digits; Lua numbers are
-- doubles and would round them. Compared by length, then byte by byte (not with < on strings,
-- whose order follows the server's locale).
local function laterDigits(a, b)
  a = string.gsub(a, '^0+', '')
  b = string.gsub(b, '^0+', '')
  if #a ~= #b then return #a > #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return false
end
-- A checkpoint inside a KPL aggregate is '<sequence>:<sub>': after the record before <sequence>, before
-- <sequence> itself (the whole record). Split off the sub-sequence; a whole record has none (nil).
local function split(position)
  local sequence, sub = string.match(position, '^(%d+):(%d+)$')
  if sequence then return sequence, sub end
  return position, nil
end
local function later(a, b)
  local sa, ka = split(a)
  local sb, kb = split(b)
  if laterDigits(sa, sb) then return true end
  if laterDigits(sb, sa) then return false end
  if ka == nil then return kb ~= nil end
  if kb == nil then return false end
  return laterDigits(ka, kb)
end

-- Push a key's expiry out to ttlMs from now, never pulling it in (indexes outlive their rows).
local function extend(key, ttlMs)
  if redis.call('PTTL', key) < ttlMs then redis.call('PEXPIRE', key, ttlMs) end
end

-- Every write stamps ts and the row's TTL, and keeps the row findable through the indexes.
local function touch(ts, ttlMs, stream, shard)
  redis.call('HSET', KEYS[1], 'ts', ts)
  redis.call('PEXPIRE', KEYS[1], ttlMs)
  redis.call('SADD', KEYS[2], shard)
  extend(KEYS[2], ttlMs)
  redis.call('SADD', KEYS[3], stream)
  extend(KEYS[3], ttlMs)
end
`;

/**
 * Create a row owned by ARGV[1] (ARGV[2] == '') or take one conditional on the counter ARGV[2] and
 * owner ARGV[3] ('' = none) this worker observed. ARGV: me, counter, owner, ts, ttlMs, group, stream,
 * shard, incarnation ('' = none). A create also replaces a row written for another incarnation of the
 * stream: everything it said is cleared and its counter moves on, so its old owner stays fenced.
 * Returns { 1, row } on success, { 0, row } (the current row, maybe empty) when the condition failed.
 */
export const TAKE = `${PRELUDE}
local me, expected, expectedOwner, ts, ttlMs, incarnation = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[9] or ''
if expected == '' then
  local counter = 1
  if redis.call('EXISTS', KEYS[1]) == 1 then
    local old = redis.call('HMGET', KEYS[1], 'incarnation', 'lease_counter')
    if incarnation == '' or not old[1] or old[1] == incarnation then return { 0, redis.call('HGETALL', KEYS[1]) } end
    counter = (tonumber(old[2]) or 0) + 1
    redis.call('DEL', KEYS[1])
  end
  redis.call('HSET', KEYS[1], 'ref', me, 'lease_counter', counter, 'finished', 0, 'group', ARGV[6], 'stream', ARGV[7], 'shard', ARGV[8])
  if incarnation ~= '' then redis.call('HSET', KEYS[1], 'incarnation', incarnation) end
else
  local f = redis.call('HMGET', KEYS[1], 'ref', 'lease_counter', 'finished')
  if f[2] ~= expected or (f[1] or '') ~= expectedOwner or f[3] == '1' then
    return { 0, redis.call('HGETALL', KEYS[1]) }
  end
  redis.call('HSET', KEYS[1], 'ref', me)
  redis.call('HINCRBY', KEYS[1], 'lease_counter', 1)
  redis.call('HDEL', KEYS[1], 'pending_owner')
end
touch(ts, ttlMs, ARGV[7], ARGV[8])
return { 1, redis.call('HGETALL', KEYS[1]) }
`;

/**
 * An owner's write, fenced on `ref == me AND lease_counter == counter`, and on a carried sequence being
 * later than the stored one (a checkpoint never moves backwards); bumps the counter.
 * ARGV: kind (renew | release | finish), me, counter, sequence ('' = none), ts, ttlMs, stream, shard,
 * startAt ('' = none; kept only if the row has none), bytesPerSecond ('' = none; the lease's recent
 * throughput, replacing the stored one). release clears `ref` (a pending owner stays: the row is then
 * reserved for it); finish marks the shard done and clears both.
 */
export const OWNER_WRITE = `${PRELUDE}
local kind, me, counter, sequence, ts, ttlMs, startAt = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[9] or ''
local rate = ARGV[10] or ''
local f = redis.call('HMGET', KEYS[1], 'ref', 'lease_counter', 'sequence')
if f[1] ~= me or f[2] ~= counter then return { 0, redis.call('HGETALL', KEYS[1]) } end
if sequence ~= '' and f[3] and not later(sequence, f[3]) then return { 0, redis.call('HGETALL', KEYS[1]) } end
if sequence ~= '' then redis.call('HSET', KEYS[1], 'sequence', sequence) end
if startAt ~= '' then redis.call('HSETNX', KEYS[1], 'start_at', startAt) end
if rate ~= '' then redis.call('HSET', KEYS[1], 'bytes_per_second', rate) end
redis.call('HINCRBY', KEYS[1], 'lease_counter', 1)
if kind == 'release' then
  redis.call('HDEL', KEYS[1], 'ref')
elseif kind == 'finish' then
  redis.call('HSET', KEYS[1], 'finished', 1)
  redis.call('HDEL', KEYS[1], 'ref', 'pending_owner')
end
touch(ts, ttlMs, ARGV[7], ARGV[8])
return { 1, redis.call('HGETALL', KEYS[1]) }
`;

/**
 * Ask owner ARGV[2] to hand the shard to ARGV[1]: sets `pending_owner` only. No counter bump and no
 * stamp, so the owner's fenced writes still match; it sees the request in the row its next write returns.
 */
export const REQUEST_HANDOFF = `
local f = redis.call('HMGET', KEYS[1], 'ref', 'pending_owner')
if f[1] ~= ARGV[2] or f[2] then return { 0, redis.call('HGETALL', KEYS[1]) } end
redis.call('HSET', KEYS[1], 'pending_owner', ARGV[1])
return { 1, redis.call('HGETALL', KEYS[1]) }
`;

/** Withdraw handoff request ARGV[1]: clear `pending_owner` if it still names it. */
export const CANCEL_HANDOFF = `
if redis.call('HGET', KEYS[1], 'pending_owner') ~= ARGV[1] then return { 0, redis.call('HGETALL', KEYS[1]) } end
redis.call('HDEL', KEYS[1], 'pending_owner')
return { 1, redis.call('HGETALL', KEYS[1]) }
`;

/** One row as a flat field/value list (a script, so every client and protocol version answers alike). */
export const READ_ROW = `return redis.call('HGETALL', KEYS[1])`;

/**
 * Every row of one stream (ARGV[2]) or of every stream of the group (ARGV[2] == ''), each a flat
 * field/value list. KEYS[1] is the group index; ARGV[1] the key base `<prefix>:{<group>}:`. Index
 * entries whose row has expired are dropped on the way.
 */
export const LIST_ROWS = `
local base, only = ARGV[1], ARGV[2]
local streams = only ~= '' and { only } or redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, stream in ipairs(streams) do
  local index = base .. stream
  local alive = 0
  for _, shard in ipairs(redis.call('SMEMBERS', index)) do
    local fields = redis.call('HGETALL', index .. ':' .. shard)
    if #fields == 0 then
      redis.call('SREM', index, shard)
    else
      out[#out + 1] = fields
      alive = alive + 1
    end
  end
  if alive == 0 and only == '' then redis.call('SREM', KEYS[1], stream) end
end
return out
`;
