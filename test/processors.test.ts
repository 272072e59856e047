import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { deaggregate } from "../src/aggregation/kpl.ts";
import { AsyncKinesisError, ConfigError, DecodeError, EncodeError, RecordTooLargeError } from "../src/errors.ts";
import { utf8Length } from "../src/internal/utf8.ts";
import {
  type AggregatedRecord,
  BytesProcessor,
  JsonLineProcessor,
  JsonListProcessor,
  JsonProcessor,
  KPLJsonProcessor,
  KPLStringProcessor,
  MsgpackProcessor,
  type Processor,
  StringProcessor,
} from "../src/processors/index.ts";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const msgpack = { encode: msgpackEncode, decode: msgpackDecode };

const UNICODE = ["ascii", "ünïcödé", "日本語のテキスト", "emoji 🎉🔑👩‍👩‍👧", "\uFEFFleading BOM", "tab\tnew\nline\r\n", "", "\u0000nul"];

function jsonItems(count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => {
    switch (i % 6) {
      case 0:
        return { id: i, text: UNICODE[i % UNICODE.length], nested: { list: [1, 2.5, null, true] } };
      case 1:
        return UNICODE[i % UNICODE.length];
      case 2:
        return i;
      case 3:
        return null;
      case 4:
        return [i, `item-${i}`, { deep: [{ deeper: "x".repeat(i % 50) }] }];
      default:
        return false;
    }
  });
}

const stringItems = (count: number): string[] => Array.from({ length: count }, (_, i) => `${UNICODE[i % UNICODE.length]}-${i}-${"z".repeat(i % 40)}`);

const bytesItems = (count: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => Uint8Array.from({ length: (i * 37) % 200 }, (_, j) => (i + j * 7) % 256));

interface Case {
  name: string;
  make: () => Processor<unknown>;
  items: (count: number) => unknown[];
  /** Many items per record, or one. */
  many: boolean;
}

const cases: Case[] = [
  { name: "JsonProcessor", make: () => new JsonProcessor(), items: jsonItems, many: false },
  { name: "StringProcessor", make: () => new StringProcessor() as Processor<unknown>, items: stringItems, many: false },
  { name: "BytesProcessor", make: () => new BytesProcessor() as Processor<unknown>, items: bytesItems, many: false },
  { name: "JsonLineProcessor", make: () => new JsonLineProcessor(), items: jsonItems, many: true },
  { name: "JsonListProcessor", make: () => new JsonListProcessor(), items: jsonItems, many: true },
  { name: "MsgpackProcessor", make: () => new MsgpackProcessor(msgpack), items: jsonItems, many: true },
  { name: "KPLJsonProcessor", make: () => new KPLJsonProcessor(), items: jsonItems, many: true },
  {
    name: "KPLStringProcessor",
    make: () => new KPLStringProcessor() as Processor<unknown>,
    items: stringItems,
    many: true,
  },
];

/** Adds every item, flushing whenever the aggregator is full, as the producer will. */
function packAll(processor: Processor<unknown>, items: unknown[], maxBytes: number): AggregatedRecord[] {
  const aggregator = processor.aggregator(maxBytes);
  const records: AggregatedRecord[] = [];
  const flush = () => {
    const expectedSize = aggregator.size;
    const record = aggregator.flush();
    if (record !== undefined) {
      expect(record.data.byteLength).toBe(expectedSize);
      expect(record.data.byteLength).toBeLessThanOrEqual(maxBytes);
      records.push(record);
    }
    expect(aggregator.count).toBe(0);
    expect(aggregator.size).toBe(0);
  };
  items.forEach((item, i) => {
    const key = `pk-${i % 5}`;
    if (!aggregator.add(item, key)) {
      flush();
      expect(aggregator.add(item, key)).toBe(true);
    }
  });
  flush();
  return records;
}

