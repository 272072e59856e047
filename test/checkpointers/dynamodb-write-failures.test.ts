import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoDBLeaseBackend } from "../../src/checkpointers/dynamodb/lease-backend.ts";
import { decodeRow, keyItem } from "../../src/checkpointers/dynamodb/row.ts";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import { type FencedWriteContext, ownerWriteBackoff, runFencedWrite } from "../../src/checkpointers/lease/fenced-write.ts";
import { HeldLease } from "../../src/checkpointers/lease/held-lease.ts";
import { unmarshallItem } from "../../src/dynamodb/marshal.ts";
import { CheckpointError, ProtocolError } from "../../src/errors.ts";
import type { Clock } from "../../src/internal/clock.ts";
import { localDynamo, testCredentials, uniqueName } from "../support/clients.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { fetchTap } from "../support/fetch-tap.ts";
import { ManualClock } from "../support/manual-clock.ts";

/**
 * What a session does when an owner write fails or its answer is lost: a failed checkpoint write is
 * retried with backoff (never in a tight loop), a finish or release that landed although its answer
 * was lost counts as done (not as a lost lease), a write that keeps failing its condition on our own
 * row is a typed error, and a stream of checkpoints wakes the heartbeat loop once, not per record.
 */

const table = uniqueName("write-failures");
const opened: DynamoDBCheckPointer[] = [];
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("dynamodbEndpoint"), seed: 20240607 });
  // Create the table on the real clock (table creation polls with sleeps).
  const creator = new DynamoDBCheckPointer(options("creator"));
  await creator.start({ streamName: "s" });
  await creator.close();
});

afterAll(async () => {
  await proxy.close();
});

