import { describe, expect, it } from "vitest";
import { deaggregate, recordHashKey } from "../../src/aggregation/kpl.ts";
import { partitionKeyHash } from "../../src/aggregation/md5.ts";
import { RecordTooLargeError } from "../../src/errors.ts";
import { decodeUtf8 } from "../../src/internal/utf8.ts";
import type { Shard } from "../../src/kinesis/types.ts";
import { BytesProcessor, JsonLineProcessor, JsonProcessor, KPLJsonProcessor } from "../../src/processors/index.ts";
import type { Processor } from "../../src/processors/types.ts";
import type { QueuedRecord, UserRecord } from "../../src/producer/queued-record.ts";
import { ShardBuffers } from "../../src/producer/shard-buffers.ts";
import { ShardMap } from "../../src/producer/shard-map.ts";

const MAX = (1n << 128n) - 1n;

function evenMap(count: number, prefix = "shard"): ShardMap {
  const width = (MAX + 1n) / BigInt(count);
  const shards: Shard[] = Array.from({ length: count }, (_, i) => ({
    shardId: `${prefix}-${i}`,
    hashKeyRange: { startingHashKey: (width * BigInt(i)).toString(), endingHashKey: (i === count - 1 ? MAX : width * BigInt(i + 1) - 1n).toString() },
    sequenceNumberRange: { startingSequenceNumber: "1" },
  }));
  return new ShardMap(shards);
}

function item(data: unknown, partitionKey: string): UserRecord {
  return { data, partitionKey, hashKey: partitionKeyHash(partitionKey) };
}

function takeAll(buffers: ShardBuffers): QueuedRecord[] {
  const out = buffers.lanes.flatMap((lane) => lane.queue.drain());
  buffers.noteTaken(out);
  return out;
}

const ONE_MIB = 1024 * 1024;

describe("ShardBuffers", () => {
  it("holds one JSON item per record and routes it to the shard of its key", () => {
    const map = evenMap(4);
    const buffers = new ShardBuffers(new JsonProcessor() as Processor, ONE_MIB, 500, map);
    for (let i = 0; i < 100; i++) buffers.add(item({ i }, `key-${i}`), 0, 0);
    buffers.flushAggregators(0, true);
    const records = takeAll(buffers);
    expect(records).toHaveLength(100);
    for (const record of records) {
      expect(record.shardId).toBe(map.lookup(partitionKeyHash(record.partitionKey))!.shardId);
      expect(record.explicitHashKey).toBeUndefined();
      expect(record.bytes).toBe(record.data.byteLength + record.partitionKey.length);
    }
  });

  it("never puts items of two shards in one KPL aggregate, and pins each aggregate inside its shard", () => {
    const map = evenMap(3);
    const buffers = new ShardBuffers(new KPLJsonProcessor() as Processor, ONE_MIB, 500, map);
    for (let i = 0; i < 3000; i++) buffers.add(item({ i, pad: "x".repeat(80) }, `user-${i}`), 0, 0);
    buffers.flushAggregators(0, true);
    const records = takeAll(buffers);
    // 3000 items of ~100 bytes in 3 shards: a handful of aggregates, not thousands of records.
    expect(records.length).toBeLessThanOrEqual(6);
    let items = 0;
    for (const record of records) {
      const range = map.ranges.find((r) => r.shardId === record.shardId)!;
      const ehk = BigInt(record.explicitHashKey!);
      expect(ehk >= range.start && ehk <= range.end).toBe(true);
      const subRecords = deaggregate(record.data)!;
      items += subRecords.length;
      for (const sub of subRecords) expect(map.lookup(recordHashKey(sub))!.shardId).toBe(record.shardId);
      expect(record.bytes).toBeLessThanOrEqual(ONE_MIB);
    }
    expect(items).toBe(3000);
  });

  it("keeps an aggregate within the record limit including its partition key", () => {
    const buffers = new ShardBuffers(new JsonLineProcessor() as Processor, 10_000, 500, evenMap(1));
    const key = "k".repeat(200);
    for (let i = 0; i < 500; i++) buffers.add(item("y".repeat(90), key), 0, 0);
    buffers.flushAggregators(0, true);
    const records = takeAll(buffers);
    expect(records.length).toBeGreaterThan(4);
    for (const record of records) expect(record.bytes).toBeLessThanOrEqual(10_000);
    expect(records.reduce((n, r) => n + r.items.length, 0)).toBe(500);
  });

  it("accepts a record of exactly the limit (data plus key bytes) and rejects one byte more", () => {
    const buffers = new ShardBuffers(new BytesProcessor() as Processor, ONE_MIB, 500, evenMap(2));
    const key = "ключ"; // 8 UTF-8 bytes
    buffers.add(item(new Uint8Array(ONE_MIB - 8), key), 0, 0);
    expect(() => buffers.add(item(new Uint8Array(ONE_MIB - 7), key), 0, 0)).toThrow(RecordTooLargeError);
    buffers.flushAggregators(0, true);
    const records = takeAll(buffers);
    expect(records).toHaveLength(1);
    expect(records[0]!.bytes).toBe(ONE_MIB);
  });

  it("never mixes flush generations in one aggregate", () => {
    const buffers = new ShardBuffers(new KPLJsonProcessor() as Processor, ONE_MIB, 500, evenMap(1));
    buffers.add(item(1, "a"), 0, 0);
    buffers.add(item(2, "b"), 0, 0);
    buffers.add(item(3, "c"), 1, 0);
    buffers.flushAggregators(0, true);
    const records = takeAll(buffers);
    expect(records.map((r) => [r.generation, r.items.length])).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });

  it("emits an aggregate once its first item has waited the buffer time, not before", () => {
    const buffers = new ShardBuffers(new KPLJsonProcessor() as Processor, ONE_MIB, 500, evenMap(1));
    buffers.add(item(1, "a"), 0, 1000);
    buffers.add(item(2, "b"), 0, 1400);
    expect(buffers.nextAggregateDue()).toBe(1500);
    buffers.flushAggregators(1499, false);
    expect(buffers.queuedRecords).toBe(0);
    buffers.flushAggregators(1500, false);
    expect(buffers.queuedRecords).toBe(1);
    expect(buffers.lanes[0]!.queue.peek()!.dueAt).toBe(1500);
  });

  it("after a split, re-aggregates a closed shard's items for the children, in order", () => {
    const buffers = new ShardBuffers(new KPLJsonProcessor() as Processor, ONE_MIB, 500, evenMap(1, "parent"));
    for (let i = 0; i < 200; i++) buffers.add(item(i, `k${i % 20}`), 0, 0);
    buffers.flushAggregators(0, true);
    expect(buffers.queuedRecords).toBe(1);
    const children = evenMap(2, "child");
    buffers.setMap(children, 0);
    const records = takeAll(buffers);
    expect(records.map((r) => r.shardId).sort()).toEqual(["child-0", "child-1"]);
    const seen: number[] = [];
    for (const record of records) {
      for (const sub of deaggregate(record.data)!) {
        expect(children.lookup(recordHashKey(sub))!.shardId).toBe(record.shardId);
        seen.push(JSON.parse(decodeUtf8(sub.data)) as number);
      }
      // Within each child, items keep their original order.
      const values = deaggregate(record.data)!.map((s) => JSON.parse(decodeUtf8(s.data)) as number);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(buffers.queuedRecords).toBe(0);
  });
});