/** The size of one record holding `items`, measured with a roomy aggregator. */
function measure(processor: Processor<unknown>, items: unknown[]): number {
  const aggregator = processor.aggregator(10 * 1024 * 1024);
  for (const item of items) expect(aggregator.add(item, "pk")).toBe(true);
  return aggregator.size;
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe.each(cases)("$name", ({ make, items: makeItems, many }) => {
  it("round-trips many items through its aggregator, in order", () => {
    const processor = make();
    const items = makeItems(300);
    const records = packAll(processor, items, 2048);
    expect(records.reduce((sum, record) => sum + record.count, 0)).toBe(items.length);
    if (many) expect(records.length).toBeLessThan(items.length);
    else expect(records.length).toBe(items.length);
    const parsed = records.flatMap((record) => {
      const out = processor.parse(record.data);
      expect(out).toHaveLength(record.count);
      return out;
    });
    expect(parsed).toEqual(items);
  });

  it("round-trips unicode items", () => {
    const processor = make();
    const items = makeItems(UNICODE.length * 2);
    const parsed = packAll(processor, items, 1024 * 1024).flatMap((record) => processor.parse(record.data));
    expect(parsed).toEqual(items);
  });

  it("takes the record's partition key and explicit hash key from its first item", () => {
    const processor = make();
    const [first, second] = makeItems(2);
    const aggregator = processor.aggregator(1024 * 1024);
    aggregator.add(first, "first-key", "12345");
    aggregator.add(second, "second-key", "67890");
    expect(aggregator.flush()).toMatchObject({ partitionKey: "first-key", explicitHashKey: "12345" });
    aggregator.add(second, "third-key");
    expect(aggregator.flush()).not.toHaveProperty("explicitHashKey");
  });

  it("accepts one item of exactly maxBytes and throws RecordTooLargeError one byte under", () => {
    const processor = make();
    const item = makeItems(5)[4];
    const exact = measure(processor, [item]);
    const fits = processor.aggregator(exact);
    expect(fits.add(item, "pk")).toBe(true);
    const record = fits.flush()!;
    expect(record.data.byteLength).toBe(exact);
    expect(processor.parse(record.data)).toEqual([item]);

    const error = caught(() => processor.aggregator(exact - 1).add(item, "pk"));
    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect(error).toMatchObject({ name: "RecordTooLargeError", code: "RECORD_TOO_LARGE", size: exact, limit: exact - 1 });
  });

  it("refuses an item that does not fit beside the held ones, keeping what it holds", () => {
    const processor = make();
    const items = makeItems(8);
    if (!many) {
      const aggregator = processor.aggregator(1024 * 1024);
      expect(aggregator.add(items[0], "pk")).toBe(true);
      expect(aggregator.add(items[1], "pk")).toBe(false);
      expect(aggregator.count).toBe(1);
      expect(processor.parse(aggregator.flush()!.data)).toEqual([items[0]]);
      return;
    }
    const exact = measure(processor, items);
    const fits = processor.aggregator(exact);
    for (const item of items) expect(fits.add(item, "pk")).toBe(true);
    expect(fits.flush()!.data.byteLength).toBe(exact);

    const short = processor.aggregator(exact - 1);
    for (const item of items.slice(0, -1)) expect(short.add(item, "pk")).toBe(true);
    const before = short.size;
    expect(short.add(items.at(-1), "pk")).toBe(false);
    expect(short.count).toBe(items.length - 1);
    expect(short.size).toBe(before);
    expect(processor.parse(short.flush()!.data)).toEqual(items.slice(0, -1));
  });

  it("flushes undefined when empty", () => {
    expect(make().aggregator(100).flush()).toBeUndefined();
  });

  it("rejects a maxBytes that is not a positive integer with ConfigError", () => {
    for (const bad of [0, -5, 2.5, Number.NaN]) {
      expect(() => make().aggregator(bad), String(bad)).toThrow(ConfigError);
    }
  });
});

describe("decode errors are typed", () => {
  const expectDecodeError = (run: () => unknown) => {
    const error = caught(run);
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toBeInstanceOf(AsyncKinesisError);
    expect(error).toMatchObject({ name: "DecodeError", code: "DECODE" });
    return error as DecodeError;
  };
  const invalidUtf8 = Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]);

  it("invalid JSON", () => {
    const error = expectDecodeError(() => new JsonProcessor().parse(utf8("{not json")));
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expectDecodeError(() => new JsonProcessor().parse(new Uint8Array(0)));
    expectDecodeError(() => new KPLJsonProcessor().parse(utf8("[1,")));
  });

  it("invalid UTF-8", () => {
    expectDecodeError(() => new JsonProcessor().parse(invalidUtf8));
    expectDecodeError(() => new StringProcessor().parse(invalidUtf8));
    expectDecodeError(() => new KPLStringProcessor().parse(invalidUtf8));
    expectDecodeError(() => new JsonLineProcessor().parse(invalidUtf8));
  });

  it("an invalid JSON line, naming the line", () => {
    const error = expectDecodeError(() => new JsonLineProcessor().parse(utf8('{"a":1}\n{"b":\n3')));
    expect(error.message).toContain("line 2");
  });

  it("a JSON list payload that is not an array", () => {
    expectDecodeError(() => new JsonListProcessor().parse(utf8('{"a":1}')));
    expectDecodeError(() => new JsonListProcessor().parse(utf8("[1,2")));
  });

  const badNetstrings: [string, string][] = [
    ["no colon", "3abc,"],
    ["a non-digit length", "3x:abc,"],
    ["an empty length", ":abc,"],
    ["a negative length", "-3:abc,"],
    ["a length past the end", "10:abc,"],
    ["a missing comma", "3:abc"],
    ["a wrong terminator", "3:abc;"],
    ["a payload longer than its length", "2:abc,"],
    ["trailing garbage", "3:abc,x"],
    ["a length with too many digits", "99999999999:abc,"],
  ];
  for (const [what, payload] of badNetstrings) {
    it(`a netstring with ${what}`, () => {
      expectDecodeError(() => new MsgpackProcessor(msgpack).parse(utf8(payload)));
    });
  }

  it("a netstring whose payload is not msgpack", () => {
    const error = expectDecodeError(() => new MsgpackProcessor(msgpack).parse(Uint8Array.from([0x31, 0x3a, 0xc1, 0x2c])));
    expect(error.cause).toBeDefined();
  });

  it("leaves the record's origin empty for the consumer to fill in", () => {
    const error = expectDecodeError(() => new JsonProcessor().parse(utf8("nope")));
    expect(error.shardId).toBeUndefined();
    error.shardId = "shardId-000000000001";
    error.sequenceNumber = "49590338271490256608559692538361571095921575989136588898";
    expect(error).toMatchObject({ shardId: "shardId-000000000001" });
  });
});

