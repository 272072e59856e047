import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { AwsServiceError, ConfigError, DecodeError } from "../../src/errors.ts";
import { BytesProcessor } from "../../src/processors/index.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { localConsumer } from "./harness.ts";

const encoder = new TextEncoder();
const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

function jsonRecords(count: number, prefix = "r"): Array<{ data: Uint8Array; partitionKey: string }> {
  return Array.from({ length: count }, (_, i) => ({
    data: encoder.encode(JSON.stringify({ id: `${prefix}-${i}`, n: i })),
    partitionKey: `key-${i % 37}`,
  }));
}

async function collect<T>(iterable: AsyncIterable<T>, limit = Number.POSITIVE_INFINITY): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

describe("Consumer reads whole streams", () => {
  it.each([2, 4])("delivers every record of a %i-shard stream exactly once, with the SDK's metadata", async (shards) => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, shards, "consume");
    const put = await sdkPutAll(sdk, stream, jsonRecords(1200));
    expect(new Set(put.map((p) => p.shardId)).size).toBe(shards);
    await using consumer = localConsumer<{ id: string; n: number }>(stream);
    const records: Array<ConsumerRecord<{ id: string; n: number }>> = await collect(consumer.records());
    expect(records).toHaveLength(1200);
    const bySequence = new Map(records.map((r) => [r.sequenceNumber, r]));
    expect(bySequence.size).toBe(1200);
    for (const expected of put) {
      const got = bySequence.get(expected.sequenceNumber)!;
      expect(got.shardId).toBe(expected.shardId);
      expect(got.partitionKey).toBe(expected.partitionKey);
      expect(JSON.stringify(got.data)).toBe(new TextDecoder().decode(expected.data));
      expect(got.approximateArrivalTimestamp).toBeInstanceOf(Date);
      expect(got.subSequenceNumber).toBeUndefined();
    }
    // Within a shard, records come in sequence order.
    for (const shardId of new Set(put.map((p) => p.shardId))) {
      const sequence = records.filter((r) => r.shardId === shardId).map((r) => BigInt(r.sequenceNumber));
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    expect(consumer.stats().recordsDelivered).toBe(1200);
  });

  it("yields decoded payloads from for-await, as the Python library does", async () => {
    const stream = await createStream(localKinesis(), 1, "payloads");
    await sdkPutAll(sdk, stream, jsonRecords(3, "p"));
    await using consumer = localConsumer<{ id: string }>(stream);
    const items = await collect(consumer);
    expect(items.map((i) => i.id)).toEqual(["p-0", "p-1", "p-2"]);
  });

  it("resumes strictly after the last committed record when restarted with the same checkpointer", async () => {
    const stream = await createStream(localKinesis(), 1, "resume");
    await sdkPutAll(sdk, stream, jsonRecords(10, "x"));
    const checkpointer = new MemoryCheckPointer();
    const first = localConsumer<{ n: number }>(stream, { checkpointer });
    const taken: number[] = [];
    for await (const item of first) {
      taken.push(item.n);
      // Asking for the 5th item commits the 4th; breaking out never asks past the 5th.
      if (taken.length === 5) break;
    }
    await first.close();
    const second = localConsumer<{ n: number }>(stream, { checkpointer });
    const rest = (await collect(second)).map((i) => i.n);
    await second.close();
    // The 5th record was handed out but nobody asked for the 6th: it is delivered again.
    expect(rest).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it("commits the last record once iteration ends by idle timeout (the caller asked for more)", async () => {
    const stream = await createStream(localKinesis(), 1, "idle");
    await sdkPutAll(sdk, stream, jsonRecords(3, "i"));
    const checkpointer = new MemoryCheckPointer();
    const consumer = localConsumer<{ n: number }>(stream, { checkpointer, idleTimeout: 0.5 });
    expect((await collect(consumer)).length).toBe(3);
    await consumer.close();
    const again = localConsumer<{ n: number }>(stream, { checkpointer, idleTimeout: 0.5 });
    expect(await collect(again)).toEqual([]);
    await again.close();
  });

  it("starts a LATEST consumer with waitReady() before producing, and misses nothing put after it", async () => {
    const stream = await createStream(localKinesis(), 2, "latest");
    await sdkPutAll(sdk, stream, jsonRecords(5, "old"));
    await using consumer = localConsumer<{ id: string }>(stream, { iteratorType: "LATEST" });
    await consumer.waitReady();
    await sdkPutAll(sdk, stream, jsonRecords(20, "new"));
    const items = await collect(consumer);
    expect(items.map((i) => i.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `new-${i}`).sort());
  });

  it("reads from AT_TIMESTAMP", async () => {
    const stream = await createStream(localKinesis(), 1, "timestamp");
    await sdkPutAll(sdk, stream, jsonRecords(3, "before"));
    await new Promise((r) => setTimeout(r, 1100));
    const from = new Date();
    await sdkPutAll(sdk, stream, jsonRecords(2, "after"));
    await using consumer = localConsumer<{ id: string }>(stream, { iteratorType: "AT_TIMESTAMP", timestamp: from });
    expect((await collect(consumer)).map((i) => i.id)).toEqual(["after-0", "after-1"]);
  });

  it("applies back-pressure: a queue of 25 records still delivers 500 in order without loss", async () => {
    const stream = await createStream(localKinesis(), 1, "pressure");
    await sdkPutAll(sdk, stream, jsonRecords(500, "q"));
    await using consumer = localConsumer<{ n: number }>(stream, { maxQueueSize: 25 });
    const seen: number[] = [];
    for await (const item of consumer) {
      seen.push(item.n);
      if (seen.length % 100 === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});

describe("Consumer failures", () => {
  it("throws a poison record's DecodeError to the iterator with shard and sequence, then goes on past it", async () => {
    const stream = await createStream(localKinesis(), 1, "poison");
    const put = await sdkPutAll(sdk, stream, [
      { data: encoder.encode('{"n":0}'), partitionKey: "a" },
      { data: encoder.encode("not json"), partitionKey: "a" },
      { data: encoder.encode('{"n":2}'), partitionKey: "a" },
    ]);
    await using consumer = localConsumer<{ n: number }>(stream);
    const iterator = consumer[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ n: 0 });
    const error = await iterator.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ shardId: put[1]!.shardId, sequenceNumber: put[1]!.sequenceNumber });
    expect(await collect(consumer)).toEqual([{ n: 2 }]);
  });

  it("skips poison records with an event when told to", async () => {
    const stream = await createStream(localKinesis(), 1, "skip");
    await sdkPutAll(sdk, stream, [
      { data: encoder.encode("{bad"), partitionKey: "a" },
      { data: encoder.encode('{"n":1}'), partitionKey: "a" },
    ]);
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ n: number }>(stream, { onDecodeError: "skip", onEvent: (e) => events.push(e) });
    expect(await collect(consumer)).toEqual([{ n: 1 }]);
    expect(events.some((e) => e.type === "recordSkipped")).toBe(true);
  });

  it("surfaces a missing stream as a fatal AwsServiceError from the iterator", async () => {
    await using consumer = localConsumer("no-such-stream-at-all");
    const error = await collect(consumer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect((error as AwsServiceError).awsCode).toBe("ResourceNotFoundException");
  });

  it.each([
    [{ shardFetchRate: 6 }, "shardFetchRate"],
    [{ maxQueueSize: 0 }, "maxQueueSize"],
    [{ recordLimit: 10001 }, "recordLimit"],
    [{ iteratorType: "AT_TIMESTAMP" }, "timestamp"],
    [{ iteratorType: "EARLIEST" }, "iteratorType"],
    [{ idleTimeout: -1 }, "idleTimeout"],
  ])("rejects %j with a ConfigError naming %s", (extra, option) => {
    try {
      new Consumer({ streamName: "s", ...(extra as object) });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
    }
  });

  it("closes when its signal aborts, ending iteration", async () => {
    const stream = await createStream(localKinesis(), 1, "abort");
    const controller = new AbortController();
    const consumer = localConsumer(stream, { signal: controller.signal, idleTimeout: undefined });
    await consumer.waitReady();
    setTimeout(() => controller.abort(), 200);
    expect(await collect(consumer)).toEqual([]);
  });

  it("delivers bytes untouched with BytesProcessor", async () => {
    const stream = await createStream(localKinesis(), 1, "bytes");
    await sdkPutAll(sdk, stream, [{ data: new Uint8Array([0, 1, 254, 255]), partitionKey: "b" }]);
    await using consumer = localConsumer<Uint8Array>(stream, { processor: new BytesProcessor() });
    const [item] = await collect(consumer);
    expect([...item!]).toEqual([0, 1, 254, 255]);
  });
});
