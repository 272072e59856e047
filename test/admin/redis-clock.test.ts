/**
 * The administration functions talk to Redis on the clock they are given: a server that never
 * answers times out after the command timeout (10 s) of that clock, not of the wall clock.
 */
import { describe, expect, it } from "vitest";
import { listCheckpoints } from "../../src/admin/list.ts";
import { importPythonCheckpoints } from "../../src/admin/python.ts";
import { RedisCommandError } from "../../src/errors.ts";
import type { KinesisClient } from "../../src/kinesis/client.ts";
import { ManualClock } from "../support/manual-clock.ts";

const SHARD = {
  shardId: "shardId-000000000000",
  hashKeyRange: { startingHashKey: "0", endingHashKey: "340282366920938463463374607431768211455" },
  sequenceNumberRange: { startingSequenceNumber: "1" },
};
/** One open shard; no other request is expected. */
const kinesis = {
  describeStreamSummary: () => Promise.resolve({ streamName: "s", retentionPeriodHours: 24, streamCreatedAt: 1_700_000_000_000 }),
  listShards: () => Promise.resolve([SHARD]),
} as unknown as KinesisClient;

const silent = { sendCommand: () => new Promise<never>(() => undefined) };

/** What `call` failed with once the manual clock has passed the command timeout (or "still waiting" after 2 s of wall time). */
async function failureAfterTimeout(clock: ManualClock, call: Promise<unknown>): Promise<unknown> {
  const outcome = call.then(() => undefined, (error: unknown) => error);
  await clock.advance(10_000);
  await clock.advance(10_000);
  return Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve("still waiting"), 2000))]);
}

describe("administration functions on a Redis server that never answers", () => {
  it("importPythonCheckpoints: a GET of a Python key times out on the injected clock", async () => {
    const clock = new ManualClock();
    const error = await failureAfterTimeout(
      clock,
      importPythonCheckpoints({ from: { redis: silent }, name: "app", stream: "s", kinesis, to: { redis: silent }, clock }),
    );
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as RedisCommandError).message).toContain("no reply within 10 s");
  });

  it("listCheckpoints: reading the group's rows times out on the injected clock", async () => {
    const clock = new ManualClock();
    const error = await failureAfterTimeout(clock, listCheckpoints({ store: { redis: silent }, group: "app", stream: "s", kinesis, clock }));
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as RedisCommandError).message).toContain("no reply within 10 s");
  });
});
