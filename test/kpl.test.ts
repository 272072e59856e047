import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { decodeAggregateMessage } from "../src/aggregation/kpl-message.ts";
import { deaggregate, hasKplMagic, isInHashRange, KPL_MAGIC, KPL_OVERHEAD, KplAggregator, type KplSubRecord, recordHashKey } from "../src/aggregation/kpl.ts";
import { partitionKeyHash } from "../src/aggregation/md5.ts";
import { ConfigError, EncodeError, RecordTooLargeError } from "../src/errors.ts";

// aws-kinesis-agg's own .d.ts imports packages it does not depend on: load it untyped, typed here.
interface OracleUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  subSequenceNumber?: number;
  data: string;
}
interface OracleEncodedRecord {
  partitionKey: string;
  data: Buffer;
  ExplicitHashKey?: string;
}
interface OracleAggregator {
  addUserRecord(record: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void;
  build(): OracleEncodedRecord | undefined;
}
interface Oracle {
  RecordAggregator: new () => OracleAggregator;
  deaggregateSync(
    record: { partitionKey: string; data: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (error: Error | null | undefined, records?: OracleUserRecord[]) => void,
  ): void;
}
const oracle = createRequire(import.meta.url)("aws-kinesis-agg") as Oracle;

interface Item {
  data: Uint8Array;
  partitionKey: string;
  explicitHashKey?: string;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

/** Frames a protobuf body as an aggregated record with a correct checksum. */
function frame(body: Uint8Array | number[]): Uint8Array {
  const bytes = Uint8Array.from(body);
  const digest = createHash("md5").update(bytes).digest();
  return new Uint8Array([...KPL_MAGIC, ...bytes, ...digest]);
}

function aggregateAll(items: Item[], maxBytes = 1024 * 1024) {
  const aggregator = new KplAggregator(maxBytes);
  for (const item of items) {
    expect(aggregator.add(item.data, item.partitionKey, item.explicitHashKey)).toBe(true);
  }
  const record = aggregator.flush();
  if (record === undefined) throw new Error("expected a record");
  return record;
}

function oracleDeaggregate(data: Uint8Array, partitionKey: string): OracleUserRecord[] {
  let result: OracleUserRecord[] | undefined;
  let failure: unknown;
  oracle.deaggregateSync(
    { partitionKey, data: Buffer.from(data).toString("base64"), sequenceNumber: "1" },
    true,
    (error, records) => {
      if (error) failure = error;
      else result = records;
    },
  );
  if (failure !== undefined) throw failure;
  if (result === undefined) throw new Error("oracle returned nothing");
  return result;
}

function randomItems(count: number): Item[] {
  const keys = ["pk-a", "pk-b", "ключ", "🔑", "x".repeat(256)];
  const explicitKeys = ["0", "170141183460469231731687303715884105728", "340282366920938463463374607431768211455"];
  return Array.from({ length: count }, (_, i) => {
    const item: Item = {
      data: randomBytes(1 + Math.floor(Math.random() * 300)),
      partitionKey: i % 7 === 6 ? `unique-${i}` : keys[i % keys.length]!,
    };
    if (i % 3 === 1) item.explicitHashKey = explicitKeys[i % explicitKeys.length]!;
    return item;
  });
}

const GOLDEN_HEX =
  "f3899ac20a04706b2d610a04706b2d6212273137303134313138333436303436393233313733313638373330333731353838343130353732381a0908001a0568656c6c6f1a0b080110001a05776f726c641a0908001a05616761696e80ecebd995f5df2340ee84920ba208fd";
const GOLDEN_ITEMS: Item[] = [
  { partitionKey: "pk-a", data: utf8("hello") },
  { partitionKey: "pk-b", data: utf8("world"), explicitHashKey: "170141183460469231731687303715884105728" },
  { partitionKey: "pk-a", data: utf8("again") },
];

describe("KPL golden vector", () => {
  it("is produced byte for byte by KplAggregator", () => {
    const record = aggregateAll(GOLDEN_ITEMS);
    expect(record.data.byteLength).toBe(108);
    expect(hex(record.data)).toBe(GOLDEN_HEX);
    expect(record.partitionKey).toBe("pk-a");
    expect(record.explicitHashKey).toBeUndefined();
    expect(record.count).toBe(3);
  });

  it("is what aws-kinesis-agg itself produces for the same input", () => {
    const aggregator = new oracle.RecordAggregator();
    for (const item of GOLDEN_ITEMS) {
      const input: { partitionKey: string; explicitHashKey?: string; data: Buffer } = {
        partitionKey: item.partitionKey,
        data: Buffer.from(item.data),
      };
      if (item.explicitHashKey !== undefined) input.explicitHashKey = item.explicitHashKey;
      aggregator.addUserRecord(input);
    }
    expect(aggregator.build()?.data.toString("hex")).toBe(GOLDEN_HEX);
  });

  it("is parsed by deaggregate into the three records with their keys", () => {
    const subRecords = deaggregate(fromHex(GOLDEN_HEX));
    expect(subRecords).toEqual([
      { data: utf8("hello"), partitionKey: "pk-a", subSequenceNumber: 0 },
      {
        data: utf8("world"),
        partitionKey: "pk-b",
        explicitHashKey: "170141183460469231731687303715884105728",
        subSequenceNumber: 1,
      },
      { data: utf8("again"), partitionKey: "pk-a", subSequenceNumber: 2 },
    ]);
    expect(subRecords?.[0]).not.toHaveProperty("explicitHashKey");
  });
});

describe("KPL interop with aws-kinesis-agg", () => {
  it("our aggregates deaggregate in aws-kinesis-agg to the same records and keys", () => {
    const items = randomItems(200);
    const record = aggregateAll(items);
    const firstExplicitKey = items.find((item) => item.explicitHashKey !== undefined)?.explicitHashKey;
    const decoded = oracleDeaggregate(record.data, record.partitionKey);
    expect(decoded).toHaveLength(items.length);
    decoded.forEach((userRecord, i) => {
      const item = items[i]!;
      expect(Buffer.from(userRecord.data, "base64").equals(item.data)).toBe(true);
      expect(userRecord.partitionKey).toBe(item.partitionKey);
      expect(userRecord.subSequenceNumber).toBe(i);
      // The oracle reads an absent index as 0, i.e. the first table entry.
      expect(userRecord.explicitPartitionKey).toBe(item.explicitHashKey ?? firstExplicitKey);
    });
  });

  it("aws-kinesis-agg aggregates deaggregate in ours to the same records and keys", () => {
    const items = randomItems(200);
    const aggregator = new oracle.RecordAggregator();
    for (const item of items) {
      const input: { partitionKey: string; explicitHashKey?: string; data: Buffer } = {
        partitionKey: item.partitionKey,
        data: Buffer.from(item.data),
      };
      if (item.explicitHashKey !== undefined) input.explicitHashKey = item.explicitHashKey;
      aggregator.addUserRecord(input);
    }
    const built = aggregator.build();
    if (built === undefined) throw new Error("oracle built nothing");
    const subRecords = deaggregate(new Uint8Array(built.data));
    expect(subRecords).toBeDefined();
    expect(subRecords!.map((sub) => ({ ...sub, data: Buffer.from(sub.data) }))).toEqual(
      items.map((item, i) => {
        const expected: KplSubRecord = { data: Buffer.from(item.data), partitionKey: item.partitionKey, subSequenceNumber: i };
        if (item.explicitHashKey !== undefined) expected.explicitHashKey = item.explicitHashKey;
        return expected;
      }),
    );
  });

  it("a single-record aggregate is read by both sides", () => {
    const record = aggregateAll([{ partitionKey: "only", data: utf8("one") }]);
    expect(hasKplMagic(record.data)).toBe(true);
    expect(deaggregate(record.data)).toEqual([{ data: utf8("one"), partitionKey: "only", subSequenceNumber: 0 }]);
    const decoded = oracleDeaggregate(record.data, record.partitionKey);
    expect(decoded.map((r) => Buffer.from(r.data, "base64").toString())).toEqual(["one"]);
  });
});

describe("deaggregate rejects what is not a valid aggregate", () => {
  const golden = (): Uint8Array => fromHex(GOLDEN_HEX);

  it("returns undefined for a corrupted checksum", () => {
    const data = golden();
    data[data.byteLength - 1]! ^= 0x01;
    expect(deaggregate(data)).toBeUndefined();
  });

  it("returns undefined for a corrupted body (checksum no longer matches)", () => {
    const data = golden();
    data[20]! ^= 0x40;
    expect(deaggregate(data)).toBeUndefined();
  });

  it("returns undefined for a wrong magic, even with a valid body and checksum", () => {
    for (let i = 0; i < 4; i++) {
      const data = golden();
      data[i]! ^= 0x01;
      expect(deaggregate(data), `byte ${i}`).toBeUndefined();
    }
  });

  it("returns undefined for plain payloads and anything shorter than magic + checksum", () => {
    expect(deaggregate(utf8('{"plain":"json"}'))).toBeUndefined();
    expect(deaggregate(new Uint8Array(0))).toBeUndefined();
    expect(deaggregate(Uint8Array.from(KPL_MAGIC))).toBeUndefined();
    expect(deaggregate(golden().subarray(0, KPL_OVERHEAD - 1))).toBeUndefined();
  });

  it("returns undefined for every truncation of a valid aggregate", () => {
    const data = golden();
    for (let length = 0; length < data.byteLength; length++) {
      expect(deaggregate(data.subarray(0, length)), `length ${length}`).toBeUndefined();
    }
  });

  it("returns undefined, never throws, for every truncated protobuf body even with a matching checksum", () => {
    const body = golden().subarray(4, 108 - 16);
    const results = new Set<string>();
    for (let length = 0; length < body.byteLength; length++) {
      const parsed = deaggregate(frame(body.subarray(0, length)));
      results.add(parsed === undefined ? "undefined" : `records:${parsed.length}`);
    }
    // Cuts between fields leave a shorter valid message; every other cut is malformed.
    expect(results.has("undefined")).toBe(true);
  });

  const malformedBodies: [string, number[]][] = [
    ["a truncated varint", [0x1a, 0x80]],
    ["a varint longer than 10 bytes", [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ["a 10-byte varint overflowing 64 bits", [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]],
    ["a length past the end", [0x0a, 0x05, 0x61]],
    ["a huge length", [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]],
    ["field number 0", [0x02, 0x00]],
    ["wire type 6", [0x7e]],
    ["wire type 7", [0x7f]],
    ["a stray end-group", [0x7c]],
    ["an unterminated group", [0x7b, 0x08, 0x01]],
    ["a group closed by another field", [0x7b, 0x84, 0x01]],
    ["a truncated fixed64", [0x79, 1, 2, 3]],
    ["a truncated fixed32", [0x7d, 1, 2]],
    ["a partition key table entry as a varint", [0x08, 0x01]],
    ["a record without data", [0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x08, 0x00]],
    ["a record without partition key index", [0x0a, 0x01, 0x6b, 0x1a, 0x03, 0x1a, 0x01, 0x78]],
    ["a record whose data is a varint", [0x0a, 0x01, 0x6b, 0x1a, 0x04, 0x08, 0x00, 0x18, 0x01]],
    ["a partition key index outside the table", [0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x01, 0x1a, 0x01, 0x78]],
    ["an explicit hash key index with an empty table", [0x0a, 0x01, 0x6b, 0x1a, 0x07, 0x08, 0x00, 0x10, 0x00, 0x1a, 0x01, 0x78]],
    ["a record whose inner length overruns it", [0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x00, 0x1a, 0x05, 0x78]],
    ["a tag without key", [0x0a, 0x01, 0x6b, 0x1a, 0x09, 0x08, 0x00, 0x1a, 0x01, 0x78, 0x22, 0x02, 0x12, 0x00]],
  ];
  for (const [what, body] of malformedBodies) {
    it(`returns undefined for ${what}`, () => {
      expect(deaggregate(frame(body))).toBeUndefined();
    });
  }

  it("returns undefined for groups nested thousands deep, without overflowing the stack", () => {
    const body = [...new Array<number>(5000).fill(0x7b), ...new Array<number>(5000).fill(0x7c)];
    expect(deaggregate(frame(body))).toBeUndefined();
  });

  it("never throws on random bodies with matching checksums", () => {
    for (let i = 0; i < 2000; i++) {
      const body = randomBytes(Math.floor(Math.random() * 64));
      if (i % 2 === 0 && body.byteLength > 0) body[0] = 0x1a; // start like a record field
      expect(() => deaggregate(frame(body))).not.toThrow();
    }
  });

  it("never throws on single-byte mutations of a valid body with matching checksums", () => {
    const body = golden().subarray(4, 108 - 16);
    for (let position = 0; position < body.byteLength; position++) {
      for (const value of [0x00, 0x7f, 0x80, 0xff, body[position]! ^ 0x07]) {
        const mutated = Uint8Array.from(body);
        mutated[position] = value;
        expect(() => deaggregate(frame(mutated))).not.toThrow();
      }
    }
  });
});

describe("deaggregate reads what the format allows", () => {
  it("returns no records for an empty aggregate", () => {
    expect(deaggregate(frame([]))).toEqual([]);
  });

  it("skips unknown fields of every wire type, at the top level and inside records and tags", () => {
    const unknown = [
      0x78,
      0x96,
      0x01, // field 15 varint
      0x79,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 15 fixed64
      0x7a,
      0x02,
      0x61,
      0x62, // field 15 bytes
      0x7d,
      1,
      2,
      3,
      4, // field 15 fixed32
      0x7b,
      0x08,
      0x01,
      0x7b,
      0x7c,
      0x7c, // field 15 group holding a varint and a nested group
    ];
    const tag = [0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76, ...unknown];
    const record = [0x08, 0x00, ...unknown, 0x1a, 0x01, 0x78, 0x22, tag.length, ...tag];
    const body = [...unknown, 0x0a, 0x01, 0x6b, 0x1a, record.length, ...record, ...unknown];
    expect(deaggregate(frame(body))).toEqual([{ data: utf8("x"), partitionKey: "k", subSequenceNumber: 0 }]);
    const message = decodeAggregateMessage(Uint8Array.from(body));
    expect(message.records[0]?.tags).toEqual([{ key: "k", value: "v" }]);
  });

  it("takes the last value of a repeated scalar field, as protobuf does", () => {
    const record = [0x08, 0x05, 0x08, 0x01, 0x1a, 0x01, 0x78];
    const body = [0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62, 0x1a, record.length, ...record];
    expect(deaggregate(frame(body))?.[0]?.partitionKey).toBe("b");
  });

  it("returns sub-record data as views into the input, without copying", () => {
    const data = fromHex(GOLDEN_HEX);
    const first = deaggregate(data)![0]!;
    expect(first.data.buffer).toBe(data.buffer);
  });
});

describe("KplAggregator", () => {
  it("reports exactly the size it then emits, item after item", () => {
    const aggregator = new KplAggregator(1024 * 1024);
    expect(aggregator.size).toBe(0);
    for (const item of randomItems(150)) {
      aggregator.add(item.data, item.partitionKey, item.explicitHashKey);
    }
    const size = aggregator.size;
    expect(aggregator.flush()?.data.byteLength).toBe(size);
  });

  it("stores each partition key and explicit hash key once", () => {
    const record = aggregateAll(
      Array.from({ length: 50 }, (_, i) => ({
        data: utf8(`item ${i}`),
        partitionKey: i % 2 === 0 ? "even" : "odd",
        explicitHashKey: i % 2 === 0 ? "1" : "2",
      })),
    );
    const message = decodeAggregateMessage(record.data.subarray(4, record.data.byteLength - 16));
    expect(message.partitionKeyTable).toEqual(["even", "odd"]);
    expect(message.explicitHashKeyTable).toEqual(["1", "2"]);
    expect(message.records).toHaveLength(50);
  });

  it("takes the outer partition key and explicit hash key from the first item", () => {
    const withKey = aggregateAll([
      { data: utf8("a"), partitionKey: "first", explicitHashKey: "42" },
      { data: utf8("b"), partitionKey: "second", explicitHashKey: "43" },
    ]);
    expect(withKey).toMatchObject({ partitionKey: "first", explicitHashKey: "42", count: 2 });
    const withoutKey = aggregateAll([
      { data: utf8("a"), partitionKey: "first" },
      { data: utf8("b"), partitionKey: "second", explicitHashKey: "43" },
    ]);
    expect(withoutKey.partitionKey).toBe("first");
    expect(withoutKey).not.toHaveProperty("explicitHashKey");
  });

  it("fills to exactly maxBytes and refuses one byte more, keeping nothing of the refused item", () => {
    const items = randomItems(40);
    const measuring = new KplAggregator(1024 * 1024);
    for (const item of items) measuring.add(item.data, item.partitionKey, item.explicitHashKey);
    const exact = measuring.size;

    const fits = new KplAggregator(exact);
    for (const item of items) expect(fits.add(item.data, item.partitionKey, item.explicitHashKey)).toBe(true);
    expect(fits.flush()?.data.byteLength).toBe(exact);

    const short = new KplAggregator(exact - 1);
    const last = items.length - 1;
    items.slice(0, last).forEach((item) => expect(short.add(item.data, item.partitionKey, item.explicitHashKey)).toBe(true));
    const sizeBefore = short.size;
    expect(short.add(items[last]!.data, items[last]!.partitionKey, items[last]!.explicitHashKey)).toBe(false);
    expect(short.count).toBe(last);
    expect(short.size).toBe(sizeBefore);
    const flushed = short.flush()!;
    expect(deaggregate(flushed.data)).toHaveLength(last);
  });

  it("accepts one item of exactly maxBytes and throws RecordTooLargeError one byte over", () => {
    const data = randomBytes(1000);
    const probe = new KplAggregator(1024 * 1024);
    probe.add(data, "key");
    const exact = probe.size;

    const fits = new KplAggregator(exact);
    expect(fits.add(data, "key")).toBe(true);
    expect(fits.flush()?.data.byteLength).toBe(exact);

    const tooSmall = new KplAggregator(exact - 1);
    expect(() => tooSmall.add(data, "key")).toThrow(RecordTooLargeError);
    try {
      tooSmall.add(data, "key");
    } catch (error) {
      expect(error).toMatchObject({ code: "RECORD_TOO_LARGE", size: exact, limit: exact - 1 });
    }
    expect(tooSmall.count).toBe(0);
  });

  it("throws RecordTooLargeError for an item that could never fit even when others are held", () => {
    const aggregator = new KplAggregator(200);
    expect(aggregator.add(utf8("small"), "k")).toBe(true);
    expect(() => aggregator.add(new Uint8Array(300), "k")).toThrow(RecordTooLargeError);
    expect(aggregator.count).toBe(1);
  });

  it("returns false, not an error, for an item that fits alone but not beside the held ones", () => {
    const aggregator = new KplAggregator(200);
    expect(aggregator.add(new Uint8Array(100), "k")).toBe(true);
    expect(aggregator.add(new Uint8Array(100), "k")).toBe(false);
    expect(aggregator.flush()?.count).toBe(1);
    expect(aggregator.add(new Uint8Array(100), "k")).toBe(true);
  });

  it("is empty after a flush and flushes undefined when empty", () => {
    const aggregator = new KplAggregator(1000);
    expect(aggregator.flush()).toBeUndefined();
    aggregator.add(utf8("a"), "k1", "7");
    aggregator.flush();
    expect(aggregator.count).toBe(0);
    expect(aggregator.size).toBe(0);
    expect(aggregator.flush()).toBeUndefined();
    aggregator.add(utf8("b"), "k2");
    const record = aggregator.flush()!;
    expect(record).not.toHaveProperty("explicitHashKey");
    expect(deaggregate(record.data)).toEqual([{ data: utf8("b"), partitionKey: "k2", subSequenceNumber: 0 }]);
  });

  it("encodes items with the given function", () => {
    const aggregator = new KplAggregator<string>(1000, (text) => utf8(text.toUpperCase()));
    aggregator.add("shout", "k");
    expect(deaggregate(aggregator.flush()!.data)?.[0]?.data).toEqual(utf8("SHOUT"));
  });

  it("rejects non-bytes items without an encode function, and a bad maxBytes", () => {
    const aggregator = new KplAggregator<unknown>(1000);
    expect(() => aggregator.add("text", "k")).toThrow(EncodeError);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new KplAggregator(bad), String(bad)).toThrow(ConfigError);
    }
  });
});

describe("hash keys", () => {
  it("places a record by its explicit hash key when valid, else by its partition key's MD5", () => {
    expect(recordHashKey({ partitionKey: "a", explicitHashKey: "42" })).toBe(42n);
    expect(recordHashKey({ partitionKey: "a" })).toBe(partitionKeyHash("a"));
    expect(recordHashKey({ partitionKey: "a", explicitHashKey: "not a number" })).toBe(partitionKeyHash("a"));
    expect(recordHashKey({ partitionKey: "a", explicitHashKey: (2n ** 128n).toString() })).toBe(partitionKeyHash("a"));
    expect(recordHashKey({ partitionKey: "a", explicitHashKey: (2n ** 128n - 1n).toString() })).toBe(2n ** 128n - 1n);
  });

  it("checks inclusive shard hash ranges", () => {
    const range = { startingHashKey: "100", endingHashKey: "200" };
    expect(isInHashRange(100n, range)).toBe(true);
    expect(isInHashRange(200n, range)).toBe(true);
    expect(isInHashRange(99n, range)).toBe(false);
    expect(isInHashRange(201n, range)).toBe(false);
    const whole = { startingHashKey: "0", endingHashKey: (2n ** 128n - 1n).toString() };
    expect(isInHashRange(partitionKeyHash("anything"), whole)).toBe(true);
  });
});
