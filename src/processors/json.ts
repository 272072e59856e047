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
  parse(data: Uint8Array): T[] {
    return [decodeJson(data) as T];
  }

  parseText(text: string): T[] {
    return [parseJsonText(text, `payload (${text.length} bytes)`) as T];
  }

  aggregator(maxBytes: number): Aggregator<T> {
    return new SingleItemAggregator<T>(maxBytes, encodeJson);
  }
}

/**
 * Many items per record, one JSON document per line (`\n`-separated; JSON text never contains a raw
 * newline). Blank lines, such as a trailing newline another producer added, are skipped.
 */
export class JsonLineProcessor<T = unknown> implements Processor<T> {
  parse(data: Uint8Array): T[] {
    return this.parseText(decodeUtf8(data));
  }

  parseText(text: string): T[] {
    const lines = text.split("\n");
    const items: T[] = [];
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      items.push(parseJsonText(line, `line ${index + 1} of the payload`) as T);
    });
    return items;
  }

  aggregator(maxBytes: number): Aggregator<T> {
    return new DelimitedAggregator<T>(maxBytes, encodeJson, { open: "", separator: "\n", close: "" });
  }
}

/** Many items per record, as one JSON array. */
export class JsonListProcessor<T = unknown> implements Processor<T> {
  parse(data: Uint8Array): T[] {
    return asArray<T>(decodeJson(data));
  }

  parseText(text: string): T[] {
    return asArray<T>(parseJsonText(text, `payload (${text.length} bytes)`));
  }

  aggregator(maxBytes: number): Aggregator<T> {
    return new DelimitedAggregator<T>(maxBytes, encodeJson, { open: "[", separator: ",", close: "]" });
  }
}

function asArray<T>(value: unknown): T[] {
  if (!Array.isArray(value)) throw new DecodeError(`payload is JSON but not an array (${typeof value})`);
  return value as T[];
}
