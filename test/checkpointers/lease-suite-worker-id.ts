import { expect, it } from "vitest";
import { LeaseLostError } from "../../src/errors.ts";
import { uniqueName } from "../support/clients.ts";
import type { StoreTap } from "../support/lease-drivers/driver.ts";
import { until } from "../support/until.ts";
import type { SuiteContext } from "./lease-suite.ts";

/**
 * A stable `workerId`: a restarted worker takes its own leases back at once (not after
 * sessionTimeout), fenced like any takeover; two live processes given one workerId by mistake never
 * both hold a lease. The sessionTimeout is 30 s here, far longer than any of these tests may take,
 * so a lease changing hands within them cannot be an expiry.
 */
export function leaseWorkerIdTests<Tap extends StoreTap>({ driver, store }: SuiteContext<Tap>): void {
  const slowExpiry = { sessionTimeout: 30 };

  it("a restarted worker with the same workerId takes back its crashed process's leases at once, and the crashed process is fenced", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const crashedTap = driver.tap();
    const crashed = await store(group, { ...slowExpiry, workerId: "pod-7", tap: crashedTap }).start({ streamName: stream });
    const oldLeases = [(await crashed.allocate("shard-0", { totalShards: 2 }))!, (await crashed.allocate("shard-1", { totalShards: 2 }))!];
    crashed.checkpoint("shard-0", "7");
    await crashed.manualCheckpoint();
    crashedTap.pause(); // the process is gone: nothing it sends reaches the store any more

    // Another worker must still wait for sessionTimeout: taking back at once is for the same workerId only.
    const stranger = await store(group, { ...slowExpiry, workerId: "pod-8" }).start({ streamName: stream });
    expect(await stranger.allocate("shard-0", { totalShards: 2 })).toBeUndefined();

    const restarted = await store(group, { ...slowExpiry, workerId: "pod-7" }).start({ streamName: stream });
    expect(restarted.ref).not.toBe(crashed.ref); // one ref per process, always
    expect(restarted.ref.startsWith(`${group}/pod-7.`)).toBe(true);
    const lease0 = await restarted.allocate("shard-0", { totalShards: 2 });
    const lease1 = await restarted.allocate("shard-1", { totalShards: 2 });
    expect(lease0?.sequence).toBe("7"); // resumes after the crashed process's checkpoint
    expect(lease1).toBeDefined();
    for (const shardId of ["shard-0", "shard-1"]) expect((await driver.rawRow(group, stream, shardId))?.owner).toBe(restarted.ref);

    // The old process comes back (it was only frozen): its writes fail their condition; it stops.
    crashed.checkpoint("shard-0", "9");
    crashedTap.resume();
    for (const lease of oldLeases) {
      await until("the old process's lease ends", () => lease.signal.aborted || undefined);
      expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    }
    const row = await driver.rawRow(group, stream, "shard-0");
    expect(row).toMatchObject({ owner: restarted.ref, sequence: "7" }); // never rolled forward nor cleared by the old process
  });

  it("two live processes given the same workerId never both hold a lease, and the older does not take it straight back", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const older = await store(group, { ...slowExpiry, workerId: "dup" }).start({ streamName: stream });
    const olderLease = (await older.allocate("shard-0", { totalShards: 1 }))!;
    const newer = await store(group, { ...slowExpiry, workerId: "dup" }).start({ streamName: stream });
    const newerLease = await newer.allocate("shard-0", { totalShards: 1 });
    expect(newerLease).toBeDefined();
    // The older one learns at its next renewal, whose condition on the counter fails.
    await until("the older process loses the lease", () => olderLease.signal.aborted || undefined);
    expect((olderLease.signal.reason as LeaseLostError).reason).toBe("taken");
    // The newer process was not there when the older started: it is a live peer, not a leftover.
    expect(await older.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
    expect(newerLease!.signal.aborted).toBe(false);
    expect((await driver.rawRow(group, stream, "shard-0"))?.owner).toBe(newer.ref);
  });
  it("two consumers sharing one checkpointer with a workerId are live siblings, not predecessors: no lease is taken at once", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const shared = store(group, { workerId: "host-1", ...slowExpiry });
    const first = await shared.start({ streamName: stream });
    const leases = [await first.allocate("shard-0", { totalShards: 2 }), await first.allocate("shard-1", { totalShards: 2 })];
    const second = await shared.start({ streamName: stream });
    // The second may ask for a fair share by handoff, but must not take a live sibling's lease outright.
    expect(await second.allocate("shard-0", { totalShards: 2 })).toBeUndefined();
    expect(await second.allocate("shard-1", { totalShards: 2 })).toBeUndefined();
    expect(leases.every((lease) => lease !== undefined && !lease.signal.aborted)).toBe(true);
  });
}
