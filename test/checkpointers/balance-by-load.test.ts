import { describe, expect, it } from "vitest";
import { chooseLoadMove, fitsBudget, type GroupLoad } from "../../src/checkpointers/balance.ts";
import type { LeaseRow } from "../../src/checkpointers/lease/lease-row.ts";
import { decideAllocation, viewGroup } from "../../src/checkpointers/lease/lease-rules.ts";
import { ownerWriteRow } from "../../src/checkpointers/lease/row-transitions.ts";
import { decodeStoredRow, encodeStoredRow } from "../../src/checkpointers/lease/stored-row.ts";
import { Throughput } from "../../src/checkpointers/lease/throughput.ts";

/**
 * Balance by load, as pure decisions: rows carrying each shard's bytes per second, workers deciding by
 * lease-rules.ts one after another. A round: every worker looks at every shard it does not hold and
 * may ask for it; the owners then hand over what was asked (the cooperative handoff, here at once).
 */

const workers = ["g/w1", "g/w2", "g/w3", "g/w4"];

/** Rates in these tests are in kB/s: well above the least a move must gain (10 kB/s). */
const kB = 1000;

function row(index: number, owner: string | undefined, kilobytesPerSecond: number | undefined): LeaseRow {
  const bytesPerSecond = kilobytesPerSecond === undefined ? undefined : kilobytesPerSecond * kB;
  return { key: `g#s#shard-${index}`, group: "g", stream: "s", shardId: `shard-${index}`, owner, counter: 1, finished: false, bytesPerSecond };
}

interface Budgets {
  maxBytesPerSecond?: number;
  maxShards?: number;
}

/** One round; returns how many shards moved. */
function round(rows: LeaseRow[], fleet: readonly string[], budgets: Budgets = {}): number {
  for (const me of fleet) {
    let asked = 0;
    for (const current of rows) {
      if (current.owner === me || current.pendingOwner === me) continue;
      const held = rows.filter((r) => r.owner === me).length;
      const step = decideAllocation({
        me,
        row: current,
        observation: undefined,
        now: 0,
        sessionTimeoutMs: 60_000,
        mine: held + asked,
        asked,
        totalShards: rows.length,
        group: viewGroup(rows, new Map(), 0, 60_000, me),
        maxBytesPerSecond: budgets.maxBytesPerSecond === undefined ? undefined : budgets.maxBytesPerSecond * kB,
        maxShards: budgets.maxShards,
      });
      if (step.kind === "request-handoff") {
        current.pendingOwner = me;
        asked++;
      } else if (step.kind === "take") {
        current.owner = me;
      }
    }
  }
  let moves = 0;
  for (const r of rows) {
    if (r.pendingOwner === undefined) continue;
    r.owner = r.pendingOwner;
    r.pendingOwner = undefined;
    moves++;
  }
  return moves;
}

/** Rounds until nothing moves (at most `limit`); the number of rounds that moved something. */
function settle(rows: LeaseRow[], fleet: readonly string[], budgets: Budgets = {}, limit = 20): number {
  for (let rounds = 0; rounds < limit; rounds++) if (round(rows, fleet, budgets) === 0) return rounds;
  throw new Error(`still moving after ${limit} rounds: ${JSON.stringify(rows.map((r) => [r.shardId, r.owner]))}`);
}

function loads(rows: readonly LeaseRow[], fleet: readonly string[]): number[] {
  return fleet.map((w) => rows.filter((r) => r.owner === w).reduce((sum, r) => sum + (r.bytesPerSecond ?? 0), 0));
}

