/**
 * KPL-aggregating processors: the producer packs many items into one KPL aggregated record, readable
 * by the KCL and aws-kinesis-agg as well as by this library. The consumer splits aggregates before a
 * processor sees them; parse still accepts a whole aggregate, so each processor reads what it writes.
 */
import { deaggregate, KplAggregator } from "../aggregation/kpl.ts";
import { decodeJson, decodeString, encodeJson, encodeString, parseJsonText } from "./codecs.ts";
import type { Aggregator, Processor } from "./types.ts";

function parseMaybeAggregated<T>(data: Uint8Array, decode: (bytes: Uint8Array) => T): T[] {
  const subRecords = deaggregate(data);
  if (subRecords === undefined) return [decode(data)];
  return subRecords.map((subRecord) => decode(subRecord.data));
}

/** JSON items, KPL-aggregated. */
export class KPLJsonProcessor<T = unknown> implements Processor<T> {
  /** The JSON items of a KPL aggregate, or the one JSON document of a plain record; throws `DecodeError`. */
  parse(data: Uint8Array): T[] {
    return parseMaybeAggregated(data, (bytes) => decodeJson(bytes) as T);
  }

  /** ASCII text never starts with the KPL magic, so text is always one plain record. */
  parseText(text: string): T[] {
    return [this.parseTextItem(text)];
  }

  /** `parseText`'s one item, without the array (the consumer's per-record path). */
  parseTextItem(text: string): T {
    return parseJsonText(text, `payload (${text.length} bytes)`) as T;
  }

  /** Packs JSON items into KPL aggregated records up to `maxBytes`. */
  aggregator(maxBytes: number): Aggregator<T> {
    return new KplAggregator<T>(maxBytes, encodeJson);
  }
}

/** UTF-8 string items, KPL-aggregated. */
export class KPLStringProcessor implements Processor<string> {
  /** The UTF-8 strings of a KPL aggregate, or the one string of a plain record; throws `DecodeError` on invalid UTF-8. */
  parse(data: Uint8Array): string[] {
    return parseMaybeAggregated(data, decodeString);
  }

  /** The text itself: ASCII never starts with the KPL magic, so it is one plain record. */
  parseText(text: string): string[] {
    return [text];
  }

  /** The text itself (the consumer's per-record path). */
  parseTextItem(text: string): string {
    return text;
  }

  /** Packs strings into KPL aggregated records up to `maxBytes`. */
  aggregator(maxBytes: number): Aggregator<string> {
    return new KplAggregator<string>(maxBytes, encodeString);
  }
}
