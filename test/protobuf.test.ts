import { describe, expect, it } from "vitest";
import { ProtoReader, ProtoWriter, varintSize, WireType } from "../src/aggregation/protobuf.ts";
import { DecodeError } from "../src/errors.ts";

describe("protobuf varints", () => {
  const values = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];

  it("write and read back every size class, with varintSize matching what is written", () => {
    const writer = new ProtoWriter(1); // grows as needed
    for (const value of values) writer.varintField(1, value);
    const reader = new ProtoReader(writer.written());
    for (const value of values) {
      expect(reader.tag()).toEqual({ field: 1, wireType: WireType.VARINT });
      expect(reader.varint()).toBe(value);
    }
    expect(reader.done).toBe(true);
    expect(writer.length).toBe(values.reduce((sum, value) => sum + 1 + varintSize(value), 0));
  });

  it("encodes 300 as ac 02, as the protobuf documentation shows", () => {
    const writer = new ProtoWriter();
    writer.varintField(1, 300);
    expect([...writer.written()]).toEqual([0x08, 0xac, 0x02]);
  });

  it("refuses to write negative or unsafe integers", () => {
    expect(() => new ProtoWriter().varintField(1, -1)).toThrow(RangeError);
    expect(() => new ProtoWriter().varintField(1, 2 ** 53)).toThrow(RangeError);
  });

  it("reads the largest 64-bit varint without error", () => {
    const bytes = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(new ProtoReader(bytes).varint()).toBeGreaterThan(2 ** 63);
  });
});

describe("protobuf length-delimited fields", () => {
  it("round-trip, reading only inside the reader's window", () => {
    const writer = new ProtoWriter();
    writer.bytesField(3, Uint8Array.from([1, 2, 3]));
    writer.bytesField(4, new Uint8Array(200));
    const bytes = writer.written();
    const reader = new ProtoReader(bytes, 0, 5);
    expect(reader.tag()).toEqual({ field: 3, wireType: WireType.LENGTH_DELIMITED });
    expect([...reader.lengthDelimited()]).toEqual([1, 2, 3]);
    expect(reader.done).toBe(true);
    // The second field's length (200) runs past a window that ends early.
    const windowed = new ProtoReader(bytes, 5, 10);
    windowed.tag();
    expect(() => windowed.lengthDelimited()).toThrow(DecodeError);
  });
});