describe("balance by load", () => {
  it("8 shards where two carry 80 % of the bytes, 4 workers: the two hot shards end on different workers", () => {
    // Count-balanced (2 each), with both hot shards on w1: 800 of 1000 bytes/s on one worker.
    const cold = 200 / 6;
    const rows = [row(0, "g/w1", 400), row(1, "g/w1", 400), ...[2, 3, 4, 5, 6, 7].map((i) => row(i, workers[Math.floor(i / 2)]!, cold))];
    const movingRounds = settle(rows, workers);
    expect(movingRounds).toBeGreaterThan(0);
    expect(rows[0]!.owner).not.toBe(rows[1]!.owner);
    const spread = loads(rows, workers);
    expect(Math.max(...spread) - Math.min(...spread)).toBeLessThan(400 * kB); // from 733 kB/s before
    // Converged: more rounds move nothing.
    let extraMoves = 0;
    for (let i = 0; i < 10; i++) extraMoves += round(rows, workers);
    expect(extraMoves).toBe(0);
  });

  it("loads within the margin cause no move", () => {
    // 105 vs 95 (mean 100, margin 20): no shard's move closes the gap of 10 by 20.
    const rows = [row(0, "g/w1", 60), row(1, "g/w1", 45), row(2, "g/w2", 50), row(3, "g/w2", 45)];
    expect(round(rows, ["g/w1", "g/w2"])).toBe(0);
    expect(rows.map((r) => r.owner)).toEqual(["g/w1", "g/w1", "g/w2", "g/w2"]);
    // A real imbalance does move: 150 vs 50.
    const uneven = [row(0, "g/w1", 100), row(1, "g/w1", 50), row(2, "g/w2", 25), row(3, "g/w2", 25)];
    expect(round(uneven, ["g/w1", "g/w2"])).toBe(1);
  });

  it("never moves a shard that carries the whole gap (it would only swap who is overloaded)", () => {
    const rows = [row(0, "g/w1", 500), row(1, "g/w2", 10), row(2, "g/w2", 10)];
    expect(settle(rows, ["g/w1", "g/w2"])).toBe(0);
    expect(rows[0]!.owner).toBe("g/w1");
  });

  it("balances by count when no rates are known, and when the whole group carries less than 10 kB/s", () => {
    for (const rate of [undefined, 0, 1]) {
      const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => row(i, "g/w1", rate));
      settle(rows, workers);
      const counts = workers.map((w) => rows.filter((r) => r.owner === w).length);
      expect(counts).toEqual([2, 2, 2, 2]);
    }
  });

  it("a lightly loaded group does not move shards on noise: 2+1+1 shards at a few dozen bytes per second stay put", () => {
    const rows = [row(0, "g/w1", 0.03), row(1, "g/w1", 0.035), row(2, "g/w2", 0.005), row(3, "g/w3", 0.02)];
    expect(settle(rows, ["g/w1", "g/w2", "g/w3"])).toBe(0);
  });

  it("a row without a rate (an older version's, or not renewed yet) keeps the whole group on count balance", () => {
    const rows = [row(0, "g/w1", 400), row(1, "g/w1", 400), row(2, "g/w2", 10), row(3, "g/w2", undefined)];
    expect(viewGroup(rows, new Map(), 0, 60_000, "g/w2").load?.byLoad).toBe(false);
    expect(round(rows, ["g/w1", "g/w2"])).toBe(0); // 2 and 2: count balance has nothing to do
  });

  it("a worker asks for no shard that would take it past its byte budget", () => {
    const rows = [row(0, "g/w1", 400), row(1, "g/w1", 400), row(2, "g/w2", 50)];
    expect(settle(rows, ["g/w1", "g/w2"], { maxBytesPerSecond: 300 })).toBe(0);
    expect(rows.map((r) => r.owner)).toEqual(["g/w1", "g/w1", "g/w2"]);
    // With room for it, the same move happens.
    expect(round(rows, ["g/w1", "g/w2"], { maxBytesPerSecond: 500 })).toBe(1);
    expect(rows[0]!.owner).not.toBe(rows[1]!.owner);
  });

  it("takes a free shard past its budget only when no other live worker could take it within it", () => {
    const free = row(2, undefined, 300);
    const rows = [row(0, "g/w1", 400), row(1, "g/w2", 100), free];
    const decide = (me: string) =>
      decideAllocation({
        me,
        row: free,
        observation: undefined,
        now: 0,
        sessionTimeoutMs: 60_000,
        mine: rows.filter((r) => r.owner === me).length,
        totalShards: 4,
        group: viewGroup(rows, new Map(), 0, 60_000, me),
        maxBytesPerSecond: 500 * kB,
      }).kind;
    expect(decide("g/w1")).toBe("wait"); // 700 > 500, and w2 would be at 400
    expect(decide("g/w2")).toBe("take");
    rows[1]!.bytesPerSecond = 450 * kB; // now nobody fits: whoever may, takes it
    expect(decide("g/w1")).toBe("take");
  });

  it("respects the shard cap: no handoff request past maxShards", () => {
    const rows = [row(0, "g/w1", 400), row(1, "g/w1", 400), row(2, "g/w2", 50)];
    expect(round(rows, ["g/w1", "g/w2"], { maxShards: 1 })).toBe(0);
  });

  it("asks for one shard at a time, from the most loaded worker, and every asker picks the same shard", () => {
    const load: GroupLoad = {
      byLoad: true,
      byWorker: new Map([
        ["g/w1", 800 * kB],
        ["g/w2", 100 * kB],
        ["g/w3", 100 * kB],
      ]),
      movable: [
        { key: "b", owner: "g/w1", bytesPerSecond: 400 * kB },
        { key: "a", owner: "g/w1", bytesPerSecond: 400 * kB },
        { key: "c", owner: "g/w2", bytesPerSecond: 100 * kB },
      ],
      givingAway: new Set(),
      mean: (1000 * kB) / 3,
    };
    expect(chooseLoadMove(load, "g/w2")?.key).toBe("a");
    expect(chooseLoadMove(load, "g/w3")?.key).toBe("a");
    // w1 already hands a shard over: nobody asks it for a second one meanwhile.
    expect(chooseLoadMove({ ...load, givingAway: new Set(["g/w1"]) }, "g/w3")).toBeUndefined();
    // A budget of 450: w2 may not ask for a 400 shard (500 > 450).
    expect(chooseLoadMove(load, "g/w2", 450 * kB)).toBeUndefined();
    expect(fitsBudget(load, "g/w2", 300 * kB, 450 * kB)).toBe(true);
    expect(fitsBudget(load, "g/w2", 400 * kB, 450 * kB)).toBe(true); // over, but nobody else could either
    const idle = { ...load, byWorker: new Map([...load.byWorker, ["g/w3", 0]]) };
    expect(fitsBudget(idle, "g/w2", 400 * kB, 450 * kB)).toBe(false); // w3 could take it within 450
  });
});

