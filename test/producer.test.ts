import { type _Record as SdkRecord, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-kinesis";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { partitionKeyHash } from "../src/aggregation/md5.ts";
import { ClosedError, ConfigError, InvalidPartitionKeyError, PutFailedError, RecordTooLargeError } from "../src/errors.ts";
import { utf8Length } from "../src/internal/utf8.ts";
import {
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
import { Producer } from "../src/producer/producer.ts";
import { ShardMap } from "../src/producer/shard-map.ts";
import { createStream, localKinesis, testCredentials } from "./support/clients.ts";
import { flushLog, localProducer, promiseState, recordingFetch } from "./support/producer.ts";
import { readAllRecords, type StoredRecord } from "./support/read-stream.ts";
import { sdkKinesis } from "./support/sdk.ts";
import { seededBytes as bytes } from "./support/bytes.ts";

const ONE_MIB = 1024 * 1024;
const kinesis = localKinesis();

function parseAll<T>(processor: Processor<T>, records: readonly StoredRecord[]): T[] {
  return records.flatMap((record) => processor.parse(record.data));
}

/** Items and keys in a stable order, for comparing multisets. */
function sorted(values: readonly unknown[]): string[] {
  return values.map((value) => JSON.stringify(value, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v))).sort();
}

const UNICODE_KEYS = ["ключ", "キー🔑", "é\u0301", "emoji 🎉", "日本語", "a".repeat(256), "Ω".repeat(256)];

interface ProcessorCase {
  name: string;
  processor: () => Processor<unknown>;
  item: (i: number) => unknown;
  aggregates: boolean;
}

const cases: ProcessorCase[] = [
  { name: "JsonProcessor", processor: () => new JsonProcessor(), item: (i) => ({ i, text: `ünïcödé ${i}`, list: [i, null, true] }), aggregates: false },
  { name: "StringProcessor", processor: () => new StringProcessor() as Processor<unknown>, item: (i) => `line ${i} 🎉`, aggregates: false },
  { name: "BytesProcessor", processor: () => new BytesProcessor() as Processor<unknown>, item: (i) => bytes(1 + (i % 300), i), aggregates: false },
  { name: "JsonLineProcessor", processor: () => new JsonLineProcessor(), item: (i) => ({ line: i }), aggregates: true },
  { name: "JsonListProcessor", processor: () => new JsonListProcessor(), item: (i) => [i, `x${i}`], aggregates: true },
  {
    name: "MsgpackProcessor",
    processor: () => new MsgpackProcessor({ encode: msgpackEncode, decode: msgpackDecode }),
    item: (i) => ({ id: i, bin: bytes(i % 40, i), big: 2 ** 33 + i }),
    aggregates: true,
  },
  { name: "KPLJsonProcessor", processor: () => new KPLJsonProcessor(), item: (i) => ({ kpl: i, pad: "p".repeat(i % 90) }), aggregates: true },
  { name: "KPLStringProcessor", processor: () => new KPLStringProcessor() as Processor<unknown>, item: (i) => `kpl string ${i} ключ`, aggregates: true },
];

describe("Producer round trips (kinesalite)", () => {
  for (const { name, processor, item, aggregates } of cases) {
    it(`every ${name} item is read back once, by our client and the same processor`, async () => {
      const stream = await createStream(kinesis, 3, "producer-rt");
      const log = flushLog();
      const producer = localProducer(stream, { processor: processor(), afterFlush: log.afterFlush });
      const items = Array.from({ length: 1200 }, (_, i) => item(i));
      await Promise.all(items.map((value, i) => producer.put(value, `${UNICODE_KEYS[i % 5]}-${i % 50}`)));
      await producer.close();
      const records = await readAllRecords(kinesis, stream);
      expect(sorted(parseAll(processor(), records))).toEqual(sorted(items));
      const userRecords = log.stats.reduce((n, s) => n + s.userRecords, 0);
      expect(userRecords).toBe(items.length);
      if (aggregates) expect(records.length).toBeLessThan(items.length / 10);
      else expect(records).toHaveLength(items.length);
    });
  }

  it("plain records are read back byte for byte by @aws-sdk/client-kinesis, keys included", async () => {
    const stream = await createStream(kinesis, 1, "producer-sdk");
    const producer = localProducer<Uint8Array>(stream, { processor: new BytesProcessor() });
    const puts = [
      { data: Uint8Array.from({ length: 256 }, (_, i) => i), key: "binary" },
      { data: new TextEncoder().encode('{"emoji":"😀"}'), key: "ключ" },
      { data: new Uint8Array([0]), key: "キー🔑" },
      { data: bytes(ONE_MIB - utf8Length("большой"), 7), key: "большой" },
      ...Array.from({ length: 50 }, (_, i) => ({ data: bytes(i * 13, i), key: `k${i}` })),
    ];
    for (const { data, key } of puts) await producer.put(data, key);
    await producer.close();

    const sdk = sdkKinesis();
    try {
      const shardId = (await kinesis.listShards(stream))[0]!.shardId;
      const start = await sdk.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }));
      const theirs: SdkRecord[] = [];
      let iterator = start.ShardIterator;
      while (iterator !== undefined && theirs.length < puts.length) {
        const page = await sdk.send(new GetRecordsCommand({ ShardIterator: iterator }));
        theirs.push(...(page.Records ?? []));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
      // One shard and nothing failed: the stream holds them in put order.
      expect(theirs).toHaveLength(puts.length);
      theirs.forEach((record, i) => {
        expect(record.PartitionKey).toBe(puts[i]!.key);
        expect(Buffer.from(record.Data!).equals(Buffer.from(puts[i]!.data))).toBe(true);
      });
    } finally {
      sdk.destroy();
    }
  });
});

