import { partitionKeyHash } from "../aggregation/md5.ts";
import type { QueuedRecord, UserRecord } from "./queued-record.ts";

/** Enough for the keys a busy producer repeats (user ids, device ids); cleared, not LRU, when full. */
const CACHE_LIMIT = 8192;

/**
 * Points on the hash-key ring, worked out only when needed (a one-shard stream routes without any)
 * and remembered: MD5 is most of what routing costs, and real workloads repeat their partition keys.
 */
export class HashKeys {
  readonly #cache = new Map<string, bigint>();

  ofKey(partitionKey: string): bigint {
    let hash = this.#cache.get(partitionKey);
    if (hash === undefined) {
      hash = partitionKeyHash(partitionKey);
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(partitionKey, hash);
    }
    return hash;
  }

  /** An item's explicit hash key, else the MD5 of its partition key; kept on the item. */
  ofItem(item: UserRecord): bigint {
    if (item.hashKey !== undefined) return item.hashKey;
    const hash = item.explicitHashKey !== undefined ? BigInt(item.explicitHashKey) : this.ofKey(item.partitionKey);
    item.hashKey = hash;
    return hash;
  }

  /** Where a record lands: its explicit hash key, else the MD5 of its partition key; kept on the record. */
  ofRecord(record: QueuedRecord): bigint {
    if (record.hashKey !== undefined) return record.hashKey;
    const first = record.items[0];
    let hash: bigint;
    if (record.explicitHashKey !== undefined) hash = BigInt(record.explicitHashKey);
    else if (first !== undefined && first.partitionKey === record.partitionKey && first.explicitHashKey === undefined) hash = this.ofItem(first);
    else hash = this.ofKey(record.partitionKey);
    record.hashKey = hash;
    return hash;
  }
}