describe("encode errors are typed", () => {
  const expectEncodeError = (run: () => unknown) => {
    const error = caught(run);
    expect(error).toBeInstanceOf(EncodeError);
    expect(error).toMatchObject({ name: "EncodeError", code: "ENCODE" });
  };

  it("items with no JSON form", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const processor of [new JsonProcessor(), new JsonLineProcessor(), new JsonListProcessor(), new KPLJsonProcessor()]) {
      const aggregator = processor.aggregator(1000);
      expectEncodeError(() => aggregator.add(undefined, "pk"));
      expectEncodeError(() => aggregator.add(() => 1, "pk"));
      expectEncodeError(() => aggregator.add(10n, "pk"));
      expectEncodeError(() => aggregator.add(cyclic, "pk"));
      expect(aggregator.count).toBe(0);
    }
  });

  it("items of the wrong type for string and bytes processors", () => {
    expectEncodeError(() => (new StringProcessor() as Processor<unknown>).aggregator(100).add(42, "pk"));
    expectEncodeError(() => (new KPLStringProcessor() as Processor<unknown>).aggregator(100).add({}, "pk"));
    expectEncodeError(() => (new BytesProcessor() as Processor<unknown>).aggregator(100).add("text", "pk"));
  });

  it("items msgpack cannot encode", () => {
    expectEncodeError(() => new MsgpackProcessor(msgpack).aggregator(100).add(Symbol("x"), "pk"));
  });
});

describe("reading what other producers write", () => {
  it("JsonListProcessor reads Python's json.dumps list with spaces", () => {
    expect(new JsonListProcessor().parse(utf8('[{"a": 1}, {"b": [2, 3]}]'))).toEqual([{ a: 1 }, { b: [2, 3] }]);
  });

  it("JsonLineProcessor skips blank lines and a trailing newline", () => {
    expect(new JsonLineProcessor().parse(utf8('{"a":1}\r\n\n{"b":2}\n'))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(new JsonLineProcessor().parse(new Uint8Array(0))).toEqual([]);
  });

  it("MsgpackProcessor reads hand-framed netstrings and an empty record", () => {
    const first = msgpackEncode({ hello: "world" });
    const second = msgpackEncode([1, 2, 3]);
    const payload = new Uint8Array([
      ...utf8(`${first.byteLength}:`),
      ...first,
      ...utf8(","),
      ...utf8(`${second.byteLength}:`),
      ...second,
      ...utf8(","),
    ]);
    expect(new MsgpackProcessor(msgpack).parse(payload)).toEqual([{ hello: "world" }, [1, 2, 3]]);
    expect(new MsgpackProcessor(msgpack).parse(new Uint8Array(0))).toEqual([]);
  });

  it("KPL processors read a whole aggregate and a single sub-record alike", () => {
    const json = new KPLJsonProcessor();
    const aggregator = json.aggregator(10_000);
    aggregator.add({ a: 1 }, "k1");
    aggregator.add({ b: 2 }, "k2");
    const record = aggregator.flush()!;
    const subRecords = deaggregate(record.data)!;
    expect(subRecords.map((sub) => sub.partitionKey)).toEqual(["k1", "k2"]);
    expect(json.parse(record.data)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(json.parse(subRecords[1]!.data)).toEqual([{ b: 2 }]);
    expect(new KPLStringProcessor().parse(utf8("plain"))).toEqual(["plain"]);
  });

  it("BytesProcessor hands back the record's bytes unchanged", () => {
    const data = Uint8Array.from([0, 255, 0xf3, 0x89, 0x9a, 0xc2]);
    expect(new BytesProcessor().parse(data)).toEqual([data]);
  });
});

describe("MsgpackProcessor construction", () => {
  it("requires an injected codec", () => {
    const error = caught(() => new MsgpackProcessor(undefined as unknown as { encode: never; decode: never }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(() => new MsgpackProcessor({ encode: msgpackEncode } as never)).toThrow(ConfigError);
  });
});

describe("utf8Length", () => {
  it("counts the bytes TextEncoder would produce, lone surrogates included", () => {
    for (const text of [...UNICODE, "\uD800", "a\uDC00b", "\uD83D\uDE00\uD83D", "x".repeat(300)]) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(utf8(text).byteLength);
    }
  });
});
