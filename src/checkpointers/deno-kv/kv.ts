import { ProtocolError } from "../../errors.ts";
import type { ConditionalOutcome } from "../lease/backend.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import type { RowStore, RowTransition } from "../lease/row-store.ts";
import { decodeStoredRow, encodeStoredRow } from "../lease/stored-row.ts";

/** A part of a Deno KV key (`Deno.KvKeyPart`); this library only writes strings. */
export type KvKeyPartLike = Uint8Array | string | number | bigint | boolean | symbol;
/** A Deno KV key (`Deno.KvKey`). */
export type KvKeyLike = readonly KvKeyPartLike[];

/**
 * The part of `Deno.Kv` this library uses, declared here so nothing Deno-specific is imported and the
 * module type-checks everywhere. A real `Deno.Kv` (from `Deno.openKv()`) fits it as it is.
 */
export interface DenoKvLike {
  /** The value and its versionstamp; both null when the key is absent. */
  get(key: KvKeyLike): Promise<{ value: unknown; versionstamp: string | null }>;
  /** Every entry whose key starts with `prefix`. */
  list(selector: { prefix: KvKeyLike }): AsyncIterable<{ key: KvKeyLike; value: unknown }>;
  /** Start an atomic operation (checks, then writes, all or nothing). */
  atomic(): DenoKvAtomicLike;
}

/** The part of `Deno.AtomicOperation` a fenced write uses. */
export interface DenoKvAtomicLike {
  /** Make the commit fail unless each key still has this versionstamp (null: the key must be absent). */
  check(...checks: Array<{ key: KvKeyLike; versionstamp: string | null }>): DenoKvAtomicLike;
  /** Write `value` at commit; `expireIn` is in milliseconds. */
  set(key: KvKeyLike, value: unknown, options?: { expireIn?: number }): DenoKvAtomicLike;
  /** Apply the checks and writes atomically; `ok` is false when a check failed and nothing was written. */
  commit(): Promise<{ ok: boolean }>;
}

export function isDenoKvLike(value: unknown): value is DenoKvLike {
  if (typeof value !== "object" || value === null) return false;
  const kv = value as Record<string, unknown>;
  return typeof kv["get"] === "function" && typeof kv["list"] === "function" && typeof kv["atomic"] === "function";
}

/**
 * How many times a write re-reads a row that changed between its read and its commit. Each lost
 * round means another write to the same row landed; a handful of workers settle in a few rounds.
 */
const MAX_ROUNDS = 20;

/**
 * One group's rows of one stream in Deno KV, under keys `[<prefix>, <group>, <stream>, <shard>]`.
 *
 * A write is Deno KV's fenced write: read the row with its versionstamp, decide (row-transitions.ts),
 * then commit `atomic().check({ key, versionstamp }).set(...)`, which lands only if nothing wrote the
 * row since the read (a missing row is checked with a null versionstamp). A failed check means
 * another write came first: read again and decide again on the row as it is now, so the condition
 * is always judged on the row the write replaces.
 */
export class DenoKvRows implements RowStore {
  readonly #kv: DenoKvLike;
  readonly #prefix: readonly string[];
  /** Wall time, for the `expireIn` of each write (rows carry `ttl` as epoch seconds). */
  readonly #now: () => number;

  constructor(kv: DenoKvLike, prefix: string, group: string, stream: string, now: () => number) {
    this.#kv = kv;
    this.#prefix = [prefix, group, stream];
    this.#now = now;
  }

  rowKey(shardId: string): string {
    return [...this.#prefix, shardId].join("/");
  }

  async list(signal: AbortSignal): Promise<LeaseRow[]> {
    signal.throwIfAborted();
    const rows: LeaseRow[] = [];
    for await (const entry of this.#kv.list({ prefix: this.#prefix })) {
      rows.push(decodeStoredRow(this.rowKey(String(entry.key[entry.key.length - 1])), entry.value));
    }
    return rows;
  }

  async read(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> {
    signal.throwIfAborted();
    const entry = await this.#kv.get([...this.#prefix, shardId]);
    return entry.versionstamp === null ? undefined : decodeStoredRow(this.rowKey(shardId), entry.value);
  }

  async change(shardId: string, transition: RowTransition, signal: AbortSignal): Promise<ConditionalOutcome> {
    const key = [...this.#prefix, shardId];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      signal.throwIfAborted();
      const entry = await this.#kv.get(key);
      const row = entry.versionstamp === null ? undefined : decodeStoredRow(this.rowKey(shardId), entry.value);
      const next = transition(row);
      if (next === undefined) return { landed: false, current: row };
      const result = await this.#kv.atomic().check({ key, versionstamp: entry.versionstamp }).set(key, encodeStoredRow(next), this.#expiry(next)).commit();
      if (result.ok) return { landed: true, row: next };
    }
    throw new ProtocolError(`lease row ${this.rowKey(shardId)} changed under ${MAX_ROUNDS} writes in a row; giving this one up (the session retries it)`);
  }

  /** Deno KV deletes a key `expireIn` ms after the write: the row's `ttl`, from now. */
  #expiry(row: LeaseRow): { expireIn?: number } {
    if (row.ttl === undefined) return {};
    return { expireIn: Math.max(1, Math.round(row.ttl * 1000 - this.#now())) };
  }
}
