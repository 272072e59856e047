import { describe, expect, it } from "vitest";
import {
  afterConditionFailure,
  afterOwnerWrite,
  type AllocationInput,
  decideAllocation,
  isStale,
  mustSelfFence,
  type Observation,
  observe,
  viewGroup,
} from "../../src/checkpointers/lease/lease-rules.ts";
import { cancelHandoff, createLease, ownerWrite, requestHandoff, takeLease } from "../../src/checkpointers/dynamodb/lease-writes.ts";
import { decodeRow, rowKey } from "../../src/checkpointers/dynamodb/row.ts";
import { HeldLease } from "../../src/checkpointers/lease/held-lease.ts";
import { type LeaseRow, streamNameOf, toShardCheckpoint } from "../../src/checkpointers/lease/lease-row.ts";

/** The pure cores: expiry by local observation, allocation decisions, write shapes, row codec. */

const T = 60_000;
const me = "app/me";

function row(fields: Partial<LeaseRow> = {}): LeaseRow {
  return { key: "app#s#shard-0", group: "app", stream: "s", shardId: "shard-0", counter: 5, finished: false, ...fields };
}

function input(fields: Partial<AllocationInput> = {}): AllocationInput {
  const r = "row" in fields ? fields.row : row({ owner: "app/other" });
  return {
    me,
    row: r,
    observation: { counter: r?.counter ?? 0, firstSeenAt: 1_000 },
    now: 2_000,
    sessionTimeoutMs: T,
    mine: 0,
    totalShards: 4,
    group: { liveWorkers: 2, heldBy: new Map([["app/other", 1]]) },
    ...fields,
  };
}

describe("expiry by local observation", () => {
  it("restarts the clock whenever the counter moves, whatever the row's ts says", () => {
    const first = observe(undefined, 5, 1_000);
    expect(observe(first, 5, 50_000)).toBe(first);
    expect(observe(first, 6, 50_000)).toEqual({ counter: 6, firstSeenAt: 50_000 });
    expect(isStale(first, 1_000 + T - 1, T)).toBe(false);
    expect(isStale(first, 1_000 + T, T)).toBe(true);
    expect(isStale(undefined, 10 ** 12, T)).toBe(false);
  });

  it("fences the owner itself a full sessionTimeout after its last successful renewal was sent", () => {
    expect(mustSelfFence(1_000, 1_000 + T - 1, T)).toBe(false);
    expect(mustSelfFence(1_000, 1_000 + T, T)).toBe(true);
  });
});

describe("allocation decisions", () => {
  it("creates a missing row or takes a free one only while under the fair share", () => {
    expect(decideAllocation(input({ row: undefined }))).toEqual({ kind: "create" });
    expect(decideAllocation(input({ row: undefined, mine: 2 }))).toMatchObject({ kind: "wait" });
    expect(decideAllocation(input({ row: row() }))).toMatchObject({ kind: "take", counter: 5, why: "free" });
    expect(decideAllocation(input({ row: row(), mine: 2 }))).toMatchObject({ kind: "wait" });
  });

  it("never takes a finished shard", () => {
    expect(decideAllocation(input({ row: row({ finished: true }) }))).toMatchObject({ kind: "wait" });
  });

  it("takes a lease over only when its counter stood still for sessionTimeout, conditional on owner and counter", () => {
    const held = row({ owner: "app/other", counter: 9 });
    const fresh: Observation = { counter: 9, firstSeenAt: 2_000 - T + 1 };
    const stale: Observation = { counter: 9, firstSeenAt: 2_000 - T };
    expect(decideAllocation(input({ row: held, observation: fresh }))).toMatchObject({ kind: "wait" });
    expect(decideAllocation(input({ row: held, observation: stale }))).toEqual({ kind: "take", counter: 9, owner: "app/other", why: "expired" });
  });

  it("asks an owner with two more leases than this worker to hand one over, once", () => {
    const held = row({ owner: "app/other" });
    const group = { liveWorkers: 2, heldBy: new Map([["app/other", 4]]) };
    expect(decideAllocation(input({ row: held, group }))).toEqual({ kind: "request-handoff", owner: "app/other" });
    expect(decideAllocation(input({ row: held, group, mine: 2 }))).toMatchObject({ kind: "wait" });
    expect(decideAllocation(input({ row: held, group: { liveWorkers: 2, heldBy: new Map([["app/other", 1]]) } }))).toMatchObject({ kind: "wait" });
    expect(decideAllocation(input({ row: row({ owner: "app/other", pendingOwner: "app/third" }), group }))).toMatchObject({ kind: "wait" });
  });

  it("keeps a handed-over row for the worker that asked, for one sessionTimeout of this worker's observation", () => {
    const reserved = row({ pendingOwner: "app/third" });
    expect(decideAllocation(input({ row: reserved }))).toMatchObject({ kind: "wait" });
    expect(decideAllocation(input({ row: reserved, observation: { counter: 5, firstSeenAt: 2_000 - T } }))).toMatchObject({ kind: "take", why: "free" });
    expect(decideAllocation(input({ row: row({ pendingOwner: me }), mine: 3 }))).toMatchObject({ kind: "take", why: "reserved-for-me" });
  });

  it("takes back a row that still names this worker", () => {
    expect(decideAllocation(input({ row: row({ owner: me }) }))).toEqual({ kind: "take", counter: 5, owner: me, why: "mine" });
  });

  it("counts live workers from unexpired rows and handoff requesters, and leases per owner", () => {
    const rows = [
      row({ key: "a", owner: "app/x" }),
      row({ key: "b", owner: "app/x" }),
      row({ key: "c", owner: "app/x", pendingOwner: "app/y" }),
      row({ key: "d", owner: "app/dead" }),
      row({ key: "e", finished: true, owner: undefined }),
    ];
    const observations = new Map<string, Observation>([
      ["a", { counter: 5, firstSeenAt: 1_000 }],
      ["d", { counter: 5, firstSeenAt: 2_000 - T }],
    ]);
    const view = viewGroup(rows, observations, 2_000, T, me);
    expect(view.liveWorkers).toBe(3); // me, x, y (dead is stale)
    expect(view.heldBy.get("app/x")).toBe(2);
    expect(view.heldBy.has("app/dead")).toBe(false);
  });
});

