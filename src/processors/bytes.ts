import { SingleItemAggregator } from "./aggregators.ts";
import { encodeBytes } from "./codecs.ts";
import type { Aggregator, Processor } from "./types.ts";

/**
 * Raw bytes, one item per record. Neither side copies: parse returns the record's own bytes, and the
 * aggregator holds the caller's array until it is sent, so do not modify it after `put`.
 */
export class BytesProcessor implements Processor<Uint8Array> {
  /** The record's payload itself, uncopied, as the only item. */
  parse(data: Uint8Array): Uint8Array[] {
    return [data];
  }

  /** The payload itself, without the array (the consumer's per-record path). */
  parseItem(data: Uint8Array): Uint8Array {
    return data;
  }

  /** One item per record; an item over `maxBytes` throws `RecordTooLargeError`. */
  aggregator(maxBytes: number): Aggregator<Uint8Array> {
    return new SingleItemAggregator<Uint8Array>(maxBytes, encodeBytes);
  }
}
