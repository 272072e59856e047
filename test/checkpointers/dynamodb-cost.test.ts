import { afterEach, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import type { CheckpointSession } from "../../src/checkpointers/types.ts";
import { localDynamo, testCredentials, uniqueName } from "../support/clients.ts";
import { type FetchTap, fetchTap } from "../support/fetch-tap.ts";
import { ManualClock } from "../support/manual-clock.ts";

/**
 * What the guide's cost model promises, counted on the wire at the default settings (60 s / 15 s /
 * checkpointInterval 5 s): an idle shard costs 4 writes a minute; a busy shard's checkpoints coalesce
 * into at most one write per checkpointInterval, which also serves as its heartbeat. Minutes pass on a
 * manual clock; the requests are real (dynalite).
 */

const SHARDS = ["shard-0", "shard-1", "shard-2", "shard-3"];
const opened: DynamoDBCheckPointer[] = [];

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

async function fleetOfOne(): Promise<{
  clock: ManualClock;
  tap: FetchTap;
  store: DynamoDBCheckPointer;
  tableName: string;
  session: CheckpointSession;
  round: () => Promise<void>;
}> {
  const tableName = uniqueName("cost");
  const common = { name: "cost", tableName, endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials: testCredentials };
  // Create the table on the real clock (table creation polls with sleeps).
  const creator = new DynamoDBCheckPointer(common);
  await creator.start({ streamName: "events" });
  await creator.close();

  const clock = new ManualClock(Date.now());
  const tap = fetchTap();
  const store = new DynamoDBCheckPointer({ ...common, clock, fetch: tap.fetch });
  opened.push(store);
  const session = await store.start({ streamName: "events" });
  // What the consumer does every allocateIntervalSeconds: list the rows, offer every shard.
  const round = async (): Promise<void> => {
    await session.list();
    for (const shard of SHARDS) await session.allocate(shard, { totalShards: SHARDS.length });
  };
  await round();
  return { clock, tap, store, session, round, tableName };
}

describe("DynamoDBCheckPointer cost at the default settings", () => {
  it("spends about 4 writes per idle shard per minute, and one Query of the group index per allocate round", async () => {
    const { clock, tap, store, session, round } = await fleetOfOne();
    expect((await session.list()).filter((r) => r.owner === session.ref)).toHaveLength(4);
    expect(session.allocateIntervalSeconds).toBe(7.5);
    tap.resetCounts();
    const minutes = 10;
    for (let t = 0; t < minutes * 60; t += session.allocateIntervalSeconds) {
      await clock.advance(session.allocateIntervalSeconds * 1000);
      await round();
    }
    const perShardPerMinute = tap.writes() / SHARDS.length / minutes;
    expect(perShardPerMinute).toBeGreaterThanOrEqual(3.8);
    expect(perShardPerMinute).toBeLessThanOrEqual(4.2);
    expect(tap.counts()["Query"]).toBe((minutes * 60) / session.allocateIntervalSeconds);
    expect(tap.counts()["Scan"]).toBeUndefined();
    expect(tap.counts()["GetItem"]).toBeUndefined();
    // close() releases each lease with one write and leaves no timer behind.
    tap.resetCounts();
    await store.close();
    expect(tap.writes()).toBe(SHARDS.length);
    expect(clock.pending()).toBe(0);
  });

  it("coalesces a busy shard's checkpoints to at most one write per checkpointInterval, heartbeat included", async () => {
    const { clock, tap, session, round, tableName } = await fleetOfOne();
    tap.resetCounts();
    const minutes = 2;
    let sequence = 1000;
    for (let second = 1; second <= minutes * 60; second++) {
      for (let i = 0; i < 50; i++) await session.checkpoint("shard-0", String(sequence++)); // 50 records/s
      await clock.advance(1000);
      if (second % 15 === 0) await round();
    }
    const idleWrites = 3 * 4 * minutes;
    const busyWrites = tap.writes() - idleWrites;
    // 60 s / 5 s = 12 per minute; a checkpoint write renews the lease too, so no extra heartbeats.
    expect(busyWrites).toBeGreaterThanOrEqual(11 * minutes);
    expect(busyWrites).toBeLessThanOrEqual(12 * minutes + 1);
    // The latest checkpoint reaches the table within one checkpointInterval.
    await clock.advance(5000);
    const stored = await localDynamo().getItem(tableName, { shard_id: { S: "cost#events#shard-0" } });
    expect(stored?.["sequence"]).toEqual({ S: String(sequence - 1) });
  });
});
