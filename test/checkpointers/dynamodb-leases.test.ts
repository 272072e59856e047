import { afterEach, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import type { CheckpointSession, Lease } from "../../src/checkpointers/types.ts";
import { unmarshallItem } from "../../src/dynamodb/marshal.ts";
import { CheckpointError, LeaseLostError } from "../../src/errors.ts";
import { fetchTap } from "../support/fetch-tap.ts";
import { raceToTake } from "../support/lease-race.ts";
import { until } from "../support/until.ts";
import { localDynamo, testCredentials, uniqueName } from "../support/clients.ts";

/**
 * The lease protocol against dynalite, with several stores on one table standing in for several
 * processes: takeover after sessionTimeout, one winner per race, fencing of a paused ex-owner,
 * lost-lease signalling, manual checkpoint failures, and close().
 */

const table = uniqueName("lease-checkpoints");
const opened: DynamoDBCheckPointer[] = [];

function store(name: string, extra: Partial<DynamoDBCheckPointerOptions> = {}): DynamoDBCheckPointer {
  const created = new DynamoDBCheckPointer({
    name,
    tableName: table,
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    sessionTimeout: 1.5,
    heartbeatFrequency: 0.3,
    checkpointInterval: 0.1,
    ...extra,
  });
  opened.push(created);
  return created;
}

async function rawRow(group: string, stream: string, shardId: string): Promise<Record<string, unknown> | undefined> {
  const item = await localDynamo().getItem(table, { shard_id: { S: `${group}#${stream}#${shardId}` } });
  return item === undefined ? undefined : unmarshallItem(item);
}

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

describe("DynamoDBCheckPointer leases", () => {
  it("takes over a lease whose counter stopped moving for sessionTimeout, and of three racing takers exactly one wins", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = fetchTap();
    const owner = await store(group, { fetch: tap.fetch }).start({ streamName: stream });
    const ownerLease = (await owner.allocate("shard-0", { totalShards: 1 }))!;
    await owner.checkpoint("shard-0", "5");
    await owner.manualCheckpoint();
    tap.pause(); // the owner stops: its renewals never reach the table
    const pausedAt = Date.now();

    const takerTaps = [fetchTap(), fetchTap(), fetchTap()];
    const takers = await Promise.all(takerTaps.map((t) => store(group, { fetch: t.fetch }).start({ streamName: stream })));
    const won = await raceToTake(takers, "shard-0");
    expect(won).toHaveLength(1);
    const winner = won[0]!;
    expect(winner.at - pausedAt).toBeGreaterThanOrEqual(1500); // never before sessionTimeout
    expect(winner.lease.sequence).toBe("5"); // resumes after the last checkpoint
    // Every taker raced with its own conditional write; only one write can have matched.
    for (const t of takerTaps) expect(t.counts()["UpdateItem"]).toBeGreaterThanOrEqual(1);
    for (const loser of takers.filter((s) => s !== winner.session)) {
      expect(await loser.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      expect((await loser.get("shard-0"))?.owner).toBe(winner.session.ref);
    }

    // The paused owner fenced itself: its lease signal aborted with a typed reason.
    await until("the paused owner's signal aborts", () => ownerLease.signal.aborted || undefined);
    expect(ownerLease.signal.reason).toBeInstanceOf(LeaseLostError);
    tap.resume();
  });

  it("never lets a paused ex-owner overwrite, clear or roll back the new owner's row", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = fetchTap();
    const exOwner = await store(group, { fetch: tap.fetch }).start({ streamName: stream });
    const exLease = (await exOwner.allocate("shard-0", { totalShards: 1 }))!;
    await exOwner.checkpoint("shard-0", "100");
    await exOwner.manualCheckpoint();
    tap.pause();
    await exOwner.checkpoint("shard-0", "150"); // its flush is held, like a write sent just before a pause
    await until("a write of the ex-owner is held", () => tap.heldCount() > 0 || undefined);

    const next = await store(group).start({ streamName: stream });
    const lease = await until("the new owner takes over", () => next.allocate("shard-0", { totalShards: 1 }));
    expect(lease.sequence).toBe("100");
    await next.checkpoint("shard-0", "200");
    await next.manualCheckpoint();
    const before = await rawRow(group, stream, "shard-0");

    tap.resume(); // the ex-owner's late writes reach the table now
    await until("the held writes were delivered", () => tap.delivered().some((d) => d.operation === "UpdateItem" && d.body.includes('"150"')) || undefined);
    await exOwner.checkpoint("shard-0", "300");
    await exOwner.release("shard-0");
    // A finish that could not be written says so (it used to resolve as if the shard were marked).
    await expect(exOwner.finish("shard-0", "400")).rejects.toBeInstanceOf(LeaseLostError);
    await exOwner.manualCheckpoint();
    await exOwner.close();

    const after = await rawRow(group, stream, "shard-0");
    expect(after).toMatchObject({ ref: next.ref, sequence: "200", finished: false });
    expect(after?.["lease_counter"]).toBe(before?.["lease_counter"]);
    expect(exLease.signal.aborted).toBe(true);
    expect(exLease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(lease.signal.aborted).toBe(false);
  });

  it("aborts a lease taken by another worker with LeaseLostError('taken') and stops only that shard", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const session = await store(group).start({ streamName: stream });
    const lost = (await session.allocate("shard-0", { totalShards: 2 }))!;
    const kept = (await session.allocate("shard-1", { totalShards: 2 }))!;
    // Another worker's takeover, as the table sees it: a new ref and a bumped counter.
    await localDynamo().updateItem({
      TableName: table,
      Key: { shard_id: { S: `${group}#${stream}#shard-0` } },
      UpdateExpression: "SET #ref = :other, #c = #c + :one",
      ExpressionAttributeNames: { "#ref": "ref", "#c": "lease_counter" },
      ExpressionAttributeValues: { ":other": { S: `${group}/intruder` }, ":one": { N: "1" } },
    });
    await until("the lost lease aborts", () => lost.signal.aborted || undefined);
    const reason = lost.signal.reason as LeaseLostError;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason).toMatchObject({ code: "LEASE_LOST", reason: "taken", owner: `${group}/intruder`, shardId: "shard-0" });
    await new Promise((r) => setTimeout(r, 700)); // two more heartbeats
    expect(kept.signal.aborted).toBe(false);
    expect((await session.get("shard-1"))?.owner).toBe(session.ref);
  });

  it("balances 4 shards over 3 workers by handoff, never with two workers holding one shard at once", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const shards = ["shard-0", "shard-1", "shard-2", "shard-3"];
    const workers: Array<{ session: CheckpointSession; held: Map<string, Lease> }> = [];
    let stop = false;
    const loops: Array<Promise<void>> = [];
    const join = async (): Promise<void> => {
      const worker = { session: await store(group).start({ streamName: stream }), held: new Map<string, Lease>() };
      workers.push(worker);
      loops.push(
        (async () => {
          while (!stop) {
            for (const [shard, lease] of worker.held) if (lease.signal.aborted) worker.held.delete(shard);
            for (const shard of shards) {
              if (worker.held.has(shard)) continue;
              const lease = await worker.session.allocate(shard, { totalShards: shards.length });
              if (lease !== undefined) worker.held.set(shard, lease);
            }
            await new Promise((r) => setTimeout(r, worker.session.allocateIntervalSeconds * 1000));
          }
        })(),
      );
    };
    const violations: string[] = [];
    const sampler = setInterval(() => {
      for (const shard of shards) {
        const holders = workers.filter((w) => w.held.get(shard)?.signal.aborted === false);
        if (holders.length > 1) violations.push(shard);
      }
    }, 5);
    try {
      await join();
      await until("the first worker holds every shard", () => workers[0]!.held.size === 4 || undefined);
      await join();
      await join();
      await until("every worker holds at most ceil(4/3) = 2 and every shard is held", () => {
        const counts = workers.map((w) => [...w.held.values()].filter((l) => !l.signal.aborted).length);
        return counts.every((c) => c >= 1 && c <= 2) && counts.reduce((a, b) => a + b, 0) === 4 ? counts : undefined;
      });
    } finally {
      stop = true;
      clearInterval(sampler);
      await Promise.all(loops);
    }
    expect(violations).toEqual([]);
    // The table agrees with the workers' own view.
    const rows = await workers[0]!.session.list();
    for (const row of rows) {
      const holder = workers.find((w) => w.held.get(row.shardId)?.signal.aborted === false);
      expect(row.owner).toBe(holder?.session.ref);
    }
  });

  it("manualCheckpoint keeps only the shards whose write failed buffered and names them in one error", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const s = store(group, { autoCheckpoint: false, sessionTimeout: 60, heartbeatFrequency: 15 });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 2 });
    await session.allocate("shard-1", { totalShards: 2 });
    await session.checkpoint("shard-0", "10");
    await session.checkpoint("shard-1", "11");
    // shard-1 is taken by someone else: its buffered checkpoint can never be written.
    await localDynamo().updateItem({
      TableName: table,
      Key: { shard_id: { S: `${group}#${stream}#shard-1` } },
      UpdateExpression: "SET #ref = :other, #c = #c + :one",
      ExpressionAttributeNames: { "#ref": "ref", "#c": "lease_counter" },
      ExpressionAttributeValues: { ":other": { S: `${group}/intruder` }, ":one": { N: "1" } },
    });
    const error = await s.manualCheckpoint().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).failures.map((f) => f.shardId)).toEqual(["shard-1"]);
    expect((error as CheckpointError).failures[0]!.error).toBeInstanceOf(LeaseLostError);
    expect((await session.get("shard-0"))?.sequence).toBe("10");
    expect((await session.get("shard-1"))?.sequence).toBeUndefined();
    await s.manualCheckpoint(); // nothing left buffered: no error
  });

  it("keeps a checkpoint whose write failed buffered until a later manualCheckpoint writes it", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    let failWrites = false;
    const failing: typeof fetch = (input, init) => {
      const target = new Headers(init?.headers).get("x-amz-target") ?? "";
      if (failWrites && target.endsWith(".UpdateItem")) return Promise.resolve(new Response("", { status: 500 }));
      return globalThis.fetch(input, init);
    };
    const s = store(group, { autoCheckpoint: false, sessionTimeout: 60, heartbeatFrequency: 15, fetch: failing, maxAttempts: 2 });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    await session.checkpoint("shard-0", "10");
    failWrites = true;
    await expect(s.manualCheckpoint()).rejects.toThrow(/shard-0/);
    failWrites = false;
    await session.checkpoint("shard-0", "9"); // older: must not replace the buffered 10
    await s.manualCheckpoint();
    expect((await session.get("shard-0"))?.sequence).toBe("10");
  });

  it("manualCheckpoint waits for a checkpoint whose write is still being retried", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    let failNext = false;
    let failed = 0;
    const flaky: typeof fetch = (input, init) => {
      const target = new Headers(init?.headers).get("x-amz-target") ?? "";
      if (failNext && target.endsWith(".UpdateItem")) {
        failNext = false;
        failed++;
        return Promise.resolve(new Response("", { status: 500 }));
      }
      return globalThis.fetch(input, init);
    };
    const s = store(group, { fetch: flaky, sessionTimeout: 60, heartbeatFrequency: 15, checkpointInterval: 0.05, random: () => 0.99 });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    failNext = true;
    await session.checkpoint("shard-0", "77");
    await until("the coalesced write failed once and is backing off", () => failed === 1 || undefined);
    await s.manualCheckpoint();
    expect((await rawRow(group, stream, "shard-0"))?.["sequence"]).toBe("77");
  });

  it("never regresses a sequence when manualCheckpoint calls overlap", async () => {
    const group = uniqueName("g");
    const s = store(group, { autoCheckpoint: false });
    const session = await s.start({ streamName: uniqueName("s") });
    await session.allocate("shard-0", { totalShards: 1 });
    await session.checkpoint("shard-0", "10");
    const first = s.manualCheckpoint();
    await session.checkpoint("shard-0", "30");
    const second = s.manualCheckpoint();
    await session.checkpoint("shard-0", "20");
    const third = s.manualCheckpoint();
    await Promise.all([first, second, third]);
    expect((await session.get("shard-0"))?.sequence).toBe("30");
  });

  it("coalesces automatic checkpoints into few writes and writes the latest within checkpointInterval", async () => {
    const group = uniqueName("g");
    const tap = fetchTap();
    const stream = uniqueName("s");
    const session = await store(group, { fetch: tap.fetch, sessionTimeout: 60, heartbeatFrequency: 15, checkpointInterval: 0.2 }).start({
      streamName: stream,
    });
    await session.allocate("shard-0", { totalShards: 1 });
    tap.resetCounts();
    for (let i = 1; i <= 100; i++) await session.checkpoint("shard-0", String(i));
    await new Promise((r) => setTimeout(r, 500));
    expect(tap.writes()).toBe(1);
    const row = await rawRow(group, stream, "shard-0");
    expect(row?.["sequence"]).toBe("100");
  });

  it("gives up closing after sessionTimeout when DynamoDB does not answer, naming the unwritten shards", async () => {
    const group = uniqueName("g");
    const tap = fetchTap();
    const s = store(group, { fetch: tap.fetch });
    const session = await s.start({ streamName: uniqueName("s") });
    const lease = (await session.allocate("shard-0", { totalShards: 1 }))!;
    await session.checkpoint("shard-0", "9");
    tap.pause(); // nothing gets through any more
    const started = Date.now();
    const error = await s.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).failures.map((f) => f.shardId)).toEqual(["shard-0"]);
    expect(Date.now() - started).toBeLessThan(10_000); // bounded by sessionTimeout (1.5 s), not by retries
    expect(lease.signal.aborted).toBe(true);
    expect(tap.heldCount()).toBe(0); // the stuck requests were abandoned, not left hanging
    tap.resume();
  });

  it("hands a shard over on close so another worker takes it at once, and close stops every timer", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const baseline = timers();
    const s = store(group);
    const a = await s.start({ streamName: stream });
    const lease = (await a.allocate("shard-0", { totalShards: 1 }))!;
    await a.checkpoint("shard-0", "42");
    expect(timers()).toBeGreaterThan(baseline);
    await s.close();
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as LeaseLostError).reason).toBe("released");
    await new Promise((r) => setImmediate(r));
    expect(timers()).toBeLessThanOrEqual(baseline);
    const b = await store(group).start({ streamName: stream });
    expect((await b.allocate("shard-0", { totalShards: 1 }))?.sequence).toBe("42");
    await expect(a.allocate("shard-1", { totalShards: 2 })).rejects.toThrow(/closed/);
  });
});
