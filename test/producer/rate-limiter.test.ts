import { describe, expect, it } from "vitest";
import { ShardRateLimiter } from "../../src/producer/rate-limiter.ts";

describe("ShardRateLimiter", () => {
  it("lets a shard send one second's worth of records at once, then refills continuously", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1000, bytesPerSecond: 1 << 20 });
    let taken = 0;
    while (limiter.tryTake("s", 1, 10, 0)) taken++;
    expect(taken).toBe(1000);
    expect(limiter.delayFor("s", 1, 10, 0)).toBe(1);
    expect(limiter.tryTake("s", 1, 10, 0.5)).toBe(false);
    expect(limiter.tryTake("s", 1, 10, 1)).toBe(true);
    // 100 ms later, 100 more.
    taken = 0;
    while (limiter.tryTake("s", 1, 10, 101)) taken++;
    expect(taken).toBe(100);
  });

  it("limits bytes per second independently of records", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1000, bytesPerSecond: 1000 });
    expect(limiter.tryTake("s", 1, 600, 0)).toBe(true);
    expect(limiter.tryTake("s", 1, 600, 0)).toBe(false);
    expect(limiter.delayFor("s", 1, 600, 0)).toBe(200);
    expect(limiter.tryTake("s", 1, 600, 200)).toBe(true);
  });

  it("keeps each shard's budget separate, so N shards get N times the throughput", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 10, bytesPerSecond: 1 << 20 });
    let taken = 0;
    for (const shard of ["a", "b", "c"]) while (limiter.tryTake(shard, 1, 1, 0)) taken++;
    expect(taken).toBe(30);
  });

  it("lets a record larger than a whole second's bytes through when the bucket is full, then waits it off", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1000, bytesPerSecond: 1000 });
    expect(limiter.tryTake("s", 1, 3000, 0)).toBe(true);
    // 3000 taken from 1000: the shard owes 2000 bytes, then needs a full bucket for the next big one.
    expect(limiter.delayFor("s", 1, 3000, 0)).toBe(3000);
    expect(limiter.tryTake("s", 1, 3000, 2999)).toBe(false);
    expect(limiter.tryTake("s", 1, 3000, 3000)).toBe(true);
  });

  it("holds a blocked shard back until the block ends, and never shortens a block", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1000, bytesPerSecond: 1 << 20 });
    limiter.block("s", 500, 0);
    limiter.block("s", 100, 0);
    expect(limiter.tryTake("s", 1, 1, 499)).toBe(false);
    expect(limiter.delayFor("s", 1, 1, 400)).toBe(100);
    expect(limiter.tryTake("s", 1, 1, 500)).toBe(true);
    expect(limiter.tryTake("other", 1, 1, 0)).toBe(true);
  });

  it("empties a throttled shard's budget, so it restarts slowly after the block", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1000, bytesPerSecond: 1 << 20 });
    limiter.throttled("s", 100, 0);
    let taken = 0;
    while (limiter.tryTake("s", 1, 1, 100)) taken++;
    // Only what refilled during the 100 ms block, not a full second's worth.
    expect(taken).toBe(100);
  });

  it("forgets shards that closed", () => {
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1, bytesPerSecond: 100 });
    expect(limiter.tryTake("old", 1, 1, 0)).toBe(true);
    expect(limiter.tryTake("old", 1, 1, 0)).toBe(false);
    limiter.retain(new Set(["new"]));
    // A forgotten shard starts again with a full bucket.
    expect(limiter.tryTake("old", 1, 1, 0)).toBe(true);
  });
});
