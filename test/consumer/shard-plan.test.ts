import { describe, expect, it } from "vitest";
import type { ShardCheckpoint } from "../../src/checkpointers/types.ts";
import { planShards } from "../../src/consumer/shard-plan.ts";
import type { Shard } from "../../src/kinesis/types.ts";

const MAX_HASH = (2n ** 128n - 1n).toString();
const HALF = (2n ** 127n).toString();

/** A shard as ListShards describes it; `closedAt` sets the ending sequence number (a closed shard). */
function shard(id: string, extra: { parents?: [string] | [string, string]; closedAt?: string; range?: [string, string] } = {}): Shard {
  const out: Shard = {
    shardId: id,
    hashKeyRange: { startingHashKey: extra.range?.[0] ?? "0", endingHashKey: extra.range?.[1] ?? MAX_HASH },
    sequenceNumberRange: { startingSequenceNumber: "100" },
  };
  if (extra.parents?.[0] !== undefined) out.parentShardId = extra.parents[0];
  if (extra.parents?.[1] !== undefined) out.adjacentParentShardId = extra.parents[1];
  if (extra.closedAt !== undefined) out.sequenceNumberRange.endingSequenceNumber = extra.closedAt;
  return out;
}

function rows(...list: Array<Partial<ShardCheckpoint> & { shardId: string }>): Map<string, ShardCheckpoint> {
  return new Map(list.map((row) => [row.shardId, { finished: false, ...row }]));
}

/** shard id -> start position type, in plan order, for compact assertions. */
function positions(plan: ReturnType<typeof planShards>): Record<string, string> {
  return Object.fromEntries(plan.map((p) => [p.shard.shardId, p.position.type]));
}

// parent P (closed) split into A and B.
const split = [
  shard("P", { closedAt: "500" }),
  shard("A", { parents: ["P"], range: ["0", (2n ** 127n - 1n).toString()] }),
  shard("B", { parents: ["P"], range: [HALF, MAX_HASH] }),
];
// parents L and R (both closed) merged into M.
const merge = [
  shard("L", { closedAt: "500", range: ["0", (2n ** 127n - 1n).toString()] }),
  shard("R", { closedAt: "600", range: [HALF, MAX_HASH] }),
  shard("M", { parents: ["L", "R"] }),
];

describe("planShards: split", () => {
  it("plans only the parent while it is unread, so children wait for it", () => {
    expect(positions(planShards(split, rows(), "TRIM_HORIZON", undefined))).toEqual({ P: "TRIM_HORIZON" });
  });

  it("keeps the children waiting while the parent is being read (row present, not finished)", () => {
    const plan = planShards(split, rows({ shardId: "P", sequence: "300", owner: "g/w1" }), "TRIM_HORIZON", undefined);
    expect(positions(plan)).toEqual({ P: "TRIM_HORIZON" });
  });

  it("starts both children at TRIM_HORIZON once the parent is finished, and never plans the parent again", () => {
    const plan = planShards(split, rows({ shardId: "P", sequence: "500", finished: true }), "TRIM_HORIZON", undefined);
    expect(positions(plan)).toEqual({ A: "TRIM_HORIZON", B: "TRIM_HORIZON" });
  });

  it("starts the children of a finished parent at TRIM_HORIZON even for a LATEST group", () => {
    const plan = planShards(split, rows({ shardId: "P", finished: true }), "LATEST", undefined);
    expect(positions(plan)).toEqual({ A: "TRIM_HORIZON", B: "TRIM_HORIZON" });
  });
});

describe("planShards: merge", () => {
  it("plans both parents and holds the child back while neither is finished", () => {
    expect(positions(planShards(merge, rows(), "TRIM_HORIZON", undefined))).toEqual({ L: "TRIM_HORIZON", R: "TRIM_HORIZON" });
  });

  it.each([
    ["L finished, R not", rows({ shardId: "L", finished: true }), { R: "TRIM_HORIZON" }],
    ["R finished, L not", rows({ shardId: "R", finished: true }), { L: "TRIM_HORIZON" }],
    ["L finished, R read halfway", rows({ shardId: "L", finished: true }, { shardId: "R", sequence: "550" }), { R: "TRIM_HORIZON" }],
  ])("holds the child back until BOTH parents are finished (%s)", (_, state, expected) => {
    expect(positions(planShards(merge, state, "TRIM_HORIZON", undefined))).toEqual(expected);
  });

  it("starts the child at TRIM_HORIZON once both parents are finished", () => {
    const plan = planShards(merge, rows({ shardId: "L", finished: true }, { shardId: "R", finished: true }), "TRIM_HORIZON", undefined);
    expect(positions(plan)).toEqual({ M: "TRIM_HORIZON" });
  });
});

