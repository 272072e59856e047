/**
 * maxQueueSize and maxQueueBytes bound what the consumer holds, however many shards feed it: each
 * reader reserves room before GetRecords and asks for no more than it reserved. The consumer here
 * does not read, so whatever the readers fetched is still in the queue.
 */
import { describe, expect, it } from "vitest";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { Shard } from "../../src/kinesis/types.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { collect, hashKeyIn, localConsumer, openShards, until } from "./harness.ts";

const encoder = new TextEncoder();

/** `perShard` JSON records of about `size` bytes on every shard, placed by explicit hash key. */
async function fillShards(stream: string, shards: readonly Shard[], perShard: number, size: number): Promise<number> {
  const kinesis = localKinesis();
  const records = shards.flatMap((shard, s) =>
    Array.from({ length: perShard }, (_, i) => ({
      data: encoder.encode(JSON.stringify({ id: `${s}-${i}`, pad: "x".repeat(Math.max(0, size - 40)) })),
      partitionKey: `k-${s}-${i}`,
      explicitHashKey: hashKeyIn(shard, (i + 1) / (perShard + 1)),
    }))
  );
  for (let i = 0; i < records.length;) {
    // PutRecords takes at most 500 records and 5 MiB.
    let end = i;
    let bytes = 0;
    while (end < records.length && end - i < 500 && bytes + records[end]!.data.length < 4 * 1024 * 1024) bytes += records[end++]!.data.length;
    const result = await kinesis.putRecords(stream, records.slice(i, end));
    expect(result.failedRecordCount).toBe(0);
    i = end;
  }
  return records[0]!.data.length;
}

/** What the readers have fetched so far, in records and bytes, from the `fetched` events. */
function fetchedTotals(events: readonly ConsumerEvent[]): { records: number; bytes: number } {
  let records = 0;
  let bytes = 0;
  for (const e of events) {
    if (e.type !== "fetched") continue;
    records += e.records;
    bytes += e.bytes;
  }
  return { records, bytes };
}

/** Several fetch intervals at shardFetchRate 5: time for any reader that could still fetch to do so. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1000));

describe("the consumer's queue bounds hold across many shards", () => {
  it("20 full shards never put more than maxQueueSize records in the queue while nobody reads", async () => {
    const stream = await createStream(localKinesis(), 20, "queue-records");
    const shards = await openShards(stream);
    await fillShards(stream, shards, 30, 50);
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { maxQueueSize: 100, onEvent: (e) => events.push(e) });
    await consumer.waitReady();
    // Readers stop once less than a quarter of the bound is free (a smaller page is not worth a call).
    await until(() => fetchedTotals(events).records >= 75, "the queue to fill");
    await settle();
    const fetched = fetchedTotals(events).records;
    expect(fetched).toBeLessThanOrEqual(100);
    const stats = consumer.stats();
    expect(stats.queuedRecords).toBe(fetched);
    expect(stats.queueHighWater).toBe(fetched);
    // Bounded, not lost: reading drains the queue and every record arrives once.
    const got = await collect(consumer);
    expect(new Set(got.map((item) => item.id)).size).toBe(600);
    expect(got).toHaveLength(600);
    expect(consumer.stats().queueHighWater).toBeLessThanOrEqual(100);
  });

  it("20 shards of 100 KB records never put more than maxQueueBytes in the queue while nobody reads", async () => {
    const stream = await createStream(localKinesis(), 20, "queue-bytes");
    const shards = await openShards(stream);
    const recordBytes = await fillShards(stream, shards, 3, 100_000);
    const maxQueueBytes = 1024 * 1024;
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { maxQueueBytes, onEvent: (e) => events.push(e) });
    await consumer.waitReady();
    await until(() => fetchedTotals(events).bytes > maxQueueBytes - recordBytes, "the queue to fill");
    await settle();
    const fetched = fetchedTotals(events);
    expect(fetched.bytes).toBeLessThanOrEqual(maxQueueBytes);
    const stats = consumer.stats();
    expect(stats.queuedBytes).toBe(fetched.bytes);
    expect(stats.queueBytesHighWater).toBeLessThanOrEqual(maxQueueBytes);
    const got = await collect(consumer);
    expect(new Set(got.map((item) => item.id)).size).toBe(60);
    expect(consumer.stats().queueBytesHighWater).toBeLessThanOrEqual(maxQueueBytes);
  });

  it("a record larger than maxQueueBytes still gets through, alone, when the queue is empty", async () => {
    const stream = await createStream(localKinesis(), 1, "queue-huge");
    const shards = await openShards(stream);
    const recordBytes = await fillShards(stream, shards, 3, 5_000);
    await using consumer = localConsumer<{ id: string }>(stream, { maxQueueBytes: 1_000 });
    const got = await collect(consumer);
    expect(got.map((item) => item.id)).toEqual(["0-0", "0-1", "0-2"]);
    expect(consumer.stats().queueBytesHighWater).toBe(recordBytes);
  });
});
