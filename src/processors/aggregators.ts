/**
 * The aggregators behind the non-KPL processors: one item per record, items joined by a separator
 * inside optional brackets (JSON lines, JSON list), and netstrings. Each measures before it takes an
 * item, so a full aggregator refuses without changing, and sizes are exact.
 */
import { checkMaxBytes } from "../aggregation/max-bytes.ts";
import { RecordTooLargeError } from "../errors.ts";
import { encodeUtf8 } from "../internal/utf8.ts";
import type { AggregatedRecord, Aggregator } from "./types.ts";

type Encode<T> = (item: T) => Uint8Array;

/** The record's keys come from the first item it holds. */
class RecordKeys {
  partitionKey = "";
  explicitHashKey: string | undefined;

  take(partitionKey: string, explicitHashKey: string | undefined): void {
    this.partitionKey = partitionKey;
    this.explicitHashKey = explicitHashKey;
  }

  record(data: Uint8Array, count: number): AggregatedRecord {
    const record: AggregatedRecord = { data, partitionKey: this.partitionKey, count };
    if (this.explicitHashKey !== undefined) record.explicitHashKey = this.explicitHashKey;
    return record;
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Holds one item: a record is exactly that item's bytes. */
export class SingleItemAggregator<T> implements Aggregator<T> {
  readonly maxBytes: number;
  readonly #encode: Encode<T>;
  #held: AggregatedRecord | undefined;

  constructor(maxBytes: number, encode: Encode<T>) {
    this.maxBytes = checkMaxBytes(maxBytes);
    this.#encode = encode;
  }

  get count(): number {
    return this.#held === undefined ? 0 : 1;
  }

  get size(): number {
    return this.#held?.data.byteLength ?? 0;
  }

  add(item: T, partitionKey: string, explicitHashKey?: string): boolean {
    if (this.#held !== undefined) return false;
    const data = this.#encode(item);
    if (data.byteLength > this.maxBytes) throw new RecordTooLargeError(data.byteLength, this.maxBytes);
    const keys = new RecordKeys();
    keys.take(partitionKey, explicitHashKey);
    this.#held = keys.record(data, 1);
    return true;
  }

  flush(): AggregatedRecord | undefined {
    const held = this.#held;
    this.#held = undefined;
    return held;
  }
}

export interface Delimiters {
  open: string;
  separator: string;
  close: string;
}

/** Items joined by a separator, inside an opening and a closing string: `a\nb` or `[a,b]`. */
export class DelimitedAggregator<T> implements Aggregator<T> {
  readonly maxBytes: number;
  readonly #encode: Encode<T>;
  readonly #open: Uint8Array;
  readonly #separator: Uint8Array;
  readonly #close: Uint8Array;
  readonly #keys = new RecordKeys();
  #parts: Uint8Array[] = [];
  #itemBytes = 0;

  constructor(maxBytes: number, encode: Encode<T>, delimiters: Delimiters) {
    this.maxBytes = checkMaxBytes(maxBytes);
    this.#encode = encode;
    this.#open = encodeUtf8(delimiters.open);
    this.#separator = encodeUtf8(delimiters.separator);
    this.#close = encodeUtf8(delimiters.close);
  }

  get count(): number {
    return this.#parts.length;
  }

  get size(): number {
    return this.#parts.length === 0 ? 0 : this.#sizeWith(this.#parts.length, this.#itemBytes);
  }

  add(item: T, partitionKey: string, explicitHashKey?: string): boolean {
    const data = this.#encode(item);
    if (this.#sizeWith(this.#parts.length + 1, this.#itemBytes + data.byteLength) > this.maxBytes) {
      const alone = this.#sizeWith(1, data.byteLength);
      if (alone > this.maxBytes) throw new RecordTooLargeError(alone, this.maxBytes);
      return false;
    }
    if (this.#parts.length === 0) this.#keys.take(partitionKey, explicitHashKey);
    this.#parts.push(data);
    this.#itemBytes += data.byteLength;
    return true;
  }

  flush(): AggregatedRecord | undefined {
    const count = this.#parts.length;
    if (count === 0) return undefined;
    const pieces: Uint8Array[] = [this.#open];
    this.#parts.forEach((part, i) => {
      if (i > 0) pieces.push(this.#separator);
      pieces.push(part);
    });
    pieces.push(this.#close);
    const record = this.#keys.record(concat(pieces, this.size), count);
    this.#parts = [];
    this.#itemBytes = 0;
    return record;
  }

  #sizeWith(count: number, itemBytes: number): number {
    return this.#open.byteLength + this.#close.byteLength + itemBytes + (count - 1) * this.#separator.byteLength;
  }
}

/** Bytes of the netstring frame around `length` payload bytes: `<length>:` and `,`. */
function netstringOverhead(length: number): number {
  return String(length).length + 2;
}

/** Items as concatenated netstrings, `<length>:<bytes>,` each. */
export class NetstringAggregator<T> implements Aggregator<T> {
  readonly maxBytes: number;
  readonly #encode: Encode<T>;
  readonly #keys = new RecordKeys();
  #parts: Uint8Array[] = [];
  #size = 0;

  constructor(maxBytes: number, encode: Encode<T>) {
    this.maxBytes = checkMaxBytes(maxBytes);
    this.#encode = encode;
  }

  get count(): number {
    return this.#parts.length;
  }

  get size(): number {
    return this.#size;
  }

  add(item: T, partitionKey: string, explicitHashKey?: string): boolean {
    const data = this.#encode(item);
    const framed = netstringOverhead(data.byteLength) + data.byteLength;
    if (this.#size + framed > this.maxBytes) {
      if (framed > this.maxBytes) throw new RecordTooLargeError(framed, this.maxBytes);
      return false;
    }
    if (this.#parts.length === 0) this.#keys.take(partitionKey, explicitHashKey);
    this.#parts.push(data);
    this.#size += framed;
    return true;
  }

  flush(): AggregatedRecord | undefined {
    const count = this.#parts.length;
    if (count === 0) return undefined;
    const comma = encodeUtf8(",");
    const pieces: Uint8Array[] = [];
    for (const part of this.#parts) pieces.push(encodeUtf8(`${part.byteLength}:`), part, comma);
    const record = this.#keys.record(concat(pieces, this.#size), count);
    this.#parts = [];
    this.#size = 0;
    return record;
  }
}
