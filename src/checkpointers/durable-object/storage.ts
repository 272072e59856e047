import type { ConditionalOutcome } from "../lease/backend.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import type { RowStore, RowTransition } from "../lease/row-store.ts";
import { decodeStoredRow, encodeStoredRow } from "../lease/stored-row.ts";

/**
 * The part of a Durable Object's storage (`ctx.storage`, `DurableObjectStorage`) this library uses,
 * declared here so nothing from the Workers types is imported and no runtime dependency is added.
 * The real object has more (and overloads); it fits this shape as it is.
 */
export interface DurableObjectStorageLike {
  /** The stored value, or undefined when the key is absent. */
  get(key: string): Promise<unknown>;
  /** Every key starting with `prefix`, with its value, in key order. */
  list(options: { prefix: string }): Promise<Map<string, unknown>>;
  /** Run `closure` so its reads and writes commit or roll back as one unit. */
  transaction<T>(closure: (txn: DurableObjectTransactionLike) => Promise<T>): Promise<T>;
}

/** The part of `DurableObjectTransaction` a lease write uses. */
export interface DurableObjectTransactionLike {
  /** The value as seen inside the transaction, or undefined when absent. */
  get(key: string): Promise<unknown>;
  /** Write `value`, committed with the transaction. */
  put(key: string, value: unknown): Promise<void>;
}

export function isDurableObjectStorageLike(value: unknown): value is DurableObjectStorageLike {
  if (typeof value !== "object" || value === null) return false;
  const storage = value as Record<string, unknown>;
  return typeof storage["get"] === "function" && typeof storage["list"] === "function" && typeof storage["transaction"] === "function";
}

/**
 * The tail of each storage's chain of lease writes. A Durable Object has one instance worldwide,
 * running in one isolate, so a queue per storage object orders every lease write made to it.
 */
const writeQueues = new WeakMap<DurableObjectStorageLike, Promise<unknown>>();

function serialized<T>(storage: DurableObjectStorageLike, write: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(storage) ?? Promise.resolve();
  const result = previous.then(write, write);
  writeQueues.set(
    storage,
    result.then(
      () => undefined,
      () => undefined,
    ),
  );
  return result;
}

/**
 * One group's rows of one stream in a Durable Object's storage, under keys
 * `<prefix>:<group>:<stream>:<shard>` (group and stream names cannot hold a colon).
 *
 * Why each write is atomic: input gates alone are NOT enough. They keep other *events* (requests,
 * alarms) from running while a storage call is pending, but not the other promises of the same
 * event: two sessions in one object (two consumers, or a take racing a heartbeat) would both read
 * the old row across their awaits and both write — eight racing takes all "won" in a test with plain
 * get/put. So the read, the decision and the write of a transition run inside `storage.transaction()`
 * (they commit or roll back as one unit), and every lease write to the same storage object also
 * waits for the previous one (`serialized`), so the order does not rest on how a transaction
 * isolates itself from a concurrent one. The queue is a complete order because the object never
 * runs anywhere else at the same time.
 */
export class DurableObjectRows implements RowStore {
  readonly #storage: DurableObjectStorageLike;
  readonly #base: string;

  constructor(storage: DurableObjectStorageLike, prefix: string, group: string, stream: string) {
    this.#storage = storage;
    this.#base = `${prefix}:${group}:${stream}:`;
  }

  rowKey(shardId: string): string {
    return this.#base + shardId;
  }

  async list(signal: AbortSignal): Promise<LeaseRow[]> {
    signal.throwIfAborted();
    const entries = await this.#storage.list({ prefix: this.#base });
    return [...entries].map(([key, value]) => decodeStoredRow(key, value));
  }

  async read(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> {
    signal.throwIfAborted();
    const key = this.rowKey(shardId);
    const value = await this.#storage.get(key);
    return value === undefined ? undefined : decodeStoredRow(key, value);
  }

  change(shardId: string, transition: RowTransition, signal: AbortSignal): Promise<ConditionalOutcome> {
    const key = this.rowKey(shardId);
    return serialized(this.#storage, async () => {
      // A write abandoned while it waited its turn is not sent (as an aborted fetch); once sent, storage cannot take it back.
      signal.throwIfAborted();
      return this.#storage.transaction(async (txn): Promise<ConditionalOutcome> => {
        const value = await txn.get(key);
        const row = value === undefined ? undefined : decodeStoredRow(key, value);
        const next = transition(row);
        if (next === undefined) return { landed: false, current: row };
        await txn.put(key, encodeStoredRow(next));
        return { landed: true, row: next };
      });
    });
  }
}