describe("Producer batching to the PutRecords limits", () => {
  it("sends 501 records in exactly 2 requests: 500, then 1", async () => {
    const stream = await createStream(kinesis, 2, "producer-501");
    const recording = recordingFetch();
    const log = flushLog();
    const producer = localProducer(stream, { fetch: recording.fetch, bufferTime: 60, sendWhenIdle: false, afterFlush: log.afterFlush });
    for (let i = 0; i < 501; i++) await producer.put({ i }, `k${i}`);
    await producer.close();
    expect(recording.count("PutRecords")).toBe(2);
    expect(log.stats.map((s) => s.records)).toEqual([500, 1]);
    expect((await readAllRecords(kinesis, stream)).length).toBe(501);
  });

  it("splits more than 5 MiB into requests of at most 5 MiB, partition keys counted", async () => {
    const stream = await createStream(kinesis, 1, "producer-5mib");
    const recording = recordingFetch();
    // A shard takes 1 MiB/s; raise the budget so the request limit, not the rate, decides the split.
    const producer = localProducer<Uint8Array>(stream, {
      processor: new BytesProcessor(),
      fetch: recording.fetch,
      bufferTime: 60,
      sendWhenIdle: false,
      putBandwidthLimitPerShard: 100 * 1024,
    });
    const key = "partition-key-ключ";
    const size = ONE_MIB - utf8Length(key);
    for (let i = 0; i < 7; i++) await producer.put(bytes(size, i), key);
    await producer.close();
    const requests = recording.bodies("PutRecords") as Array<{ Records: Array<{ Data: string; PartitionKey: string }> }>;
    expect(requests.map((r) => r.Records.length)).toEqual([5, 2]);
    for (const request of requests) {
      const total = request.Records.reduce((n, r) => n + Buffer.from(r.Data, "base64").length + utf8Length(r.PartitionKey), 0);
      expect(total).toBeLessThanOrEqual(5 * ONE_MIB);
    }
    const stored = await readAllRecords(kinesis, stream);
    expect(stored.map((r) => Buffer.from(r.data).equals(Buffer.from(bytes(size, stored.indexOf(r)))))).toEqual(Array(7).fill(true));
  });

  it("accepts a record of exactly 1 MiB (data plus key bytes) and rejects 1 byte more at put, sending nothing", async () => {
    const stream = await createStream(kinesis, 1, "producer-limit");
    const recording = recordingFetch();
    const producer = localProducer<Uint8Array>(stream, { processor: new BytesProcessor(), fetch: recording.fetch });
    const key = "キー🔑";
    await producer.put(bytes(ONE_MIB - utf8Length(key), 1), key);
    const error = await producer.put(bytes(ONE_MIB - utf8Length(key) + 1, 2), key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect(error).toMatchObject({ code: "RECORD_TOO_LARGE", limit: ONE_MIB - utf8Length(key) });
    await producer.close();
    const stored = await readAllRecords(kinesis, stream);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.data.length + utf8Length(stored[0]!.partitionKey)).toBe(ONE_MIB);
    const sent = recording.bodies("PutRecords").flatMap((b) => b["Records"] as unknown[]);
    expect(sent).toHaveLength(1);
  });

  it("routes unicode partition keys to the shard MD5 picks, and keeps them intact", async () => {
    const stream = await createStream(kinesis, 4, "producer-unicode");
    const producer = localProducer(stream);
    for (const [i, key] of UNICODE_KEYS.entries()) await producer.put({ i }, key);
    await producer.close();
    const map = new ShardMap(await kinesis.listShards(stream));
    const stored = await readAllRecords(kinesis, stream);
    expect(stored.map((r) => r.partitionKey).sort()).toEqual([...UNICODE_KEYS].sort());
    for (const record of stored) expect(record.shardId).toBe(map.lookup(partitionKeyHash(record.partitionKey))!.shardId);
  });

  it("routes by an explicit hash key when one is given", async () => {
    const stream = await createStream(kinesis, 4, "producer-ehk");
    const shards = await kinesis.listShards(stream);
    const producer = localProducer(stream);
    for (const shard of shards) await producer.put({ to: shard.shardId }, "same-key", { explicitHashKey: shard.hashKeyRange.startingHashKey });
    await producer.close();
    const stored = await readAllRecords(kinesis, stream);
    expect(stored).toHaveLength(4);
    for (const record of stored) expect(record.shardId).toBe((JSON.parse(Buffer.from(record.data).toString()) as { to: string }).to);
  });

  it("rejects bad partition keys and explicit hash keys at put, before any request", async () => {
    const recording = recordingFetch();
    const producer = localProducer("no-such-stream-needed", { fetch: recording.fetch });
    for (const key of ["", "x".repeat(257)]) {
      await expect(producer.put({}, key)).rejects.toBeInstanceOf(InvalidPartitionKeyError);
    }
    await expect(producer.put({}, "k", { explicitHashKey: (1n << 128n).toString() })).rejects.toMatchObject({
      name: "InvalidPartitionKeyError",
      code: "INVALID_PARTITION_KEY",
      key: "explicitHashKey",
    });
    expect(recording.count("DescribeStreamSummary") + recording.count("PutRecords")).toBe(0);
    await producer.close();
  });

  it("gives each shard its own rate budget: 3 shards send 3 shards' worth per request", async () => {
    const one = await createStream(kinesis, 1, "producer-rate1");
    const three = await createStream(kinesis, 3, "producer-rate3");
    const sizes: Record<string, number[]> = {};
    for (const stream of [one, three]) {
      const log = flushLog();
      const producer = localProducer(stream, { putRateLimitPerShard: 100, bufferTime: 0, afterFlush: log.afterFlush });
      await Promise.all(Array.from({ length: 400 }, (_, i) => producer.put({ i }, `key-${i}`)));
      await producer.close();
      sizes[stream] = log.stats.map((s) => s.records);
      expect((await readAllRecords(kinesis, stream)).length).toBe(400);
    }
    // One shard: never more than its 100 records per second in one go.
    expect(Math.max(...sizes[one]!)).toBeLessThanOrEqual(100);
    // Three shards: the first request already carries more than one shard's budget.
    expect(Math.max(...sizes[three]!)).toBeGreaterThan(100);
    expect(Math.max(...sizes[three]!)).toBeLessThanOrEqual(300);
  });
});