describe("planShards: parents past retention", () => {
  it("treats a parent ListShards no longer lists as finished: the child starts at once", () => {
    const children = split.slice(1);
    expect(positions(planShards(children, rows(), "TRIM_HORIZON", undefined))).toEqual({ A: "TRIM_HORIZON", B: "TRIM_HORIZON" });
  });

  it("waits for the merge parent still listed when the other one has expired", () => {
    const oneGone = merge.filter((s) => s.shardId !== "L");
    expect(positions(planShards(oneGone, rows(), "TRIM_HORIZON", undefined))).toEqual({ R: "TRIM_HORIZON" });
    const plan = planShards(oneGone, rows({ shardId: "R", finished: true }), "TRIM_HORIZON", undefined);
    expect(positions(plan)).toEqual({ M: "TRIM_HORIZON" });
  });

  it("starts the child of an expired parent as configured: LATEST for a LATEST group", () => {
    expect(positions(planShards(split.slice(1), rows(), "LATEST", undefined))).toEqual({ A: "LATEST", B: "LATEST" });
  });
});

describe("planShards: LATEST", () => {
  it("skips a closed shard the group never read and starts its children at LATEST", () => {
    expect(positions(planShards(split, rows(), "LATEST", undefined))).toEqual({ A: "LATEST", B: "LATEST" });
  });

  it("skips both closed merge parents the group never read and starts the child at LATEST", () => {
    expect(positions(planShards(merge, rows(), "LATEST", undefined))).toEqual({ M: "LATEST" });
  });

  it("still reads a closed shard the group has a row for, and holds its children until it is finished", () => {
    const plan = planShards(split, rows({ shardId: "P", sequence: "400" }), "LATEST", undefined);
    expect(positions(plan)).toEqual({ P: "LATEST" });
  });

  it("skips a whole chain of closed shards never read: only the open grandchildren start, at LATEST", () => {
    const chain = [
      shard("P", { closedAt: "500" }),
      shard("A", { parents: ["P"], closedAt: "800" }),
      shard("A1", { parents: ["A"] }),
      shard("A2", { parents: ["A"] }),
    ];
    expect(positions(planShards(chain, rows(), "LATEST", undefined))).toEqual({ A1: "LATEST", A2: "LATEST" });
  });

  it("starts an open shard without a row at LATEST", () => {
    expect(positions(planShards([shard("S")], rows(), "LATEST", undefined))).toEqual({ S: "LATEST" });
  });

  it("starts a merge child at TRIM_HORIZON when one parent was read and the other skipped as never read", () => {
    const plan = planShards(merge, rows({ shardId: "L", finished: true }), "LATEST", undefined);
    expect(positions(plan)).toEqual({ M: "TRIM_HORIZON" });
  });
});

describe("planShards: AT_TIMESTAMP", () => {
  const at = new Date("2024-05-01T00:00:00Z");

  it("starts shards without a row at the timestamp", () => {
    const plan = planShards(split, rows(), "AT_TIMESTAMP", at);
    expect(plan).toEqual([{ shard: split[0], position: { type: "AT_TIMESTAMP", timestamp: at }, childOfReadParent: false }]);
  });

  it("starts children AT_TIMESTAMP too, once their parent is finished", () => {
    const plan = planShards(split, rows({ shardId: "P", finished: true }), "AT_TIMESTAMP", at);
    expect(plan.map((p) => p.position)).toEqual([
      { type: "AT_TIMESTAMP", timestamp: at },
      { type: "AT_TIMESTAMP", timestamp: at },
    ]);
  });
});

describe("planShards: finished shards", () => {
  it("never plans a finished shard, open or closed, under any iterator type", () => {
    const shards = [shard("open"), shard("closed", { closedAt: "9" })];
    const state = rows({ shardId: "open", finished: true }, { shardId: "closed", finished: true });
    for (const type of ["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] as const) {
      expect(planShards(shards, state, type, new Date())).toEqual([]);
    }
  });

  it("plans every shard of a chain of splits only when its own parent is finished", () => {
    // P -> A, B; A -> A1, A2. With P finished, A and B start; A's children still wait for A.
    const chain = [
      split[0]!,
      shard("A", { parents: ["P"], closedAt: "800", range: ["0", (2n ** 127n - 1n).toString()] }),
      split[2]!,
      shard("A1", { parents: ["A"] }),
      shard("A2", { parents: ["A"] }),
    ];
    expect(positions(planShards(chain, rows({ shardId: "P", finished: true }), "TRIM_HORIZON", undefined))).toEqual({
      A: "TRIM_HORIZON",
      B: "TRIM_HORIZON",
    });
    const later = rows({ shardId: "P", finished: true }, { shardId: "A", finished: true }, { shardId: "B", sequence: "700" });
    expect(positions(planShards(chain, later, "TRIM_HORIZON", undefined))).toEqual({ B: "TRIM_HORIZON", A1: "TRIM_HORIZON", A2: "TRIM_HORIZON" });
  });
});

describe("planShards: children of read parents", () => {
  it("marks a child whose parent this group finished, and not a root shard", () => {
    const plan = planShards(split, rows({ shardId: "P", finished: true }), "TRIM_HORIZON", undefined);
    expect(plan.map((p) => [p.shard.shardId, p.childOfReadParent])).toEqual(
      plan.map((p) => [p.shard.shardId, p.shard.parentShardId === "P"]),
    );
    expect(plan.every((p) => p.childOfReadParent)).toBe(true);
    expect(planShards(split, rows(), "TRIM_HORIZON", undefined).map((p) => p.childOfReadParent)).toEqual([false]);
  });
});
