/**
 * The chaos run's checks catch what they are for: each fed a recording with one fault planted
 * (a lost record, a key out of order within a run, a checkpoint moving back, two workers delivering
 * one shard at once), and passing the same recording without it.
 */
import { describe, expect, it } from "vitest";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import {
  checkCheckpointsNeverRegress,
  checkEveryRecordDelivered,
  checkPerKeyOrder,
  checkSingleDeliverer,
  deliveriesByRun,
  type Produced,
} from "./chaos-checks.ts";
import { chaosSchedule } from "./chaos-schedule.ts";
import type { WorkerLine } from "./worker-main.ts";

const put = (key: string, n: number, shardId: string, sequence: number): Produced => ({ id: `${key}:${n}`, key, n, shardId, sequenceNumber: String(sequence) });
const acquired = (shardId: string, at: number): WorkerLine => ({
  kind: "event",
  at,
  event: { type: "leaseAcquired", shardId, sequence: undefined } satisfies ConsumerEvent,
});
const record = (p: Produced, at: number): WorkerLine => ({ kind: "record", at, id: p.id, shardId: p.shardId, sequenceNumber: p.sequenceNumber });

const produced = [put("k1", 0, "s0", 10), put("k1", 1, "s0", 11), put("k2", 0, "s0", 12), put("k1", 2, "s0", 13)];

describe("chaos checks", () => {
  it("a record nobody delivered is lost; a redelivered one counts as a duplicate", () => {
    const worker = { name: "A1", lines: [acquired("s0", 0), ...produced.map((p, i) => record(p, i + 1)), record(produced[0]!, 9)] };
    const all = checkEveryRecordDelivered(produced, deliveriesByRun([worker]));
    expect(all.violations).toEqual([]);
    expect(all.figures).toEqual({ produced: 4, delivered: 5, lost: 0, duplicates: 1 });

    const missingOne = { name: "A1", lines: worker.lines.filter((l) => !(l.kind === "record" && l.id === "k2:0")) };
    const lost = checkEveryRecordDelivered(produced, deliveriesByRun([missingOne]));
    expect(lost.figures.lost).toBe(1);
    expect(lost.violations.join()).toContain("1 of 4 produced records never delivered, e.g. k2:0");
  });

  it("a record delivered from another position than it was put at is a violation", () => {
    const moved = { name: "A1", lines: [acquired("s0", 0), ...produced.map((p, i) => record(i === 1 ? { ...p, sequenceNumber: "99" } : p, i + 1))] };
    expect(checkEveryRecordDelivered(produced, deliveriesByRun([moved])).violations.join()).toContain("k1:1 was put at s0/11 but A1 delivered it as s0/99");
  });

  it("a key going back within one run breaks order; starting over in a new run does not", () => {
    const [a, b, , c] = produced;
    const newRun = { name: "A1", lines: [acquired("s0", 0), record(a!, 1), record(b!, 2), acquired("s0", 3), record(b!, 4), record(c!, 5)] };
    expect(checkPerKeyOrder(deliveriesByRun([newRun]))).toEqual({ runs: 2, violations: [] });
    const sameRun = { name: "A1", lines: [acquired("s0", 0), record(a!, 1), record(b!, 2), record(b!, 4), record(c!, 5)] };
    expect(checkPerKeyOrder(deliveriesByRun([sameRun])).violations).toEqual(["run A1/s0/1: key k1 delivered k1:1 after k1:1"]);
  });

  it("a checkpoint moving back or vanishing is a regression; a new row or an advance is not", () => {
    const sample = (at: number, rows: Array<[string, string | undefined]>): { at: number; rows: Map<string, string | undefined> } => ({
      at,
      rows: new Map(rows),
    });
    const forward = [sample(1, [["r0", undefined]]), sample(2, [["r0", "5"]]), sample(3, [["r0", "10"], ["r1", "7"]])];
    expect(checkCheckpointsNeverRegress(forward)).toEqual({ rows: 2, advances: 1, violations: [] });
    // Sequence numbers compare as integers: "9" is before "10" although it sorts after it as text.
    expect(checkCheckpointsNeverRegress([...forward, sample(4, [["r0", "9"]])]).violations).toEqual(["checkpoint of r0 went from 10 (at 3) back to 9 (at 4)"]);
    expect(checkCheckpointsNeverRegress([...forward, sample(4, [["r0", undefined]])]).violations).toHaveLength(1);
  });

  it("two workers delivering one shard at once longer than a heartbeat is a violation; a handover is not", () => {
    const [a, b, c, d] = produced;
    const handover = [
      { name: "A1", lines: [acquired("s0", 0), record(a!, 100), record(b!, 200)] },
      { name: "B1", lines: [acquired("s0", 250), record(b!, 300), record(c!, 400), record(d!, 2000)] },
    ];
    expect(checkSingleDeliverer(deliveriesByRun(handover), 500)).toEqual({ maxOverlapMs: 0, violations: [] });
    const both = [
      { name: "A1", lines: [acquired("s0", 0), record(a!, 100), record(b!, 1200)] },
      { name: "B1", lines: [acquired("s0", 250), record(b!, 300), record(c!, 400), record(d!, 2000)] },
    ];
    expect(checkSingleDeliverer(deliveriesByRun(both), 500).violations).toEqual([
      "s0: A1/s0/1 and B1/s0/1 both delivered for 900 ms (> one heartbeat, 500 ms)",
    ]);
  });

  it("the schedule is a function of its seed: kills every 2–5 s, one split before one merge per reshard window", () => {
    const options = {
      durationMs: 45_000,
      slots: 3,
      killEveryMs: [2000, 5000],
      restartAfterMs: [200, 1500],
      splitAt: 0.3,
      mergeAt: 0.6,
      reshardEveryMs: 60_000,
    } as const;
    const plan = chaosSchedule(42, options);
    expect(chaosSchedule(42, options)).toEqual(plan);
    expect(chaosSchedule(43, options)).not.toEqual(plan);
    const kills = plan.filter((a) => a.kind === "kill");
    expect(kills.length).toBeGreaterThanOrEqual(9);
    kills.forEach((k, i) => expect(k.at - (kills[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(2000));
    expect(plan.filter((a) => a.kind !== "kill").map((a) => a.kind)).toEqual(["split", "merge"]);
    const long = chaosSchedule(42, { ...options, durationMs: 240_000 }).filter((a) => a.kind !== "kill");
    expect(long.map((a) => a.kind)).toEqual(["split", "merge", "split", "merge", "split", "merge", "split", "merge"]);
    expect(long.every((a) => a.at < 240_000)).toBe(true);
  });
});
