import { describe, expect, it } from "vitest";
import { partitionKeyHash } from "../../src/aggregation/md5.ts";
import type { Shard } from "../../src/kinesis/types.ts";
import { ShardMap } from "../../src/producer/shard-map.ts";

const MAX = (1n << 128n) - 1n;

function shard(shardId: string, start: bigint, end: bigint, closed = false): Shard {
  return {
    shardId,
    hashKeyRange: { startingHashKey: start.toString(), endingHashKey: end.toString() },
    sequenceNumberRange: closed ? { startingSequenceNumber: "1", endingSequenceNumber: "9" } : { startingSequenceNumber: "1" },
  };
}

/** The ranges kinesalite and AWS give a stream created with `count` shards. */
function evenShards(count: number): Shard[] {
  const width = (MAX + 1n) / BigInt(count);
  return Array.from(
    { length: count },
    (_, i) => shard(`shardId-${String(i).padStart(12, "0")}`, width * BigInt(i), i === count - 1 ? MAX : width * BigInt(i + 1) - 1n),
  );
}

describe("ShardMap", () => {
  it("maps both ends of every range, and the points between ranges, to the right shard", () => {
    const map = new ShardMap(evenShards(4));
    for (const range of map.ranges) {
      expect(map.lookup(range.start)?.shardId).toBe(range.shardId);
      expect(map.lookup(range.end)?.shardId).toBe(range.shardId);
    }
    expect(map.lookup(0n)?.shardId).toBe("shardId-000000000000");
    expect(map.lookup(MAX)?.shardId).toBe("shardId-000000000003");
  });

  it("routes a partition key by the MD5 of its UTF-8 bytes", () => {
    const map = new ShardMap(evenShards(2));
    // MD5("a") = 0cc175b9..., below 2^127: the first half of the ring.
    expect(map.lookup(partitionKeyHash("a"))?.shardId).toBe("shardId-000000000000");
    // MD5("b") = 92eb5ffe..., above 2^127.
    expect(map.lookup(partitionKeyHash("b"))?.shardId).toBe("shardId-000000000001");
  });

  it("leaves closed shards out, so a split parent takes no writes", () => {
    const half = 1n << 127n;
    const map = new ShardMap([
      shard("parent", 0n, MAX, true),
      shard("child-high", half, MAX),
      shard("child-low", 0n, half - 1n),
    ]);
    expect(map.size).toBe(2);
    expect(map.has("parent")).toBe(false);
    expect(map.lookup(5n)?.shardId).toBe("child-low");
    expect(map.lookup(half)?.shardId).toBe("child-high");
  });

  it("answers undefined for a hash key in a gap between open shards", () => {
    const map = new ShardMap([shard("low", 0n, 99n), shard("high", 200n, MAX)]);
    expect(map.lookup(150n)).toBeUndefined();
    expect(map.lookup(99n)?.shardId).toBe("low");
    expect(map.lookup(200n)?.shardId).toBe("high");
    expect(new ShardMap([]).lookup(1n)).toBeUndefined();
  });
});
