/** collect, assertShardOrder and assertDeliveredOnce: plain Errors with messages that say what went wrong. */
import { describe, expect, it } from "vitest";
import { assertDeliveredOnce, assertShardOrder, collect } from "../../src/testing/index.ts";

async function* numbers(count: number, finished: { value: boolean }): AsyncGenerator<number> {
  try {
    for (let i = 0; i < count; i++) yield i;
    await new Promise(() => undefined); // then nothing more, ever
  } finally {
    finished.value = true;
  }
}

describe("collect", () => {
  it("stops at the limit and finishes the iterator", async () => {
    const finished = { value: false };
    expect(await collect(numbers(5, finished), { limit: 3 })).toEqual([0, 1, 2]);
    expect(finished.value).toBe(true);
  });

  it("stops after idle seconds without an item", async () => {
    expect(await collect(numbers(4, { value: false }), { idle: 0.05 })).toEqual([0, 1, 2, 3]);
  });

  it("rejects a negative limit and a zero idle with a RangeError", async () => {
    await expect(collect(numbers(1, { value: false }), { limit: -1 })).rejects.toThrow(RangeError);
    await expect(collect(numbers(1, { value: false }), { idle: 0 })).rejects.toThrow(/idle must be a positive number of seconds/);
  });
});

describe("assertShardOrder", () => {
  it("accepts increasing sequences per shard, interleaved across shards", () => {
    expect(() =>
      assertShardOrder([
        { shardId: "a", sequenceNumber: "9" },
        { shardId: "b", sequenceNumber: "1" },
        { shardId: "a", sequenceNumber: "10" },
      ])
    ).not.toThrow();
  });

  it("names the shard and positions of a record out of order or repeated (compared as numbers, not text)", () => {
    expect(() => assertShardOrder([{ shardId: "a", sequenceNumber: "10" }, { shardId: "a", sequenceNumber: "9" }])).toThrow(
      "assertShardOrder: shard a delivered sequence 9 (position 1) after 10 (position 0): out of order",
    );
    expect(() => assertShardOrder([{ shardId: "a", sequenceNumber: "5" }, { shardId: "a", sequenceNumber: "5" }])).toThrow(/a duplicate/);
  });

  it("with the shard lineage, rejects a child record delivered before its parent's last", () => {
    const shards = [{ shardId: "p" }, { shardId: "c", parentShardId: "p" }];
    const records = [
      { shardId: "p", sequenceNumber: "1" },
      { shardId: "c", sequenceNumber: "3" },
      { shardId: "p", sequenceNumber: "2" },
    ];
    expect(() => assertShardOrder(records)).not.toThrow();
    expect(() => assertShardOrder(records, { shards })).toThrow(/child shard c delivered a record \(position 1\) before its parent p finished/);
  });
});

describe("assertDeliveredOnce", () => {
  it("passes for the same items in any order", () => {
    expect(() => assertDeliveredOnce([{ n: 1 }, { n: 2 }], [{ n: 2 }, { n: 1 }])).not.toThrow();
  });

  it("lists what is missing, what came twice and what was never put", () => {
    expect(() => assertDeliveredOnce([{ n: 1 }, { n: 2 }], [{ n: 1 }, { n: 1 }, { n: 3 }])).toThrow(
      'assertDeliveredOnce: put 2 items, got 3; missing 1: {"n":2}; delivered more than once 1: {"n":1} (2 times); never put 1: {"n":3}',
    );
  });

  it("compares by a key function when given one", () => {
    expect(() => assertDeliveredOnce([{ id: "a", at: 1 }], [{ id: "a", at: 2 }], { key: (x) => x.id })).not.toThrow();
  });
});
