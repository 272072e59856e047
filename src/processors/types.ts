/**
 * A processor turns user items into Kinesis record payloads (producer) and payloads back into items
 * (consumer). The same classes serve both sides, under the Python library's names.
 *
 * KPL aggregation is detected by the consumer before a processor sees the payload, so `parse` receives
 * the data of one user record (a KPL sub-record, or a plain record).
 */
export interface Processor<T = unknown> {
  /** Decode one record payload into the items it carries (one for JSON, many for JSON lines, ...). */
  parse(data: Uint8Array): T[];
  /**
   * Optional fast path: the same as `parse` for a payload already known to be pure ASCII, given as
   * text. The consumer uses it to skip the byte array and the UTF-8 decoder for text payloads.
   */
  parseText?(text: string): T[];
  /** A fresh aggregator that packs items into payloads no larger than `maxBytes`. */
  aggregator(maxBytes: number): Aggregator<T>;
}

/** One Kinesis record's worth of user items, ready for PutRecords. */
export interface AggregatedRecord {
  data: Uint8Array;
  partitionKey: string;
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
