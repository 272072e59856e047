/**
 * The few protobuf wire-format pieces KPL aggregation needs: varints and length-delimited fields to
 * write, plus a bounds-checked reader that skips unknown fields. Input comes off the network, so the
 * reader throws `DecodeError` on anything malformed and never reads past its end or loops without
 * consuming bytes.
 */
import { DecodeError } from "../errors.ts";

export const WireType = {
  VARINT: 0,
  FIXED64: 1,
  LENGTH_DELIMITED: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
} as const;

/** Unknown groups may nest; deeper than this is treated as hostile input. */
const MAX_GROUP_DEPTH = 32;

/** Bytes the varint encoding of a non-negative safe integer takes. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Bytes a length-delimited field (tag, length, payload) of `byteLength` payload bytes takes. */
export function lengthDelimitedFieldSize(field: number, byteLength: number): number {
  return varintSize(field * 8) + varintSize(byteLength) + byteLength;
}

/** Bytes a varint field (tag, value) takes. */
export function varintFieldSize(field: number, value: number): number {
  return varintSize(field * 8) + varintSize(value);
}

/**
 * Writes into one buffer, growing it only if the caller under-estimated: callers that know the exact
 * size up front (the KPL aggregator does) get a single allocation and no copy.
 */
export class ProtoWriter {
  #buffer: Uint8Array;
  #position = 0;

  constructor(capacity = 64) {
    this.#buffer = new Uint8Array(Math.max(capacity, 16));
  }

  get length(): number {
    return this.#position;
  }

  /** Bytes copied verbatim (not a field), e.g. a frame around the message. */
  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.byteLength);
    this.#buffer.set(bytes, this.#position);
    this.#position += bytes.byteLength;
  }

  varintField(field: number, value: number): void {
    this.#varint(field * 8 + WireType.VARINT);
    this.#varint(value);
  }

  bytesField(field: number, bytes: Uint8Array): void {
    this.#varint(field * 8 + WireType.LENGTH_DELIMITED);
    this.#varint(bytes.byteLength);
    this.raw(bytes);
  }

  /** Starts a length-delimited field whose payload, `byteLength` bytes, the caller writes next. */
  beginLengthDelimited(field: number, byteLength: number): void {
    this.#varint(field * 8 + WireType.LENGTH_DELIMITED);
    this.#varint(byteLength);
  }

  /** What was written so far (a view of the buffer, not a copy). */
  written(): Uint8Array {
    return this.#buffer.subarray(0, this.#position);
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`varint value must be a non-negative safe integer, got ${value}`);
    }
    this.#reserve(10);
    const buffer = this.#buffer;
    let position = this.#position;
    // Division, not shifts: shifts would truncate values above 2^31.
    while (value >= 128) {
      buffer[position++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[position++] = value;
    this.#position = position;
  }

  #reserve(bytes: number): void {
    const needed = this.#position + bytes;
    if (needed <= this.#buffer.byteLength) return;
    const grown = new Uint8Array(Math.max(needed, this.#buffer.byteLength * 2));
    grown.set(this.#buffer.subarray(0, this.#position));
    this.#buffer = grown;
  }
}

/** Reads fields from `bytes[start, end)`. Length-delimited payloads are views, not copies. */
export class ProtoReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #position: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.byteLength) {
    this.#bytes = bytes;
    this.#position = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#position >= this.#end;
  }

  /** The next field's number and wire type (field 0 and numbers past 2^29 - 1 are malformed). */
  tag(): { field: number; wireType: number } {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0 || field > 0x1fff_ffff) throw malformed(`invalid field number ${field}`);
    return { field, wireType: tag % 8 };
  }

  /**
   * An unsigned varint of up to 64 bits. Values above 2^53 lose precision, which is harmless here:
   * every varint we interpret is an index or a length, and such values are out of range anyway.
   */
  varint(): number {
    const bytes = this.#bytes;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#position >= this.#end) throw malformed("truncated varint");
      const byte = bytes[this.#position++]!;
      if (i === 9 && byte > 1) throw malformed("varint overflows 64 bits");
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw malformed("varint longer than 10 bytes");
  }

  /** The payload of a length-delimited field whose tag was just read. */
  lengthDelimited(): Uint8Array {
    const length = this.varint();
    if (length > this.#end - this.#position) throw malformed("length-delimited field runs past the end");
    const start = this.#position;
    this.#position += length;
    return this.#bytes.subarray(start, this.#position);
  }

  /** Skips the value of an unknown field whose tag was just read. */
  skip(wireType: number, field: number, depth = 0): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.FIXED64:
        this.#advance(8);
        return;
      case WireType.LENGTH_DELIMITED:
        this.lengthDelimited();
        return;
      case WireType.FIXED32:
        this.#advance(4);
        return;
      case WireType.START_GROUP:
        this.#skipGroup(field, depth);
        return;
      default:
        throw malformed(`unexpected wire type ${wireType} for field ${field}`);
    }
  }

  #skipGroup(field: number, depth: number): void {
    if (depth >= MAX_GROUP_DEPTH) throw malformed("groups nested too deeply");
    for (;;) {
      if (this.done) throw malformed(`unterminated group ${field}`);
      const inner = this.tag();
      if (inner.wireType === WireType.END_GROUP) {
        if (inner.field !== field) throw malformed(`group ${field} closed as ${inner.field}`);
        return;
      }
      this.skip(inner.wireType, inner.field, depth + 1);
    }
  }

  #advance(bytes: number): void {
    if (bytes > this.#end - this.#position) throw malformed("fixed-width field runs past the end");
    this.#position += bytes;
  }
}

function malformed(detail: string): DecodeError {
  return new DecodeError(`malformed protobuf: ${detail}`);
}
