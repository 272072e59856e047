/**
 * What an aggregator produces and how it is driven. Defined here, below the processors, because the KPL
 * aggregator implements it too; processors/types.ts re-exports both for the public API.
 */

/** One Kinesis record's worth of user items, ready for PutRecords. */
export interface AggregatedRecord {
  /** The record payload, at most the aggregator's `maxBytes`. */
  data: Uint8Array;
  /** The Kinesis record's partition key; for an aggregate, the key of the items it routes by. */
  partitionKey: string;
  /** A decimal hash key routing the record instead of `partitionKey`, when the items were put with one. */
  explicitHashKey?: string | undefined;
  /** How many user items this payload carries. */
  count: number;
}

/**
 * Packs items into record payloads. Non-aggregating processors (JSON, string, bytes) hold one item;
 * the line, list, netstring and KPL processors hold as many as fit.
 */
export interface Aggregator<T = unknown> {
  /**
   * Add an item. Returns false (and keeps nothing) when it does not fit beside what is held: the
   * caller flushes and adds again. Throws `RecordTooLargeError` when the item alone can never fit.
   */
  add(item: T, partitionKey: string, explicitHashKey?: string): boolean;
  /** Items held. */
  readonly count: number;
  /** Bytes the payload would have if flushed now (partition keys excluded). */
  readonly size: number;
  /** Emit the held items as one record payload and start empty; undefined when empty. */
  flush(): AggregatedRecord | undefined;
}