describe("after a write", () => {
  it("hands over when another worker is pending, and keeps a lease whose row still names this worker", () => {
    expect(afterOwnerWrite(row({ owner: me, pendingOwner: "app/other" }), me)).toBe("hand-over");
    expect(afterOwnerWrite(row({ owner: me }), me)).toBe("keep");
    expect(afterConditionFailure(row({ owner: me, counter: 8 }), me)).toMatchObject({ kind: "still-mine" });
    expect(afterConditionFailure(row({ owner: "app/other" }), me)).toEqual({ kind: "lost", owner: "app/other" });
    expect(afterConditionFailure(row({ owner: me, finished: true }), me)).toMatchObject({ kind: "lost" });
    expect(afterConditionFailure(undefined, me)).toEqual({ kind: "lost", owner: undefined });
  });

  it("recognises a finish or release of ours that landed although its answer was lost", () => {
    const finish = { kind: "finish" as const, counter: 5, sequence: "42" };
    expect(afterConditionFailure(row({ counter: 6, finished: true, sequence: "42" }), me, finish)).toMatchObject({ kind: "landed" });
    expect(afterConditionFailure(row({ counter: 9, finished: true, sequence: "50" }), me, finish)).toMatchObject({ kind: "landed" });
    expect(afterConditionFailure(row({ counter: 6, finished: true, sequence: "41" }), me, finish)).toMatchObject({ kind: "lost" });
    expect(afterConditionFailure(row({ counter: 6, finished: false, sequence: "42" }), me, finish)).toMatchObject({ kind: "lost" });

    const release = { kind: "release" as const, counter: 5, sequence: "42" };
    expect(afterConditionFailure(row({ counter: 6, sequence: "42" }), me, release)).toMatchObject({ kind: "landed" });
    expect(afterConditionFailure(row({ counter: 6, sequence: "42", pendingOwner: "app/other" }), me, release)).toMatchObject({ kind: "landed" });
    // Taken and released by someone else, or taken: not our release.
    expect(afterConditionFailure(row({ counter: 7, sequence: "42" }), me, release)).toMatchObject({ kind: "lost" });
    expect(afterConditionFailure(row({ counter: 6, sequence: "43" }), me, release)).toMatchObject({ kind: "lost" });
    expect(afterConditionFailure(row({ counter: 6, sequence: "42", owner: "app/other" }), me, release)).toEqual({ kind: "lost", owner: "app/other" });
    // A renewal never clears ref: a row without an owner is lost for it.
    expect(afterConditionFailure(row({ counter: 6, sequence: "42" }), me, { ...release, kind: "renew" })).toMatchObject({ kind: "lost" });
  });
});