describe("the rate on the row", () => {
  it("is a decayed average of the delivered bytes that starts from the row's rate after a handoff", () => {
    const meter = new Throughput(4000, 0);
    expect(meter.sample(0)).toBeUndefined();
    meter.add(1000);
    expect(meter.sample(1000)).toBe(1000); // a young meter reports what it saw, not a value pulled toward 0
    for (let t = 2000; t <= 20_000; t += 1000) {
      meter.add(1000);
      meter.sample(t);
    }
    meter.add(0);
    expect(meter.sample(21_000)).toBeGreaterThan(700); // one silent second moves it a little, not to 0
    const taken = new Throughput(4000, 0, 5000);
    taken.add(1000); // a new owner's first, partial second
    expect(taken.sample(1000)).toBeGreaterThan(3500);
  });

  it("rides on owner writes and survives the stored-row encoding", () => {
    const held = row(0, "g/w1", undefined);
    const written = ownerWriteRow(held, "g/w1", { kind: "renew", counter: 1, sequence: undefined, bytesPerSecond: 1234 }, 1000)!;
    expect(written.bytesPerSecond).toBe(1234);
    const released = ownerWriteRow(written, "g/w1", { kind: "release", counter: 2, sequence: undefined }, 2000)!;
    expect(released.bytesPerSecond).toBe(1234); // a write without a rate keeps the stored one
    expect(decodeStoredRow(held.key, encodeStoredRow(written)).bytesPerSecond).toBe(1234);
    expect(encodeStoredRow(written)).toMatchObject({ bytes_per_second: 1234 });
  });
});
