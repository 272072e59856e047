/**
 * The short chaos run (the long one is `npm run chaos`): three worker processes on a 4-shard stream,
 * SIGKILLed and restarted every 2–5 s on a seeded schedule, a split and a merge, 5 % throttling and
 * 1 % connection resets on Kinesis and DynamoDB. Passes only if nothing was lost, per-key order held
 * within each delivery run, no checkpoint moved backwards and no two workers delivered one shard
 * for longer than a heartbeat at once. Its own servers; every worker process is SIGKILLed at the end
 * however the run ends (and dies with this process: see chaos-orphan-guard.cjs).
 */
import { describe, expect, it } from "vitest";
import { runChaos, summaryLine } from "./chaos-run.ts";

/** Seeded: the same kills, reshards and injected faults (in request order) on every run. */
const SEED = 0xc4a05;
const CHAOS_MS = 45_000;

describe("chaos: worker processes SIGKILLed and restarted, a split and a merge, throttling and resets on both services", () => {
  it("loses no record, keeps per-key order within each delivery run, never regresses a checkpoint, never lets two workers deliver one shard past a heartbeat", {
    timeout: 175_000,
  }, async () => {
    const report = await runChaos({ seed: SEED, durationMs: CHAOS_MS, drainTimeoutMs: 60_000 });
    console.log(summaryLine(report));
    // The run really was chaotic: kills, both reshards and faults on both services.
    expect(report.kills).toBeGreaterThanOrEqual(8);
    expect(report.reshards).toHaveLength(2);
    expect(report.faults.kinesis.throttles).toBeGreaterThan(0);
    expect(report.faults.kinesis.resets).toBeGreaterThan(0);
    expect(report.faults.dynamodb.throttles).toBeGreaterThan(0);
    expect(report.faults.dynamodb.resets).toBeGreaterThan(0);
    expect(report.checkpointAdvances).toBeGreaterThan(0);
    expect(report.produced).toBeGreaterThan(1000);
    expect(report.violations).toEqual([]);
    expect(report.lost).toBe(0);
  });
});