describe("Producer lifecycle", () => {
  it("does nothing until the first put, then looks the stream up", async () => {
    const stream = await createStream(kinesis, 1, "producer-lazy");
    const recording = recordingFetch();
    const producer = localProducer(stream, { fetch: recording.fetch });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recording.count("DescribeStreamSummary") + recording.count("ListShards")).toBe(0);
    await producer.put({ a: 1 });
    expect(recording.count("DescribeStreamSummary")).toBe(1);
    expect(recording.count("ListShards")).toBe(1);
    await producer.close();
  });

  it("applies back-pressure: put waits while maxQueueSize items are undelivered, and nothing is dropped", async () => {
    const stream = await createStream(kinesis, 1, "producer-bp");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const recording = recordingFetch(async (operation) => {
      if (operation === "PutRecords") await gate;
      return undefined;
    });
    const producer = localProducer(stream, { fetch: recording.fetch, maxQueueSize: 5, bufferTime: 0 });
    for (let i = 0; i < 5; i++) await producer.put({ i }, "k");
    const sixth = producer.put({ i: 5 }, "k");
    const seventh = producer.put({ i: 6 }, "k");
    expect(await promiseState(sixth, 50)).toBe("pending");
    expect(await promiseState(seventh, 1)).toBe("pending");
    release();
    await sixth;
    await seventh;
    await producer.close();
    const stored = await readAllRecords(kinesis, stream);
    expect(stored.map((r) => (JSON.parse(Buffer.from(r.data).toString()) as { i: number }).i).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("flush() resolves once everything put before it is stored", async () => {
    const stream = await createStream(kinesis, 2, "producer-flush");
    const producer = localProducer(stream, { bufferTime: 60 });
    for (let i = 0; i < 30; i++) await producer.put({ i });
    await producer.flush();
    expect((await readAllRecords(kinesis, stream)).length).toBe(30);
    for (let i = 0; i < 5; i++) await producer.put({ i });
    await producer.flush();
    expect((await readAllRecords(kinesis, stream)).length).toBe(35);
    await producer.close();
  });

  it("close() delivers everything accepted, including puts not awaited, then refuses more", async () => {
    const stream = await createStream(kinesis, 2, "producer-close");
    const producer = localProducer(stream, { bufferTime: 60, maxQueueSize: 50 });
    const puts = Array.from({ length: 200 }, (_, i) => producer.put({ i }));
    await producer.close();
    await Promise.all(puts);
    expect((await readAllRecords(kinesis, stream)).length).toBe(200);
    await expect(producer.put({ late: true })).rejects.toBeInstanceOf(ClosedError);
    await expect(producer.close()).resolves.toBeUndefined();
  });

  it("closes through `await using`", async () => {
    const stream = await createStream(kinesis, 1, "producer-using");
    {
      await using producer = localProducer(stream, { bufferTime: 60 });
      await producer.put("disposed");
    }
    expect((await readAllRecords(kinesis, stream)).length).toBe(1);
  });

  it("a missing stream rejects put with PutFailedError naming the record, and close has nothing to report", async () => {
    const producer = localProducer("producer-missing-stream");
    const error = await producer.put({ lost: 1 }, "pk").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    expect((error as PutFailedError).failures).toEqual([
      expect.objectContaining({ data: { lost: 1 }, partitionKey: "pk", errorCode: "ResourceNotFoundException", attempts: 0 }),
    ]);
    // The lookup failure is persistent: later puts fail at once, without asking again.
    await expect(producer.put({ lost: 2 })).rejects.toMatchObject({ code: "PUT_FAILED", failures: [{ data: { lost: 2 } }] });
    await expect(producer.close()).resolves.toBeUndefined();
  });

  it("validates options into ConfigError naming the option", () => {
    const base = { streamName: "s", credentials: testCredentials };
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ streamName: "" }, "streamName"],
      [{ batchSize: 501 }, "batchSize"],
      [{ batchSize: 0 }, "batchSize"],
      [{ bufferTime: -1 }, "bufferTime"],
      [{ maxQueueSize: 1.5 }, "maxQueueSize"],
      [{ putRateLimitPerShard: 0 }, "putRateLimitPerShard"],
      [{ putBandwidthLimitPerShard: "1024" }, "putBandwidthLimitPerShard"],
      [{ processor: {} }, "processor"],
      [{ ordered: "yes" }, "ordered"],
      [{ afterFlush: 1 }, "afterFlush"],
      [{ endpoint: "ftp://x" }, "endpoint"],
      [{ maxAttempts: 0 }, "maxAttempts"],
      [{ maxRetainedFailures: 0 }, "maxRetainedFailures"],
      [{ maxRetainedFailures: 2.5 }, "maxRetainedFailures"],
    ];
    for (const [override, option] of bad) {
      let error: unknown;
      try {
        new Producer({ ...base, ...override } as never);
      } catch (e) {
        error = e;
      }
      expect(error, option).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
    }
  });
});
