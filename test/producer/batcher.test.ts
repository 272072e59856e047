import { describe, expect, it } from "vitest";
import { type BatchLimits, laneFundedIn, MAX_BATCH_BYTES, MAX_BATCH_RECORDS, takeBatch } from "../../src/producer/batcher.ts";
import { type QueuedRecord, RecordDeque } from "../../src/producer/queued-record.ts";
import { ShardRateLimiter } from "../../src/producer/rate-limiter.ts";
import type { Lane } from "../../src/producer/shard-buffers.ts";

let seq = 0;
function record(shardId: string, partitionKey: string, bytes = 10, items = 1): QueuedRecord {
  return {
    seq: seq++,
    data: new Uint8Array(Math.max(0, bytes - partitionKey.length)),
    partitionKey,
    explicitHashKey: undefined,
    bytes,
    hashKey: 0n,
    shardId,
    items: Array.from({ length: items }, () => ({ data: null, partitionKey, hashKey: 0n })),
    generation: 0,
    dueAt: 0,
    attempts: 0,
  };
}

function lane(shardId: string, records: QueuedRecord[]): Lane {
  const queue = new RecordDeque();
  for (const r of records) queue.push(r);
  return { shardId, queue, inFlight: 0, aggregator: undefined, aggregatorKeyBytes: -1, held: [], heldGeneration: 0, heldSince: 0 };
}

const unlimited = () => new ShardRateLimiter({ recordsPerSecond: 1e9, bytesPerSecond: 1e12 });
const limits: BatchLimits = { maxRecords: MAX_BATCH_RECORDS, maxBytes: MAX_BATCH_BYTES, ordered: false };

