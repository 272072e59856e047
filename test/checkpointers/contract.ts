import { afterEach, describe, expect, it } from "vitest";
import type { CheckPointer, CheckpointSession, Lease } from "../../src/checkpointers/types.ts";
import { LeaseLostError } from "../../src/errors.ts";
import { SteppableClock } from "../support/steppable-clock.ts";

/**
 * The behaviour every checkpointer must have. Each implementation's test file calls this with a
 * factory; implementations whose handoff is asynchronous (DynamoDB, Redis) are polled via `eventually`.
 */
export interface ContractFactory {
  /**
   * A fresh store; `autoCheckpoint` and `clock` as given (the clock drives the lease timing). Stores
   * from one factory call share no rows with others.
   */
  create(options: { autoCheckpoint: boolean; clock?: SteppableClock }): Promise<CheckPointer> | CheckPointer;
  /** A second store on the same rows as `store` (another process, in effect); default: the same instance. */
  peer?(store: CheckPointer): Promise<CheckPointer> | CheckPointer;
  /** How long an asynchronous handoff may take, ms (default 2000). */
  handoffWithinMs?: number;
}

export function runCheckpointerContract(label: string, factory: ContractFactory): void {
  describe(`${label} fulfils the checkpointer contract`, () => {
    const opened: CheckPointer[] = [];
    let streamCounter = 0;
    const stream = (): string => `contract-stream-${Date.now().toString(36)}-${streamCounter++}`;

    async function store(autoCheckpoint = true, clock?: SteppableClock): Promise<CheckPointer> {
      const created = await factory.create(clock === undefined ? { autoCheckpoint } : { autoCheckpoint, clock });
      opened.push(created);
      return created;
    }

    async function peerOf(s: CheckPointer): Promise<CheckPointer> {
      const peer = factory.peer === undefined ? s : await factory.peer(s);
      if (peer !== s) opened.push(peer);
      return peer;
    }

    async function eventually<T>(attempt: () => Promise<T | undefined>): Promise<T> {
      const deadline = Date.now() + (factory.handoffWithinMs ?? 2000);
      for (;;) {
        const result = await attempt();
        if (result !== undefined) return result;
        if (Date.now() > deadline) throw new Error("condition not reached in time");
        await new Promise((r) => setTimeout(r, 25));
      }
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it("gives a free shard to the first session, with no checkpoint yet", async () => {
      const session = await (await store()).start({ streamName: stream() });
      const lease = await session.allocate("shard-0", { totalShards: 1 });
      expect(lease).toMatchObject({ shardId: "shard-0", sequence: undefined });
      expect(lease!.signal.aborted).toBe(false);
      expect((await session.get("shard-0"))?.owner).toBe(session.ref);
    });

    it("refuses a shard another live session holds when balance does not call for a handoff", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      const b = await (await peerOf(s)).start({ streamName: name });
      expect(await a.allocate("shard-0", { totalShards: 1 })).toBeDefined();
      expect(await b.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      expect((await b.get("shard-0"))?.owner).toBe(a.ref);
    });

    it("resumes after the last checkpoint once the owner releases", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      const b = await (await peerOf(s)).start({ streamName: name });
      await a.allocate("shard-0", { totalShards: 1 });
      await a.checkpoint("shard-0", "100");
      await a.release("shard-0");
      const lease = await eventually(() => b.allocate("shard-0", { totalShards: 1 }));
      expect(lease.sequence).toBe("100");
    });

    it("never moves a checkpoint backwards, comparing sequence numbers as integers", async () => {
      const session = await (await store()).start({ streamName: stream() });
      await session.allocate("shard-0", { totalShards: 1 });
      await session.checkpoint("shard-0", "49590338271490256608559692538361571095921575989136588898");
      await session.checkpoint("shard-0", "9");
      await session.checkpoint("shard-0", "49590338271490256608559692538361571095921575989136588897");
      await session.manualCheckpoint();
      expect((await session.get("shard-0"))?.sequence).toBe("49590338271490256608559692538361571095921575989136588898");
    });

    it("writes nothing for a shard the session does not hold", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      const b = await (await peerOf(s)).start({ streamName: name });
      await a.allocate("shard-0", { totalShards: 1 });
      await a.checkpoint("shard-0", "5");
      await b.checkpoint("shard-0", "999");
      await b.manualCheckpoint();
      expect((await a.get("shard-0"))?.sequence).toBe("5");
    });

    it("marks a finished shard so it is never allocated again and releases it", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      await a.allocate("shard-0", { totalShards: 1 });
      await a.finish("shard-0", "77");
      const row = await a.get("shard-0");
      expect(row).toMatchObject({ finished: true, sequence: "77" });
      expect(row?.owner).toBeUndefined();
      const b = await (await peerOf(s)).start({ streamName: name });
      expect(await b.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
    });

    it("buffers checkpoints without autoCheckpoint until manualCheckpoint()", async () => {
      const s = await store(false);
      const session = await s.start({ streamName: stream() });
      await session.allocate("shard-0", { totalShards: 1 });
      await session.checkpoint("shard-0", "10");
      expect((await session.get("shard-0"))?.sequence).toBeUndefined();
      await s.manualCheckpoint();
      expect((await session.get("shard-0"))?.sequence).toBe("10");
    });

    it("without autoCheckpoint, a release writes only what manualCheckpoint() confirmed", async () => {
      const s = await store(false);
      const session = await s.start({ streamName: stream() });
      await session.allocate("shard-0", { totalShards: 1 });
      session.checkpoint("shard-0", "9");
      await s.manualCheckpoint();
      session.checkpoint("shard-0", "14"); // handed out, never confirmed
      await session.release("shard-0");
      expect(await session.get("shard-0")).toMatchObject({ sequence: "9", owner: undefined });
    });

    it("without autoCheckpoint, close() writes only confirmed positions: the next owner restarts after them", async () => {
      const s = await store(false);
      const name = stream();
      const a = await s.start({ streamName: name });
      await a.allocate("shard-0", { totalShards: 1 });
      a.checkpoint("shard-0", "9");
      await a.manualCheckpoint();
      a.checkpoint("shard-0", "14");
      await a.close();
      const b = await (await peerOf(s)).start({ streamName: name });
      expect((await eventually(() => b.allocate("shard-0", { totalShards: 1 }))).sequence).toBe("9");
    });

    it("without autoCheckpoint, a handoff writes only confirmed positions", async () => {
      const s = await store(false);
      const name = stream();
      const shards = ["shard-0", "shard-1", "shard-2", "shard-3"];
      const a = await s.start({ streamName: name });
      for (const shard of shards) {
        await a.allocate(shard, { totalShards: 4 });
        a.checkpoint(shard, "5");
      }
      await a.manualCheckpoint();
      for (const shard of shards) a.checkpoint(shard, "50"); // handed out, not confirmed
      const b = await (await peerOf(s)).start({ streamName: name });
      const taken: Lease[] = [];
      await eventually(async () => {
        for (const shard of shards) {
          if (taken.length >= 2) break;
          const lease = await b.allocate(shard, { totalShards: 4 });
          if (lease !== undefined) taken.push(lease);
        }
        return taken.length >= 2 ? true : undefined;
      });
      expect(taken.map((lease) => lease.sequence)).toEqual(["5", "5"]);
    });

    it("without autoCheckpoint, a shard end waits for the manualCheckpoint() that confirms its last record", async () => {
      const s = await store(false);
      const session = await s.start({ streamName: stream() });
      await session.allocate("shard-0", { totalShards: 1 });
      let settled = false;
      const finishing = session.finish("shard-0", "20").then(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled).toBe(false);
      expect(await session.get("shard-0")).toMatchObject({ finished: false, sequence: undefined, owner: session.ref });
      await s.manualCheckpoint();
      await finishing;
      expect(await session.get("shard-0")).toMatchObject({ finished: true, sequence: "20", owner: undefined });
    });

    it("without autoCheckpoint, a shard end still waiting when the worker closes is not written and rejects", async () => {
      const s = await store(false);
      const session = await s.start({ streamName: stream() });
      await session.allocate("shard-0", { totalShards: 1 });
      session.checkpoint("shard-0", "7");
      await s.manualCheckpoint();
      const finishing = session.finish("shard-0", "20");
      await session.close();
      await expect(finishing).rejects.toBeInstanceOf(LeaseLostError);
      expect(await session.get("shard-0")).toMatchObject({ finished: false, sequence: "7", owner: undefined });
    });

    it("rejects finish() for a shard the session does not hold (nothing was written)", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      await expect(a.finish("shard-9", "5")).rejects.toBeInstanceOf(LeaseLostError);
      expect(await a.get("shard-9")).toBeUndefined();
    });

    it("gives a recorded LATEST/AT_TIMESTAMP start to the next owner while the shard has no checkpoint", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      await a.allocate("shard-0", { totalShards: 1 });
      await a.recordStart("shard-0", 1_700_000_000_000);
      await a.recordStart("shard-0", 1_800_000_000_000); // the first start stays: it is where reading began
      await a.release("shard-0");
      const b = await (await peerOf(s)).start({ streamName: name });
      const lease = await eventually(() => b.allocate("shard-0", { totalShards: 1 }));
      expect(lease).toMatchObject({ sequence: undefined, startAt: 1_700_000_000_000 });
      b.checkpoint("shard-0", "3");
      await b.release("shard-0");
      const c = await (await peerOf(s)).start({ streamName: name });
      // With a checkpoint, the position is the checkpoint.
      expect(await eventually(() => c.allocate("shard-0", { totalShards: 1 }))).toMatchObject({ sequence: "3", startAt: undefined });
    });

    it("ignores and replaces rows of another incarnation of the stream (deleted and recreated)", async () => {
      const s = await store();
      const name = stream();
      const old = await s.start({ streamName: name, streamCreatedAt: 1_000_000 });
      await old.allocate("shard-0", { totalShards: 2 });
      await old.finish("shard-0", "90");
      await old.allocate("shard-1", { totalShards: 2 });
      old.checkpoint("shard-1", "80");
      await old.close();
      const fresh = await (await peerOf(s)).start({ streamName: name, streamCreatedAt: 2_000_000 });
      const rows = await fresh.list();
      expect(rows.map((row) => row.incarnation).sort()).toEqual(["1000000", "1000000"]);
      const finishedBefore = await eventually(() => fresh.allocate("shard-0", { totalShards: 2 }));
      const checkpointedBefore = await eventually(() => fresh.allocate("shard-1", { totalShards: 2 }));
      expect(finishedBefore.sequence).toBeUndefined();
      expect(checkpointedBefore.sequence).toBeUndefined();
      expect(await fresh.get("shard-0")).toMatchObject({ finished: false, sequence: undefined, owner: fresh.ref, incarnation: "2000000" });
    });

    it("a worker frozen past sessionTimeout finds its lease unusable at once, ended as expired", async () => {
      const clock = new SteppableClock();
      const s = await store(true, clock);
      const session = await s.start({ streamName: stream() });
      const lease = (await session.allocate("shard-0", { totalShards: 1 }))!;
      expect(lease.usable()).toBe(true);
      clock.freezeFor(3_600_000); // an hour passes on the monotonic clock with no timer firing
      expect(lease.usable()).toBe(false);
      expect(lease.signal.aborted).toBe(true);
      expect(lease.signal.reason).toMatchObject({ reason: "expired" });
    });

    it("a step of the wall clock does not expire a live lease, for its owner or anyone else", async () => {
      const clock = new SteppableClock();
      const s = await store(true, clock);
      const name = stream();
      const owner = await s.start({ streamName: name });
      const taker = await s.start({ streamName: name });
      const lease = (await owner.allocate("shard-0", { totalShards: 1 }))!;
      expect(await taker.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      clock.stepWall(3_600_000); // NTP moves the wall clock an hour
      expect(await taker.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await taker.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      expect(lease.usable()).toBe(true);
      expect(lease.signal.aborted).toBe(false);
    });

    it("close() withdraws this worker's handoff requests from other workers' rows", async () => {
      const s = await store();
      const name = stream();
      const shards = ["shard-0", "shard-1", "shard-2", "shard-3"];
      const a = await s.start({ streamName: name });
      for (const shard of shards) await a.allocate(shard, { totalShards: 4 });
      const b = await (await peerOf(s)).start({ streamName: name });
      for (const shard of shards) await b.allocate(shard, { totalShards: 4 });
      const asked = (await b.list()).filter((row) => row.pendingOwner === b.ref);
      expect(asked).toHaveLength(2);
      await b.close();
      expect((await a.list()).filter((row) => row.pendingOwner === b.ref)).toEqual([]);
    });

    it("hands shards over until two sessions hold an even share, resuming after the owner's checkpoint", async () => {
      const s = await store();
      const name = stream();
      const shards = ["shard-0", "shard-1", "shard-2", "shard-3"];
      const a = await s.start({ streamName: name });
      const leasesOfA = new Map<string, Lease>();
      for (const shard of shards) {
        const lease = await a.allocate(shard, { totalShards: 4 });
        expect(lease).toBeDefined();
        leasesOfA.set(shard, lease!);
        await a.checkpoint(shard, String(10 + shards.indexOf(shard)));
      }
      const b = await (await peerOf(s)).start({ streamName: name });
      const taken = new Map<string, Lease>();
      await eventually(async () => {
        for (const shard of shards) {
          if (taken.has(shard) || taken.size >= 2) continue;
          const lease = await b.allocate(shard, { totalShards: 4 });
          if (lease !== undefined) taken.set(shard, lease);
        }
        return taken.size >= 2 ? true : undefined;
      });
      expect(taken.size).toBe(2);
      for (const [shard, lease] of taken) {
        expect(lease.sequence).toBe(String(10 + shards.indexOf(shard)));
        expect(leasesOfA.get(shard)!.signal.aborted).toBe(true);
      }
      // B holds its share now: it must not take more.
      for (const shard of shards.filter((x) => !taken.has(x))) {
        expect(await b.allocate(shard, { totalShards: 4 })).toBeUndefined();
      }
    });

    it("releases every lease on session close so another session takes them at once", async () => {
      const s = await store();
      const name = stream();
      const a = await s.start({ streamName: name });
      const lease = await a.allocate("shard-0", { totalShards: 1 });
      await a.checkpoint("shard-0", "3");
      await a.close();
      expect(lease!.signal.aborted).toBe(true);
      const b = await (await peerOf(s)).start({ streamName: name });
      expect((await b.allocate("shard-0", { totalShards: 1 }))?.sequence).toBe("3");
    });

    it("keeps two streams' shards apart even with equal shard ids", async () => {
      const s = await store();
      const one = await s.start({ streamName: stream() });
      const two = await s.start({ streamName: stream() });
      await one.allocate("shard-0", { totalShards: 1 });
      await one.checkpoint("shard-0", "1");
      expect(await two.allocate("shard-0", { totalShards: 1 })).toMatchObject({ sequence: undefined });
      expect((await two.list()).map((r) => r.sequence)).toEqual([undefined]);
    });

    it("lists every shard of the stream with owner and sequence", async () => {
      const session = await (await store()).start({ streamName: stream() });
      await session.allocate("shard-0", { totalShards: 2 });
      await session.allocate("shard-1", { totalShards: 2 });
      await session.checkpoint("shard-1", "8");
      const rows = (await session.list()).sort((x, y) => x.shardId.localeCompare(y.shardId));
      expect(rows.map((r) => [r.shardId, r.owner, r.sequence, r.finished])).toEqual([
        ["shard-0", session.ref, undefined, false],
        ["shard-1", session.ref, "8", false],
      ]);
      expect(rows[0]!.updatedAt).toBeTypeOf("number");
    });

    it("gives each session its own worker identity", async () => {
      const s = await store();
      const name = stream();
      const a: CheckpointSession = await s.start({ streamName: name });
      const b: CheckpointSession = await s.start({ streamName: name });
      expect(a.ref).not.toBe(b.ref);
      expect(a.ref.split("/")).toHaveLength(2);
    });
  });
}
