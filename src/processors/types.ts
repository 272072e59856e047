import type { Aggregator } from "../aggregation/types.ts";

export type { AggregatedRecord, Aggregator } from "../aggregation/types.ts";

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
  /**
   * Optional, for processors whose payloads always carry exactly one item: `parse` without the
   * one-element array. When present the consumer calls it instead of `parse`.
   */
  parseItem?(data: Uint8Array): T;
  /** Optional: `parseText` of a one-item processor without the array. When present the consumer calls it instead of `parseText`. */
  parseTextItem?(text: string): T;
  /** A fresh aggregator that packs items into payloads no larger than `maxBytes`. */
  aggregator(maxBytes: number): Aggregator<T>;
}
