import { SingleItemAggregator } from "./aggregators.ts";
import { decodeString, encodeString } from "./codecs.ts";
import type { Aggregator, Processor } from "./types.ts";

/** One UTF-8 string per record. Invalid UTF-8 in a record is a `DecodeError`. */
export class StringProcessor implements Processor<string> {
  /** The record's payload as one string; throws `DecodeError` on invalid UTF-8. */
  parse(data: Uint8Array): string[] {
    return [decodeString(data)];
  }

  /** The text itself, as the only item. */
  parseText(text: string): string[] {
    return [text];
  }

  /** `parse`'s one item, without the array (the consumer's per-record path). */
  parseItem(data: Uint8Array): string {
    return decodeString(data);
  }

  /** The text itself (the consumer's per-record path). */
  parseTextItem(text: string): string {
    return text;
  }

  /** One string per record, UTF-8 encoded; one over `maxBytes` throws `RecordTooLargeError`. */
  aggregator(maxBytes: number): Aggregator<string> {
    return new SingleItemAggregator<string>(maxBytes, encodeString);
  }
}
