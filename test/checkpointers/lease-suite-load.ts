import { expect, it } from "vitest";
import type { CheckpointSession, Lease } from "../../src/checkpointers/types.ts";
import { uniqueName } from "../support/clients.ts";
import type { StoreTap } from "../support/lease-drivers/driver.ts";
import { ManualClock } from "../support/manual-clock.ts";
import type { SuiteContext } from "./lease-suite.ts";

/** Balance by load: the rates owners keep on the rows, and the handoffs they lead to, on every store. */
export function leaseLoadTests<Tap extends StoreTap>({ store }: SuiteContext<Tap>): void {
  it("moves hot shards apart by the bytes owners deliver, then stops moving", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const clock = new ManualClock(Date.now());
    const heartbeatMs = 300;
    const shards = Array.from({ length: 8 }, (_, i) => `shard-${i}`);
    const workers: Array<{ session: CheckpointSession; held: Map<string, Lease> }> = [];
    let acquired = 0;
    const join = async (): Promise<void> => {
      workers.push({ session: await store(group, { clock }).start({ streamName: stream }), held: new Map() });
    };
    /** Every worker offers itself every shard it does not hold, one worker after another (their allocate loops). */
    const pass = async (): Promise<void> => {
      for (const worker of workers) {
        for (const [shard, lease] of worker.held) if (lease.signal.aborted) worker.held.delete(shard);
        for (const shard of shards) {
          if (worker.held.has(shard)) continue;
          const lease = await worker.session.allocate(shard, { totalShards: shards.length });
          if (lease === undefined) continue;
          worker.held.set(shard, lease);
          acquired++;
        }
      }
    };
    const ownerOf = (shard: string) => workers.find((w) => w.held.has(shard) && !w.held.get(shard)!.signal.aborted);
    const counts = () => workers.map((w) => [...w.held.values()].filter((l) => !l.signal.aborted).length);

    // Count balance first (nothing delivered yet: every rate is 0): 2 shards each.
    await join();
    await pass();
    await join();
    await join();
    await join();
    for (let round = 0; round < 40 && counts().join() !== "2,2,2,2"; round++) {
      await clock.advance(heartbeatMs);
      await pass();
    }
    expect(counts()).toEqual([2, 2, 2, 2]);

    // The two shards of one worker now carry 80 % of the bytes: 40 kB each per heartbeat, 20 kB over the other six.
    const crowded = workers.find((w) => w.held.size === 2)!;
    const hot = [...crowded.held.keys()];
    const deliver = (): void => {
      for (const worker of workers) {
        for (const [shard, lease] of worker.held) lease.delivered?.(hot.includes(shard) ? 40_000 : 20_000 / 6);
      }
    };
    const apart = (): boolean => ownerOf(hot[0]!) !== undefined && ownerOf(hot[1]!) !== undefined && ownerOf(hot[0]!) !== ownerOf(hot[1]!);
    let quietRounds = 0;
    for (let round = 0; round < 80 && quietRounds < 8; round++) {
      const before = acquired;
      deliver();
      await clock.advance(heartbeatMs);
      await pass();
      quietRounds = apart() && acquired === before && counts().reduce((a, b) => a + b, 0) === 8 ? quietRounds + 1 : 0;
    }
    expect(apart()).toBe(true);
    // Converged: no further moves over many more heartbeats of the same traffic.
    const settled = acquired;
    for (let round = 0; round < 15; round++) {
      deliver();
      await clock.advance(heartbeatMs);
      await pass();
    }
    expect(acquired - settled).toBe(0);
    expect(apart()).toBe(true);
    // The rows carry the rates the owners measured (about 133 kB/s for a hot shard).
    const rows = await workers[0]!.session.list();
    const hotRate = rows.find((r) => r.shardId === hot[0])?.bytesPerSecond ?? 0;
    expect(hotRate).toBeGreaterThan(100_000);
    expect(hotRate).toBeLessThan(170_000);
  });

  it("a worker with a byte budget takes the cold shards it fits, never the hot one it does not", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const clock = new ManualClock(Date.now());
    const shards = ["shard-0", "shard-1", "shard-2", "shard-3"];
    const first = { session: await store(group, { clock }).start({ streamName: stream }), held: new Map<string, Lease>() };
    const budgeted = { session: await store(group, { clock }).start({ streamName: stream }), held: new Map<string, Lease>(), budget: 50_000 };
    const pass = async (worker: { session: CheckpointSession; held: Map<string, Lease>; budget?: number }): Promise<void> => {
      for (const [shard, lease] of worker.held) if (lease.signal.aborted) worker.held.delete(shard);
      for (const shard of shards) {
        if (worker.held.has(shard)) continue;
        const lease = await worker.session.allocate(shard, { totalShards: shards.length, maxBytesPerSecond: worker.budget });
        if (lease !== undefined) worker.held.set(shard, lease);
      }
    };
    // shard-0 carries about 133 kB/s, the others about 11 kB/s each.
    const deliver = (): void => {
      for (const worker of [first, budgeted]) for (const [shard, lease] of worker.held) lease.delivered?.(shard === "shard-0" ? 40_000 : 10_000 / 3);
    };
    await pass(first);
    expect(first.held.size).toBe(4);
    for (let round = 0; round < 6; round++) {
      deliver();
      await clock.advance(300);
    }
    let tookHot = false;
    for (let round = 0; round < 30; round++) {
      await pass(first);
      await pass(budgeted);
      if (budgeted.held.has("shard-0")) tookHot = true;
      deliver();
      await clock.advance(300);
    }
    expect(tookHot).toBe(false);
    expect([...first.held.keys()]).toEqual(["shard-0"]);
    expect([...budgeted.held.keys()].sort()).toEqual(["shard-1", "shard-2", "shard-3"]); // 33 kB/s, within its 50
  });
}
