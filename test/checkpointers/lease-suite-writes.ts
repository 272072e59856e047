import { expect, it } from "vitest";
import { CheckpointError, LeaseLostError } from "../../src/errors.ts";
import { type Clock, sleep } from "../../src/internal/clock.ts";
import { uniqueName } from "../support/clients.ts";
import type { StoreTap } from "../support/lease-drivers/driver.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { until } from "../support/until.ts";
import type { SuiteContext } from "./lease-suite.ts";

/** How checkpoints reach the store: manual flushes that partly fail, retries and backoff, coalescing, and close(). */
export function leaseWriteTests<Tap extends StoreTap>({ driver, store }: SuiteContext<Tap>): void {
  const quiet = { sessionTimeout: 60, heartbeatFrequency: 15 }; // no heartbeat gets in the way of what a test counts

  it("manualCheckpoint keeps only the shards whose write failed buffered and names them in one error", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const s = store(group, { autoCheckpoint: false, ...quiet });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 2 });
    await session.allocate("shard-1", { totalShards: 2 });
    session.checkpoint("shard-0", "10");
    session.checkpoint("shard-1", "11");
    // shard-1 is taken by someone else: its buffered checkpoint can never be written.
    await driver.takeOver(group, stream, "shard-1", `${group}/intruder`);
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
    const tap = driver.tap();
    const s = store(group, { autoCheckpoint: false, ...quiet, tap });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    session.checkpoint("shard-0", "10");
    tap.failWrites(Infinity);
    await expect(s.manualCheckpoint()).rejects.toThrow(/shard-0/);
    tap.failWrites(0);
    session.checkpoint("shard-0", "9"); // older: must not replace the buffered 10
    await s.manualCheckpoint();
    expect((await session.get("shard-0"))?.sequence).toBe("10");
    expect((await driver.rawRow(group, stream, "shard-0"))?.sequence).toBe("10");
  });

  it("manualCheckpoint waits for a checkpoint whose write is still being retried", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = driver.tap();
    const s = store(group, { ...quiet, checkpointInterval: 0.05, random: () => 0.99, tap });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    tap.failWrites(1);
    session.checkpoint("shard-0", "77");
    await until("the coalesced write failed once and is backing off", () => tap.failed() === 1 || undefined);
    await s.manualCheckpoint();
    expect((await driver.rawRow(group, stream, "shard-0"))?.sequence).toBe("77");
  });

  it("never regresses a sequence when manualCheckpoint calls overlap", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const s = store(group, { autoCheckpoint: false });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    session.checkpoint("shard-0", "10");
    const first = s.manualCheckpoint();
    session.checkpoint("shard-0", "30");
    const second = s.manualCheckpoint();
    session.checkpoint("shard-0", "20");
    const third = s.manualCheckpoint();
    await Promise.all([first, second, third]);
    expect((await session.get("shard-0"))?.sequence).toBe("30");
    expect((await driver.rawRow(group, stream, "shard-0"))?.sequence).toBe("30");
  });

  it("coalesces automatic checkpoints into few writes and writes the latest within checkpointInterval", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = driver.tap();
    const session = await store(group, { ...quiet, checkpointInterval: 0.2, tap }).start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    tap.resetCounts();
    for (let i = 1; i <= 100; i++) session.checkpoint("shard-0", String(i));
    await new Promise((r) => setTimeout(r, 500));
    expect(tap.writes()).toBe(1);
    expect((await driver.rawRow(group, stream, "shard-0"))?.sequence).toBe("100");
  });

  it("backs a failed checkpoint write off instead of retrying it at once, and writes it once the store answers again", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = driver.tap();
    const clock = new ManualClock(Date.now());
    // The guide's defaults: heartbeat 15 s, sessionTimeout 60 s, checkpointInterval 5 s.
    const session = await store(group, { clock, ...quiet, checkpointInterval: 5, tap }).start({ streamName: stream });
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    tap.failWrites(Infinity);
    tap.resetCounts();
    session.checkpoint("shard-0", "42");
    for (let t = 0; t < 30_000; t += 500) await clock.advance(500);
    // Full jitter from 100 ms doubling up to one heartbeat: about a dozen attempts in 30 s, never a
    // tight loop (a failed write kept its old due time and was redone at once, hundreds of times).
    expect(tap.writes()).toBeGreaterThanOrEqual(3);
    expect(tap.writes()).toBeLessThanOrEqual(40);
    tap.failWrites(0);
    await clock.advance(16_000);
    expect((await driver.rawRow(group, stream, "shard-0"))?.sequence).toBe("42");
  });

  it("gives up closing after sessionTimeout when the store does not answer, naming the unwritten shards", async () => {
    const group = uniqueName("g");
    const tap = driver.tap();
    const s = store(group, { tap });
    const session = await s.start({ streamName: uniqueName("s") });
    const lease = (await session.allocate("shard-0", { totalShards: 1 }))!;
    session.checkpoint("shard-0", "9");
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
    // The stuck calls were abandoned, not left hanging (where the store's client can cancel them).
    if (driver.abandonsHeldCalls) expect(tap.heldCount()).toBe(0);
    tap.resume();
  });

  it("hands a shard over on close so another worker takes it at once, and close stops every timer", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    // The checkpointer's own timers, counted through its clock (process-wide timer counts also see
    // whatever else the process runs, e.g. a bridge to another runtime).
    let sleeping = 0;
    const clock: Clock = {
      now: () => Date.now(),
      monotonic: () => performance.now(),
      sleep: (ms, signal) => {
        sleeping++;
        return sleep(ms, signal).finally(() => sleeping--);
      },
    };
    const s = store(group, { clock });
    const a = await s.start({ streamName: stream });
    const lease = (await a.allocate("shard-0", { totalShards: 1 }))!;
    a.checkpoint("shard-0", "42");
    await new Promise((r) => setImmediate(r)); // the poked timer loop arms its next sleep
    expect(sleeping).toBeGreaterThan(0);
    await s.close();
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as LeaseLostError).reason).toBe("released");
    await new Promise((r) => setImmediate(r));
    expect(sleeping).toBe(0);
    const b = await store(group).start({ streamName: stream });
    expect((await b.allocate("shard-0", { totalShards: 1 }))?.sequence).toBe("42");
    await expect(a.allocate("shard-1", { totalShards: 2 })).rejects.toThrow(/closed/);
  });
  it("a SHARD_END write that fails while the worker closes still ends with the lease released", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = driver.tap();
    const s = store(group, { tap, ...quiet });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    tap.pause();
    const finishing = session.finish("shard-0", "5").then(
      () => "written",
      (error: unknown) => error,
    );
    await until("the SHARD_END write is in flight", () => tap.heldCount() > 0 || undefined);
    const closing = s.close().catch(() => undefined);
    tap.failWrites(1); // the held SHARD_END write fails; what close() sends after it goes through
    tap.resume();
    await closing;
    expect(await finishing).not.toBe("written");
    expect(await driver.rawRow(group, stream, "shard-0")).toMatchObject({ owner: undefined, finished: false });
  });

  it("without autoCheckpoint, a confirmed SHARD_END whose write fails during close() settles and the lease is released", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const tap = driver.tap();
    const s = store(group, { tap, autoCheckpoint: false, ...quiet });
    const session = await s.start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    const finishing = session.finish("shard-0", "5").then(
      () => "written",
      (error: unknown) => error,
    );
    tap.pause();
    const confirming = s.manualCheckpoint().catch((error: unknown) => error);
    await until("the confirmed SHARD_END write is in flight", () => tap.heldCount() > 0 || undefined);
    const closing = s.close().catch(() => undefined);
    tap.failWrites(1);
    tap.resume();
    await closing;
    expect(await confirming).toBeInstanceOf(CheckpointError);
    expect(await finishing).toBeInstanceOf(LeaseLostError); // settled, not left pending
    expect(await driver.rawRow(group, stream, "shard-0")).toMatchObject({ owner: undefined, finished: false });
  });
}