afterEach(async () => {
  proxy.setRules([]);
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

function options(name: string, extra: Partial<DynamoDBCheckPointerOptions> = {}): DynamoDBCheckPointerOptions {
  return { name, tableName: table, endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials: testCredentials, ...extra };
}

function store(name: string, extra: Partial<DynamoDBCheckPointerOptions> = {}): DynamoDBCheckPointer {
  const created = new DynamoDBCheckPointer(options(name, extra));
  opened.push(created);
  return created;
}

async function rawRow(group: string, stream: string, shardId: string): Promise<Record<string, unknown> | undefined> {
  const item = await localDynamo().getItem(table, { shard_id: { S: `${group}#${stream}#${shardId}` } });
  return item === undefined ? undefined : unmarshallItem(item);
}

function targetOf(init: RequestInit | undefined): string {
  return new Headers(init?.headers).get("x-amz-target") ?? "";
}

/** An AWS JSON error answer, delivered on a later macrotask as a real network answer would be. */
function awsError(type: string, extra: Record<string, unknown> = {}): Promise<Response> {
  const body = JSON.stringify({ __type: type, message: "injected by the test", ...extra });
  return new Promise((resolve) => setTimeout(() => resolve(new Response(body, { status: 400, headers: { "content-type": "application/x-amz-json-1.0" } })), 0));
}

describe("DynamoDBCheckPointer owner writes that fail or lose their answer", () => {
  it("backs off a failed checkpoint write (full jitter, capped at a heartbeat) instead of retrying at once, and starts over after a success", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    let expired = false;
    const failing: typeof fetch = (input, init) => {
      if (expired && targetOf(init).endsWith(".UpdateItem")) return awsError("ExpiredTokenException");
      return globalThis.fetch(input, init);
    };
    const tap = fetchTap(failing);
    const clock = new ManualClock(Date.now());
    // Defaults: heartbeat 15 s, sessionTimeout 60 s, checkpointInterval 5 s.
    const session = await store(group, { clock, fetch: tap.fetch, random: () => 0.5 }).start({ streamName: stream });
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    const updates = (): number => tap.counts()["UpdateItem"] ?? 0;

    tap.resetCounts();
    expired = true; // ExpiredTokenException is not retryable: the client gives up at once
    session.checkpoint("shard-0", "42");
    for (let t = 0; t < 30_000; t += 500) await clock.advance(500);
    // With random 0.5 the retries come 50, 100, 200 ... ms apart, then every 7.5 s (half the heartbeat
    // cap): about a dozen writes in 30 s. Without backoff the failed write was redone at once, hundreds of times.
    expect(updates()).toBeGreaterThanOrEqual(5);
    expect(updates()).toBeLessThanOrEqual(14);

    expired = false;
    await clock.advance(8_000);
    expect((await rawRow(group, stream, "shard-0"))?.["sequence"]).toBe("42");

    // A success resets the backoff: the next failure is retried after the base delay again, not the cap.
    expired = true;
    tap.resetCounts();
    session.checkpoint("shard-0", "43");
    await clock.advance(5_000); // checkpointInterval: the first attempt
    expect(updates()).toBe(1);
    // Small steps with room to settle, so a loaded machine still sees each retry's answer in time.
    for (let t = 0; t < 1_000; t += 100) await clock.advance(100, 25);
    // Without the reset the next retry would wait out the cap (7.5 s): one attempt in this second.
    expect(updates()).toBeGreaterThanOrEqual(2);
    expired = false;
  });

  it("wakes the heartbeat loop once for a run of checkpoints, not once per record", async () => {
    const group = uniqueName("g");
    const manual = new ManualClock(Date.now());
    let sleeps = 0;
    const clock: Clock = {
      now: () => manual.now(),
      sleep: (ms, signal) => {
        sleeps++;
        return manual.sleep(ms, signal);
      },
    };
    const stream = uniqueName("s");
    const session = await store(group, { clock }).start({ streamName: stream });
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    await new Promise((r) => setTimeout(r, 20));
    const before = sleeps;
    for (let i = 1; i <= 50; i++) {
      session.checkpoint("shard-0", String(i));
      await new Promise((r) => setTimeout(r, 1)); // records arrive one by one, as a consumer delivers them
    }
    await new Promise((r) => setTimeout(r, 20));
    // The first checkpoint moves the write due time (checkpointInterval from now); the rest change nothing.
    expect(sleeps - before).toBeLessThanOrEqual(1);
    await manual.advance(5_000);
    expect((await rawRow(group, stream, "shard-0"))?.["sequence"]).toBe("50");
  });

  it("resolves finish() whose write landed although its answer was lost, instead of reporting a lost lease", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const session = await store(group, { endpoint: proxy.endpoint }).start({ streamName: stream });
    const lease = await session.allocate("shard-0", { totalShards: 1 });
    expect(lease).toBeDefined();
    const resetsBefore = proxy.stats().byOperation["UpdateItem"]?.faults["reset-after"] ?? 0;
    proxy.setRules([{ operation: "UpdateItem", nth: 1, fault: { kind: "reset-after" } }]);
    await session.finish("shard-0", "42");
    expect((proxy.stats().byOperation["UpdateItem"]?.faults["reset-after"] ?? 0) - resetsBefore).toBe(1);
    const row = await rawRow(group, stream, "shard-0");
    expect(row).toMatchObject({ finished: true, sequence: "42" });
    expect(row?.["ref"]).toBeUndefined();
    expect(lease!.signal.aborted).toBe(false);
  });

  it("counts a release whose write landed although its answer was lost as released, not lost", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const s = store(group, { endpoint: proxy.endpoint });
    const session = await s.start({ streamName: stream });
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    const key = `${group}#${stream}#shard-0`;
    const row = decodeRow((await localDynamo().getItem(table, keyItem(key)))!)!;
    // Drive the session's own write path on that row directly, so its verdict is visible.
    const lease = new HeldLease("shard-0", row, Date.now());
    const clock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const backend = new DynamoDBLeaseBackend({
      client: s.client,
      options: { tableName: table, name: group, ttlSeconds: 3600, clock },
      stream,
      retentionHours: 24,
      incarnation: undefined,
    });
    const context: FencedWriteContext = { me: session.ref, now: () => clock.now(), backoff: ownerWriteBackoff(15_000), random: Math.random };
    const signal = new AbortController().signal;
    lease.offer("42", Date.now());
    proxy.setRules([{ operation: "UpdateItem", nth: 1, fault: { kind: "reset-after" } }]);
    const result = await runFencedWrite(context, lease, "release", { withPending: true }, (write) => backend.ownerWrite("shard-0", session.ref, write, signal));
    expect(result.kind).toBe("ok");
    expect(lease.lostTo).toBeUndefined();
    expect(lease.committed).toBe("42");
    const stored = await rawRow(group, stream, "shard-0");
    expect(stored).toMatchObject({ sequence: "42", lease_counter: row.counter + 1 });
    expect(stored?.["ref"]).toBeUndefined();
  });

  it("fails with a ProtocolError when a fenced write keeps failing its condition on a row that names this worker", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    let ref = "";
    let confused = false;
    const confusing: typeof fetch = (input, init) => {
      if (!confused || !targetOf(init).endsWith(".UpdateItem")) return globalThis.fetch(input, init);
      // A broken backend: the condition fails, yet the row it returns matches it exactly.
      const item = { shard_id: { S: `${group}#${stream}#shard-0` }, ref: { S: ref }, lease_counter: { N: "7" } };
      return awsError("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", { Item: item });
    };
    const s = store(group, { fetch: confusing, autoCheckpoint: false });
    const session = await s.start({ streamName: stream });
    ref = session.ref;
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    session.checkpoint("shard-0", "5");
    confused = true;
    const error = await s.manualCheckpoint().then(
      () => undefined,
      (e: unknown) => e,
    );
    confused = false;
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).failures[0]?.error).toBeInstanceOf(ProtocolError);
  });
});
