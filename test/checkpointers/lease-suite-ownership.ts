import { expect, it } from "vitest";
import type { CheckpointSession, Lease } from "../../src/checkpointers/types.ts";
import { LeaseLostError } from "../../src/errors.ts";
import { type Clock, sleep } from "../../src/internal/clock.ts";
import { uniqueName } from "../support/clients.ts";
import { raceToTake } from "../support/lease-race.ts";
import { RoundClock } from "../support/round-clock.ts";
import type { StoreTap } from "../support/lease-drivers/driver.ts";
import { until } from "../support/until.ts";
import type { SuiteContext } from "./lease-suite.ts";

/** Who holds a lease: takeover after sessionTimeout, fencing of a paused ex-owner, lost leases, balance, skewed clocks. */
export function leaseOwnershipTests<Tap extends StoreTap>({ driver, store }: SuiteContext<Tap>): void {
  it("takes over a lease whose counter stopped moving for sessionTimeout, and of three racing takers exactly one wins", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const ownerTap = driver.tap();
    const owner = await store(group, { tap: ownerTap }).start({ streamName: stream });
    const ownerLease = (await owner.allocate("shard-0", { totalShards: 1 }))!;
    owner.checkpoint("shard-0", "5");
    await owner.manualCheckpoint();
    ownerTap.pause(); // the owner stops: its renewals never reach the store
    const pausedAt = Date.now();

    const takerTaps = [driver.tap(), driver.tap(), driver.tap()];
    const together = new RoundClock(); // the takers see the counter stand still for exactly as long, so all of them race
    const takers = await Promise.all(takerTaps.map((tap) => store(group, { tap, clock: together }).start({ streamName: stream })));
    const won = await raceToTake(takers, "shard-0", together);
    expect(won).toHaveLength(1);
    const winner = won[0]!;
    expect(winner.at - pausedAt).toBeGreaterThanOrEqual(1500); // never before sessionTimeout
    expect(winner.lease.sequence).toBe("5"); // resumes after the last checkpoint
    // Every taker raced with its own conditional write; only one write's condition can have held.
    for (const tap of takerTaps) expect(tap.writes()).toBeGreaterThanOrEqual(1);
    for (const loser of takers.filter((s) => s !== winner.session)) {
      expect(await loser.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      expect((await loser.get("shard-0"))?.owner).toBe(winner.session.ref);
    }
    // The paused owner fenced itself once its renewals had failed for sessionTimeout.
    await until("the paused owner's signal aborts", () => ownerLease.signal.aborted || undefined);
    expect(ownerLease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect((ownerLease.signal.reason as LeaseLostError).reason).toBe("expired");
    ownerTap.resume();
  });

  it("never lets a paused ex-owner overwrite, clear or roll back the new owner's row", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const exTap = driver.tap();
    const exOwner = await store(group, { tap: exTap }).start({ streamName: stream });
    const exLease = (await exOwner.allocate("shard-0", { totalShards: 1 }))!;
    exOwner.checkpoint("shard-0", "100");
    await exOwner.manualCheckpoint();
    exTap.pause();
    exOwner.checkpoint("shard-0", "150"); // its coalesced write is held, like a write sent just before a pause
    await until("a write of the ex-owner is held", () => exTap.heldCount() > 0 || undefined);

    const next = await store(group).start({ streamName: stream });
    const lease = await until("the new owner takes over", () => next.allocate("shard-0", { totalShards: 1 }));
    expect(lease.sequence).toBe("100");
    next.checkpoint("shard-0", "200");
    await next.manualCheckpoint();
    const before = await driver.rawRow(group, stream, "shard-0");

    exTap.resume(); // the ex-owner's late writes reach the store now
    await until("the held write of 150 reached the store", () => exTap.deliveredLate("150") || undefined);
    exOwner.checkpoint("shard-0", "300");
    await exOwner.release("shard-0");
    // A finish that could not be written says so (it used to resolve as if the shard were marked).
    await expect(exOwner.finish("shard-0", "400")).rejects.toBeInstanceOf(LeaseLostError);
    await exOwner.manualCheckpoint();
    await exOwner.close();

    const after = await driver.rawRow(group, stream, "shard-0");
    expect(after).toMatchObject({ owner: next.ref, sequence: "200", finished: false });
    expect(after?.counter).toBe(before?.counter);
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
    await driver.takeOver(group, stream, "shard-0", `${group}/intruder`);
    await until("the lost lease aborts", () => lost.signal.aborted || undefined);
    expect(lost.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(lost.signal.reason).toMatchObject({ code: "LEASE_LOST", reason: "taken", owner: `${group}/intruder`, shardId: "shard-0" });
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
    // The store agrees with the workers' own view.
    const rows = await workers[0]!.session.list();
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const holder = workers.find((w) => w.held.get(row.shardId)?.signal.aborted === false);
      expect(row.owner).toBe(holder?.session.ref);
    }
  });

  it("does not take a live owner's lease from a worker whose clock runs an hour ahead", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const owner = await store(group).start({ streamName: stream });
    const ownerLease = (await owner.allocate("shard-0", { totalShards: 1 }))!;
    const ahead: Clock = { now: () => Date.now() + 3_600_000, sleep };
    const skewed = await store(group, { clock: ahead }).start({ streamName: stream });
    const started = Date.now();
    while (Date.now() - started < 2500) {
      expect(await skewed.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ownerLease.signal.aborted).toBe(false);
    expect((await skewed.get("shard-0"))?.owner).toBe(owner.ref);
  });
}
