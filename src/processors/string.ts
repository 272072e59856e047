import { SingleItemAggregator } from "./aggregators.ts";
import { decodeString, encodeString } from "./codecs.ts";
import type { Aggregator, Processor } from "./types.ts";

/** One UTF-8 string per record. Invalid UTF-8 in a record is a `DecodeError`. */
export class StringProcessor implements Processor<string> {
  parse(data: Uint8Array): string[] {
    return [decodeString(data)];
  }

  parseText(text: string): string[] {
    return [text];
  }

  aggregator(maxBytes: number): Aggregator<string> {
    return new SingleItemAggregator<string>(maxBytes, encodeString);
  }
}
