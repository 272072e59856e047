/**
 * Test helpers with no test-framework dependency: they throw plain `Error`s whose messages say what
 * went wrong, so they work under vitest, jest, node:test, Deno.test, bun test or a bare script.
 */

export interface CollectOptions {
  /** Stop after this many items. */
  limit?: number;
  /** Stop when no item arrives for this many seconds (real time). */
  idle?: number;
}

/**
 * Gather items from an async iterable until `limit` items, `idle` seconds without one, or its end.
 * On stopping early the iterator is told to finish (`return()`), so a Consumer leaves its loop as on
 * `break`: the last item taken is not checkpointed, and iterating the Consumer again delivers it again.
 */
export async function collect<T>(iterable: AsyncIterable<T>, options: CollectOptions = {}): Promise<T[]> {
  const { limit, idle } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`collect: limit must be a non-negative integer, got ${limit}`);
  if (idle !== undefined && !(idle > 0)) throw new RangeError(`collect: idle must be a positive number of seconds, got ${idle}`);
  const out: T[] = [];
  if (limit === 0) return out;
  const iterator = iterable[Symbol.asyncIterator]();
  const idleMarker = Symbol("idle");
  for (;;) {
    const next = iterator.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = idle === undefined
      ? await next
      : await Promise.race([next, new Promise<typeof idleMarker>((resolve) => (timer = setTimeout(() => resolve(idleMarker), idle * 1000)))]);
    if (timer !== undefined) clearTimeout(timer);
    if (step === idleMarker) {
      // The pending next() settles once the source finishes; it must not become an unhandled rejection.
      next.catch(() => undefined);
      void iterator.return?.()?.catch(() => undefined);
      return out;
    }
    if (step.done === true) return out;
    out.push(step.value);
    if (limit !== undefined && out.length >= limit) {
      await iterator.return?.();
      return out;
    }
  }
}

/** The fields of a delivered record that ordering checks read (a Consumer's `records()` items have them). */
export interface OrderedRecord {
  /** The shard the record was read from. */
  shardId: string;
  /** The record's sequence number; compared numerically, not as text. */
  sequenceNumber: string;
}

/** A shard's lineage, as `fake.kinesis.shards(stream)` or `KinesisClient.listShards` describe it. */
export interface ShardLineage {
  /** The shard described. */
  shardId: string;
  /** The shard this one was split from or merged out of; undefined for an original shard. */
  parentShardId?: string | undefined;
  /** The second parent of a shard created by a merge; undefined otherwise. */
  adjacentParentShardId?: string | undefined;
}

/**
 * Throw unless, within each shard, records were delivered in strictly increasing sequence-number order
 * (no reordering, no duplicates); and, given `shards`, unless every record of a child shard came after
 * every record of its parent(s).
 */
export function assertShardOrder(records: readonly OrderedRecord[], options: { shards?: readonly ShardLineage[] } = {}): void {
  const last = new Map<string, { sequence: bigint; at: number }>();
  records.forEach((record, at) => {
    const sequence = BigInt(record.sequenceNumber);
    const previous = last.get(record.shardId);
    if (previous !== undefined && sequence <= previous.sequence) {
      throw new Error(
        `assertShardOrder: shard ${record.shardId} delivered sequence ${record.sequenceNumber} (position ${at}) after ${previous.sequence} (position ${previous.at}): ` +
          (sequence === previous.sequence ? "a duplicate" : "out of order"),
      );
    }
    last.set(record.shardId, { sequence, at });
  });
  if (options.shards === undefined) return;
  const firstAt = new Map<string, number>();
  records.forEach((record, at) => {
    if (!firstAt.has(record.shardId)) firstAt.set(record.shardId, at);
  });
  for (const shard of options.shards) {
    const childFirst = firstAt.get(shard.shardId);
    if (childFirst === undefined) continue;
    for (const parent of [shard.parentShardId, shard.adjacentParentShardId]) {
      if (parent === undefined) continue;
      const parentLast = last.get(parent);
      if (parentLast !== undefined && parentLast.at > childFirst) {
        throw new Error(
          `assertShardOrder: child shard ${shard.shardId} delivered a record (position ${childFirst}) before its parent ${parent} finished (its last record is at position ${parentLast.at})`,
        );
      }
    }
  }
}

/**
 * Throw unless `got` holds each item of `put` exactly once (any order): names what is missing, what
 * came twice and what was never put. Items are compared by `key` (default: their JSON text).
 */
export function assertDeliveredOnce<T>(put: readonly T[], got: readonly T[], options: { key?: (item: T) => string } = {}): void {
  const key = options.key ?? ((item: T) => JSON.stringify(item));
  const expected = new Map<string, number>();
  for (const item of put) expected.set(key(item), (expected.get(key(item)) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const item of got) seen.set(key(item), (seen.get(key(item)) ?? 0) + 1);
  const missing: string[] = [];
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  for (const [k, want] of expected) {
    const have = seen.get(k) ?? 0;
    if (have < want) missing.push(k);
    if (have > want) duplicated.push(`${k} (${have} times)`);
  }
  for (const k of seen.keys()) if (!expected.has(k)) unexpected.push(k);
  if (missing.length + duplicated.length + unexpected.length === 0) return;
  const list = (items: string[]): string => items.slice(0, 5).join(", ") + (items.length > 5 ? `, ... (${items.length - 5} more)` : "");
  const parts = [`assertDeliveredOnce: put ${put.length} items, got ${got.length}`];
  if (missing.length > 0) parts.push(`missing ${missing.length}: ${list(missing)}`);
  if (duplicated.length > 0) parts.push(`delivered more than once ${duplicated.length}: ${list(duplicated)}`);
  if (unexpected.length > 0) parts.push(`never put ${unexpected.length}: ${list(unexpected)}`);
  throw new Error(parts.join("; "));
}
