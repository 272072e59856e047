import { type RedisCall, redisCaller, type RedisClientLike } from "../checkpointers/redis/client.ts";
import { decodeRow, KeySpace } from "../checkpointers/redis/rows.ts";
import { ScriptRunner } from "../checkpointers/redis/scripts.ts";
import { epochSeconds } from "../checkpointers/lease/lease-row.ts";
import { ProtocolError } from "../errors.ts";
import { type Clock, systemClock } from "../internal/clock.ts";
import type { AdminRow, AdminStore, PositionRow } from "./store.ts";

/**
 * Every row of one stream (ARGV[2]) or of every stream of the group, each as { fields, PTTL }: the
 * checkpointer's own listing (checkpointers/redis/lua.ts LIST_ROWS) plus each key's remaining life, so
 * a migration can keep it. Read-only: index entries of expired rows are left for the checkpointer to drop.
 */
const LIST_WITH_EXPIRY = `
local base, only = ARGV[1], ARGV[2]
local streams = only ~= '' and { only } or redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, stream in ipairs(streams) do
  local index = base .. stream
  for _, shard in ipairs(redis.call('SMEMBERS', index)) do
    local key = index .. ':' .. shard
    local fields = redis.call('HGETALL', key)
    if #fields > 0 then out[#out + 1] = { fields, redis.call('PTTL', key) } end
  end
end
return out
`;

/**
 * Replace a row if it is still the one read: lease_counter ARGV[1] and owner ARGV[2] ('' = none), or
 * absent when ARGV[1] is ''. Then the row is exactly the field/value pairs from ARGV[6] on, lives
 * ARGV[3] ms, and is listed in the stream index (KEYS[2], member ARGV[5]) and group index (KEYS[3],
 * member ARGV[4]), as every checkpointer write leaves it. Returns 1, or 0 when the row changed.
 */
const REPLACE_ROW = `
local expected, owner, ttlMs = ARGV[1], ARGV[2], tonumber(ARGV[3])
if expected == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
else
  local f = redis.call('HMGET', KEYS[1], 'lease_counter', 'ref')
  if f[1] ~= expected or (f[2] or '') ~= owner then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ttlMs)
redis.call('SADD', KEYS[2], ARGV[5])
if redis.call('PTTL', KEYS[2]) < ttlMs then redis.call('PEXPIRE', KEYS[2], ttlMs) end
redis.call('SADD', KEYS[3], ARGV[4])
if redis.call('PTTL', KEYS[3]) < ttlMs then redis.call('PEXPIRE', KEYS[3], ttlMs) end
return 1
`;

/** A `RedisCheckPointer`'s keys (prefix default `async-kinesis`), for the administration functions. */
export class RedisAdminStore implements AdminStore {
  readonly description: string;
  readonly #scripts: ScriptRunner;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(client: RedisClientLike, keyPrefix = "async-kinesis", clock: Clock = systemClock) {
    // A server that never answers must not hang an operator's command.
    const call: RedisCall = redisCaller(client, { clock, commandTimeoutMs: 10_000, maxAttempts: 2 });
    this.#scripts = new ScriptRunner(call);
    this.#prefix = keyPrefix;
    this.#now = () => clock.now();
    this.description = `Redis (key prefix ${keyPrefix})`;
  }

  async list(group: string, stream: string | undefined, signal?: AbortSignal): Promise<AdminRow[]> {
    const keys = new KeySpace(this.#prefix, group);
    const reply = await this.#scripts.run(LIST_WITH_EXPIRY, [keys.groupIndex], [`${keys.groupIndex}:`, stream ?? ""], signal);
    if (!Array.isArray(reply)) throw new ProtocolError("a Redis script answered with something other than a list");
    const rows: AdminRow[] = [];
    for (const entry of reply) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new ProtocolError("a Redis listing answered with an unexpected shape");
      const row = decodeRow(entry[0], keys);
      const pttl = Number(entry[1]);
      if (row !== undefined) rows.push({ ...row, expiresAtMs: pttl > 0 ? this.#now() + pttl : undefined });
    }
    return rows;
  }

  async replace(row: PositionRow, expected: AdminRow | undefined, signal?: AbortSignal): Promise<boolean> {
    const keys = new KeySpace(this.#prefix, row.group);
    const fields = [
      ["group", row.group],
      ["stream", row.stream],
      ["shard", row.shardId],
      ["lease_counter", String(row.counter)],
      ["finished", row.finished ? "1" : "0"],
      ["ts", epochSeconds(row.writtenAtMs)],
    ];
    if (row.sequence !== undefined) fields.push(["sequence", row.sequence]);
    if (row.startAt !== undefined) fields.push(["start_at", String(Math.round(row.startAt))]);
    if (row.incarnation !== undefined) fields.push(["incarnation", row.incarnation]);
    const ttlMs = Math.max(1000, Math.ceil(row.expiresAtMs - row.writtenAtMs));
    const args = [
      expected === undefined ? "" : String(expected.counter),
      expected?.owner ?? "",
      String(ttlMs),
      row.stream,
      row.shardId,
      ...fields.flat(),
    ];
    const reply = await this.#scripts.run(REPLACE_ROW, keys.writeKeys(row.stream, row.shardId), args, signal);
    return Number(reply) === 1;
  }
}