describe("takeBatch", () => {
  it("takes at most 500 records: 501 queued make a batch of 500 and leave 1", () => {
    const a = lane("a", Array.from({ length: 501 }, (_, i) => record("a", `k${i}`)));
    const batch = takeBatch([a], 0, limits, unlimited(), 0);
    expect(batch).toHaveLength(500);
    expect(a.queue.size).toBe(1);
    expect(takeBatch([a], 0, limits, unlimited(), 0)).toHaveLength(1);
  });

  it("stops before 5 MiB, counting partition keys, and lets exactly 5 MiB through", () => {
    const mib = 1024 * 1024;
    const exact = lane("a", Array.from({ length: 6 }, () => record("a", "key", mib)));
    const batch = takeBatch([exact], 0, limits, unlimited(), 0);
    expect(batch).toHaveLength(5);
    expect(batch.reduce((sum, r) => sum + r.bytes, 0)).toBe(MAX_BATCH_BYTES);
    // One byte more in the first record and the fifth no longer fits.
    const over = lane("b", [record("b", "k", mib + 1), ...Array.from({ length: 4 }, () => record("b", "k", mib))]);
    expect(takeBatch([over], 0, limits, unlimited(), 0)).toHaveLength(4);
    expect(over.queue.size).toBe(1);
  });

  it("sends a record larger than the request limit alone (streams that allow big records)", () => {
    const a = lane("a", [record("a", "k", 6 * 1024 * 1024), record("a", "k", 10)]);
    expect(takeBatch([a], 0, limits, unlimited(), 0)).toHaveLength(1);
    expect(takeBatch([a], 0, limits, unlimited(), 0)).toHaveLength(1);
  });

  it("keeps to each shard's rate budget and fills the batch from other shards", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 100, bytesPerSecond: 1e9 });
    const lanes = ["a", "b", "c"].map((id) => lane(id, Array.from({ length: 300 }, (_, i) => record(id, `k${i}`))));
    const batch = takeBatch(lanes, 0, limits, limiter, 0);
    expect(batch).toHaveLength(300);
    for (const id of ["a", "b", "c"]) expect(batch.filter((r) => r.shardId === id)).toHaveLength(100);
    expect(takeBatch(lanes, 0, limits, limiter, 0)).toHaveLength(0);
    expect(limiter.delayFor("a", 1, 10, 0)).toBe(10);
  });

  it("takes nothing from a shard whose budget covers only part of its share, then all of it once funded", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1000, bytesPerSecond: 1e9 });
    const a = lane("a", Array.from({ length: 1100 }, (_, i) => record("a", `k${i}`)));
    expect(takeBatch([a], 0, limits, limiter, 0)).toHaveLength(500);
    expect(takeBatch([a], 0, limits, limiter, 0)).toHaveLength(500);
    // 1 ms refills one record's budget: not a reason for a one-record request.
    expect(takeBatch([a], 0, limits, limiter, 1)).toHaveLength(0);
    // The rest (100 records) is funded after 100 ms.
    expect(laneFundedIn(a, limits, limiter, 1)).toBe(99);
    expect(takeBatch([a], 0, limits, limiter, 99)).toHaveLength(0);
    expect(takeBatch([a], 0, limits, limiter, 100)).toHaveLength(100);
  });

  it("funds a share bigger than a second's budget with a full bucket, and takes what that covers", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 100, bytesPerSecond: 1e9 });
    const a = lane("a", Array.from({ length: 500 }, (_, i) => record("a", `k${i}`)));
    expect(takeBatch([a], 0, limits, limiter, 0)).toHaveLength(100);
    expect(takeBatch([a], 0, limits, limiter, 500)).toHaveLength(0);
    expect(laneFundedIn(a, limits, limiter, 500)).toBe(500);
    expect(takeBatch([a], 0, limits, limiter, 1000)).toHaveLength(100);
  });

  it("starts at the given lane, so shards take turns filling the batch", () => {
    const lanes = ["a", "b"].map((id) => lane(id, Array.from({ length: 400 }, (_, i) => record(id, `k${i}`))));
    expect(takeBatch(lanes, 1, limits, unlimited(), 0)[0]!.shardId).toBe("b");
    expect(takeBatch(lanes, 0, limits, unlimited(), 0)[0]!.shardId).toBe("a");
  });

  it("skips a shard with a request in flight, so one shard's records are never in two requests at once", () => {
    const a = lane("a", [record("a", "x")]);
    a.inFlight = 1;
    const b = lane("b", [record("b", "y")]);
    expect(takeBatch([a, b], 0, limits, unlimited(), 0).map((r) => r.shardId)).toEqual(["b"]);
    expect(takeBatch([a, b], 0, { ...limits, ordered: true }, unlimited(), 0)).toEqual([]);
  });

  it("in ordered mode takes one record per partition key from a shard: a failed entry can never be overtaken", () => {
    const a = lane("a", [record("a", "x"), record("a", "y"), record("a", "x"), record("a", "z")]);
    const batch = takeBatch([a], 0, { ...limits, ordered: true }, unlimited(), 0);
    expect(batch.map((r) => r.partitionKey)).toEqual(["x", "y"]);
    expect(a.queue.size).toBe(2);
  });

  it("in ordered mode sends an aggregate (which may hold any key) alone for its shard", () => {
    const a = lane("a", [record("a", "x", 10, 3), record("a", "y")]);
    const b = lane("b", [record("b", "y"), record("b", "z", 10, 2)]);
    const batch = takeBatch([a, b], 0, { ...limits, ordered: true }, unlimited(), 0);
    expect(batch.map((r) => `${r.shardId}:${r.partitionKey}`)).toEqual(["a:x", "b:y"]);
  });

  it("takes nothing from a shard that is blocked after throttling", () => {
    const limiter = unlimited();
    limiter.block("a", 300, 0);
    const a = lane("a", [record("a", "x")]);
    expect(takeBatch([a], 0, limits, limiter, 0)).toHaveLength(0);
    expect(limiter.delayFor("a", 1, 10, 0)).toBe(300);
    expect(takeBatch([a], 0, limits, limiter, 300)).toHaveLength(1);
  });
});

describe("RecordDeque", () => {
  it("puts retried records back before later ones, in creation order", () => {
    const queue = new RecordDeque();
    const [r0, r1, r2, r3] = [record("a", "0"), record("a", "1"), record("a", "2"), record("a", "3")];
    for (const r of [r0!, r1!, r2!, r3!]) queue.push(r);
    const sent = [queue.shift()!, queue.shift()!];
    queue.requeue([sent[1]!, sent[0]!]);
    expect(queue.drain().map((r) => r.partitionKey)).toEqual(["0", "1", "2", "3"]);
    expect(queue.bytes).toBe(0);
  });
});
