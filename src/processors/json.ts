/**
 * JSON processors, as in the Python library: one item per record (the default), JSON lines, or a
 * JSON array. Items are whatever `JSON.stringify` accepts; parse trusts the producer for `T`.
 */
import { DecodeError } from "../errors.ts";
import { decodeUtf8 } from "../internal/utf8.ts";
import { DelimitedAggregator, SingleItemAggregator } from "./aggregators.ts";
import { decodeJson, encodeJson, parseJsonText } from "./codecs.ts";
import type { Aggregator, Processor } from "./types.ts";

/** One JSON document per record. The consumer's and producer's default. */
export class JsonProcessor<T = unknown> implements Processor<T> {
  /** The record's one JSON document; throws `DecodeError` on invalid UTF-8 or JSON. */
  parse(data: Uint8Array): T[] {
    return [decodeJson(data) as T];
  }

  /** `parse` for a pure-ASCII payload already decoded to text. */
  parseText(text: string): T[] {
    return [this.parseTextItem(text)];
  }

  /** `parse`'s one item, without the array (the consumer's per-record path). */
  parseItem(data: Uint8Array): T {
    return decodeJson(data) as T;
  }

  /** `parseText`'s one item, without the array (the consumer's per-record path). */
  parseTextItem(text: string): T {
    return parseJsonText(text, `payload (${text.length} bytes)`) as T;
  }

  /** One item per record; an unserializable item throws `EncodeError`, one over `maxBytes` `RecordTooLargeError`. */
  aggregator(maxBytes: number): Aggregator<T> {
    return new SingleItemAggregator<T>(maxBytes, encodeJson);
  }
}

/**
 * Many items per record, one JSON document per line (`\n`-separated; JSON text never contains a raw
 * newline). Blank lines, such as a trailing newline another producer added, are skipped.
 */
export class JsonLineProcessor<T = unknown> implements Processor<T> {
  /** The record's items, one per non-blank line; throws `DecodeError` on invalid UTF-8 or a line that is not JSON. */
  parse(data: Uint8Array): T[] {
    return this.parseText(decodeUtf8(data));
  }

  /** `parse` for a pure-ASCII payload already decoded to text. */
  parseText(text: string): T[] {
    const lines = text.split("\n");
    const items: T[] = [];
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      items.push(parseJsonText(line, `line ${index + 1} of the payload`) as T);
    });
    return items;
  }

  /** Packs items as newline-separated JSON up to `maxBytes`; an unserializable item throws `EncodeError`. */
  aggregator(maxBytes: number): Aggregator<T> {
    return new DelimitedAggregator<T>(maxBytes, encodeJson, { open: "", separator: "\n", close: "" });
  }
}

/** Many items per record, as one JSON array. */
export class JsonListProcessor<T = unknown> implements Processor<T> {
  /** The elements of the record's JSON array; throws `DecodeError` when the payload is not JSON or not an array. */
  parse(data: Uint8Array): T[] {
    return asArray<T>(decodeJson(data));
  }

  /** `parse` for a pure-ASCII payload already decoded to text. */
  parseText(text: string): T[] {
    return asArray<T>(parseJsonText(text, `payload (${text.length} bytes)`));
  }

  /** Packs items into one JSON array up to `maxBytes`; an unserializable item throws `EncodeError`. */
  aggregator(maxBytes: number): Aggregator<T> {
    return new DelimitedAggregator<T>(maxBytes, encodeJson, { open: "[", separator: ",", close: "]" });
  }
}

function asArray<T>(value: unknown): T[] {
  if (!Array.isArray(value)) throw new DecodeError(`payload is JSON but not an array (${typeof value})`);
  return value as T[];
}