describe("write shapes", () => {
  const stamp = { nowMs: 1_700_000_000_123, ttl: 1_700_086_400 };

  it("fences every owner write on ref and counter and bumps the counter", () => {
    for (const kind of ["renew", "release", "finish"] as const) {
      const write = ownerWrite(kind, "t", "k", me, 7, stamp, "42");
      // A carried sequence must also be later than the stored one (compared by sequence_order).
      expect(write.ConditionExpression).toBe("#ref = :me AND #leasecounter = :counter AND (attribute_not_exists(#sequenceorder) OR #sequenceorder < :order)");
      expect(write.ExpressionAttributeValues?.[":order"]).toEqual({ S: "00242" });
      expect(write.ExpressionAttributeValues).toMatchObject({ ":me": { S: me }, ":counter": { N: "7" }, ":seq": { S: "42" }, ":ts": { N: "1700000000.123" } });
      expect(write.UpdateExpression).toContain("#leasecounter = #leasecounter + :one");
    }
    expect(ownerWrite("release", "t", "k", me, 7, stamp).UpdateExpression).toMatch(/REMOVE #ref$/);
    expect(ownerWrite("finish", "t", "k", me, 7, stamp).UpdateExpression).toMatch(/REMOVE #ref, #pendingowner$/);
    expect(ownerWrite("renew", "t", "k", me, 7, stamp).UpdateExpression).not.toContain("REMOVE");
    expect(ownerWrite("renew", "t", "k", me, 7, stamp).ConditionExpression).toBe("#ref = :me AND #leasecounter = :counter");
  });

  it("conditions takes on the observed counter and owner, and creates only missing rows", () => {
    expect(takeLease("t", "k", me, { counter: 3 }, stamp).ConditionExpression).toBe("#leasecounter = :counter AND attribute_not_exists(#ref)");
    expect(takeLease("t", "k", me, { counter: 3, owner: "app/x" }, stamp).ConditionExpression).toBe("#leasecounter = :counter AND #ref = :owner");
    expect(createLease("t", "k", { group: "g", stream: "s", shardId: "x", incarnation: undefined }, me, stamp).ConditionExpression).toBe(
      "attribute_not_exists(#shardid)",
    );
    // With an incarnation, a row of another incarnation of the stream is replaced too (never one without).
    expect(createLease("t", "k", { group: "g", stream: "s", shardId: "x", incarnation: "1700000000000" }, me, stamp).ConditionExpression).toBe(
      "attribute_not_exists(#shardid) OR (attribute_exists(#incarnation) AND #incarnation <> :incarnation)",
    );
  });

  it("asks for a handoff without touching the counter", () => {
    const write = requestHandoff("t", "k", me, "app/x");
    expect(write.UpdateExpression).toBe("SET #pendingowner = :me");
    expect(JSON.stringify(write)).not.toContain("lease_counter");
  });

  it("declares exactly the names and values each expression uses", () => {
    const writes = [
      ownerWrite("renew", "t", "k", me, 1, stamp),
      ownerWrite("finish", "t", "k", me, 1, stamp, "9"),
      takeLease("t", "k", me, { counter: 1 }, stamp),
      createLease("t", "k", { group: "g", stream: "s", shardId: "x", incarnation: undefined }, me, stamp),
      createLease("t", "k", { group: "g", stream: "s", shardId: "x", incarnation: "5" }, me, stamp),
      ownerWrite("renew", "t", "k", me, 1, stamp, "10", 1_700_000_000_000),
      cancelHandoff("t", "k", me),
      requestHandoff("t", "k", me, "o"),
    ];
    for (const write of writes) {
      const text = `${write.UpdateExpression} ${write.ConditionExpression}`;
      for (const name of Object.keys(write.ExpressionAttributeNames ?? {})) expect(text).toContain(name);
      for (const value of Object.keys(write.ExpressionAttributeValues ?? {})) expect(text).toContain(value);
    }
  });
});

describe("row codec", () => {
  it("keys rows by group, stream and shard, and reads ARNs as stream names", () => {
    expect(rowKey("app", "orders", "shardId-1")).toBe("app#orders#shardId-1");
    expect(streamNameOf("arn:aws:kinesis:eu-west-1:123456789012:stream/orders")).toBe("orders");
    expect(streamNameOf("orders")).toBe("orders");
  });

  it("decodes a stored item, and a bare key from the parts of shard_id", () => {
    const decoded = decodeRow({
      shard_id: { S: "app#orders#shardId-1" },
      ref: { S: "app/w" },
      lease_counter: { N: "12" },
      sequence: { S: "49590338271490256608559692538361571095921575989136588898" },
      finished: { BOOL: false },
      ts: { N: "1700000000.5" },
      ttl: { N: "1700086400" },
    });
    expect(decoded).toMatchObject({ group: "app", stream: "orders", shardId: "shardId-1", owner: "app/w", counter: 12, updatedAtSeconds: 1700000000.5 });
    expect(toShardCheckpoint(decoded!)).toEqual({
      shardId: "shardId-1",
      owner: "app/w",
      sequence: "49590338271490256608559692538361571095921575989136588898",
      finished: false,
      updatedAt: 1700000000500,
    });
    expect(decodeRow({ other: { S: "x" } })).toBeUndefined();
  });
});

describe("held lease buffer", () => {
  it("accepts only sequences later than what is stored, buffered or being written", () => {
    const lease = new HeldLease("shard-0", row({ sequence: "100" }), 0);
    expect(lease.offer("99", 1)).toBe(false);
    expect(lease.offer("101", 1)).toBe(true);
    expect(lease.takePending()).toBe("101");
    expect(lease.offer("101", 2)).toBe(false); // in flight
    expect(lease.offer("102", 2)).toBe(true);
    lease.restorePending("101", 1); // the in-flight write failed: the later 102 stays
    expect(lease.pending).toBe("102");
    expect(lease.pendingSince).toBe(1);
  });

  it("reports only the offer that starts a buffer, the one that moves the next write's due time", () => {
    const lease = new HeldLease("shard-0", row({ sequence: "100" }), 0);
    expect(lease.offer("101", 1)).toBe(true);
    expect(lease.offer("102", 2)).toBe(false); // merged into the same write
    expect(lease.pending).toBe("102");
    expect(lease.pendingSince).toBe(1);
    lease.takePending();
    expect(lease.offer("103", 3)).toBe(true); // a new buffer behind the write in flight
  });
});
