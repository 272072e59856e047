/**
 * One MemoryCheckPointer shared by several consumers in one process: the shards are split between
 * them, never read twice at once, balanced within a few allocation rounds, and handed on when a
 * consumer closes, resuming after the last record it committed.
 */
import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession } from "../../src/checkpointers/types.ts";
import type { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { withSessionOverrides } from "../support/session-overrides.ts";
import { sdkKinesis, type SdkPut, sdkPutAll } from "../support/sdk.ts";
import { collect, hashKeyIn, localConsumer, openShards, until } from "./harness.ts";

const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

/**
 * Shares one store but counts this consumer's allocation rounds: the consumer lists the rows once
 * per round, so `rounds` is how many rounds it has run.
 */
class CountingCheckPointer implements CheckPointer {
  rounds = 0;
  constructor(readonly inner: CheckPointer) {}

  start(scope: CheckpointScope): Promise<CheckpointSession> {
    return withSessionOverrides(this.inner, (session) => ({
      list: () => {
        this.rounds++;
        return session.list();
      },
    })).start(scope);
  }

  manualCheckpoint(): Promise<void> {
    return this.inner.manualCheckpoint();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Worker {
  name: string;
  consumer: Consumer<{ n: number }>;
  counter: CountingCheckPointer;
  events: ConsumerEvent[];
}

function worker(name: string, stream: string, shared: MemoryCheckPointer, idleTimeout = 2): Worker {
  const counter = new CountingCheckPointer(shared);
  const events: ConsumerEvent[] = [];
  const consumer = localConsumer<{ n: number }>(stream, { checkpointer: counter, idleTimeout, onEvent: (e) => events.push(e) });
  return { name, consumer, counter, events };
}

/** Watches `consumer.shards` of every worker; records any moment a shard is held by two of them. */
function watchExclusive(workers: readonly Worker[]): { overlaps: string[]; stop(): void } {
  const overlaps: string[] = [];
  const timer = setInterval(() => {
    const seen = new Map<string, string>();
    for (const w of workers) {
      for (const shardId of w.consumer.shards) {
        const other = seen.get(shardId);
        if (other !== undefined) overlaps.push(`${shardId} held by ${other} and ${w.name}`);
        seen.set(shardId, w.name);
      }
    }
  }, 5);
  return { overlaps, stop: () => clearInterval(timer) };
}

const sizes = (workers: readonly Worker[]): number[] => workers.map((w) => w.consumer.shards.length).sort((a, b) => b - a);

/** 25 records per shard, each aimed at its shard by an explicit hash key. */
async function putPerShard(stream: string, perShard: number): Promise<SdkPut[]> {
  const shards = await openShards(stream);
  const records = shards.flatMap((shard, s) =>
    Array.from({ length: perShard }, (_, i) => ({
      data: new TextEncoder().encode(JSON.stringify({ n: s * 1000 + i })),
      partitionKey: `p-${s}-${i}`,
      explicitHashKey: hashKeyIn(shard, (i + 1) / (perShard + 2)),
    }))
  );
  const put = await sdkPutAll(sdk, stream, records);
  expect(new Set(put.map((p) => p.shardId)).size).toBe(shards.length);
  return put;
}

async function startAll(workers: readonly Worker[]): Promise<void> {
  // One after another, as a fleet that scales out: each newcomer must win its share.
  for (const w of workers) await w.consumer.waitReady();
}

async function closeAll(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.consumer.close()));
}

describe("MemoryCheckPointer shared by consumers in one process", () => {
  it.each([
    [2, [2, 2]],
    [3, [2, 1, 1]],
  ])("%i consumers on a 4-shard stream balance to %j within a few rounds and deliver every record exactly once", async (count, balanced) => {
    const stream = await createStream(localKinesis(), 4, "shared");
    const shared = new MemoryCheckPointer();
    const workers = Array.from({ length: count }, (_, i) => worker(`w${i}`, stream, shared));
    const watch = watchExclusive(workers);
    try {
      await startAll(workers);
      await until(() => sizes(workers).join() === balanced.join(), `balance ${balanced.join("+")}`);
      // The newest consumer got its share within a few rounds: it asks in its first, the owner hands
      // over at its next heartbeat (0.25 s), and a round every half heartbeat takes the shard.
      expect(workers.at(-1)!.counter.rounds).toBeLessThanOrEqual(4);
      expect(new Set(workers.flatMap((w) => w.consumer.shards)).size).toBe(4);

      const put = await putPerShard(stream, 25);
      const delivered = await Promise.all(workers.map((w) => collect(w.consumer.records())));

      const all = delivered.flat();
      expect(all).toHaveLength(put.length);
      expect(new Set(all.map((r) => r.sequenceNumber))).toEqual(new Set(put.map((p) => p.sequenceNumber)));
      // Each consumer delivered only from the shards it held (nothing moved: nobody stopped).
      delivered.forEach((records, i) => {
        const held = new Set(workers[i]!.consumer.shards);
        expect(records.length).toBeGreaterThan(0);
        for (const record of records) expect(held.has(record.shardId)).toBe(true);
      });
      expect(watch.overlaps).toEqual([]);
    } finally {
      watch.stop();
      await closeAll(workers);
    }
  });

  it("closing a consumer hands its shards over; the taker resumes after its last commit and redelivers only its uncommitted last record", async () => {
    const stream = await createStream(localKinesis(), 4, "handoff");
    const shared = new MemoryCheckPointer();
    const leaving = worker("leaving", stream, shared);
    const staying = worker("staying", stream, shared, 4);
    const watch = watchExclusive([leaving, staying]);
    try {
      await startAll([leaving, staying]);
      await until(() => sizes([leaving, staying]).join() === "2,2", "balance 2+2");
      const leavingShards = [...leaving.consumer.shards];
      const put = await putPerShard(stream, 25);

      const stayingDone = collect(staying.consumer.records());
      const taken: Array<ConsumerRecord<{ n: number }>> = [];
      for await (const record of leaving.consumer.records()) {
        taken.push(record);
        // Asking for the 7th commits the 6th; the 7th is handed out but never committed.
        if (taken.length === 7) break;
      }
      await leaving.consumer.close();
      const rest = await stayingDone;

      // The staying consumer took over both shards.
      expect(staying.consumer.shards).toEqual(expect.arrayContaining(leavingShards));
      expect(staying.consumer.shards).toHaveLength(4);

      const counts = new Map<string, number>();
      for (const r of [...taken, ...rest]) counts.set(r.sequenceNumber, (counts.get(r.sequenceNumber) ?? 0) + 1);
      expect(new Set(counts.keys())).toEqual(new Set(put.map((p) => p.sequenceNumber)));
      const redelivered = [...counts].filter(([, n]) => n > 1).map(([sequence]) => sequence);
      expect(redelivered).toEqual([taken[6]!.sequenceNumber]);

      // For each handed-over shard the taker started right after the last record committed there.
      for (const shardId of leavingShards) {
        const committed = taken.slice(0, 6).filter((r) => r.shardId === shardId).at(-1);
        const position = committed === undefined ? "TRIM_HORIZON" : `AFTER_SEQUENCE_NUMBER ${committed.sequenceNumber}`;
        expect(staying.events).toContainEqual({ type: "shardStarted", shardId, position });
        expect(staying.events).toContainEqual({ type: "leaseAcquired", shardId, sequence: committed?.sequenceNumber });
      }
      expect(watch.overlaps).toEqual([]);
    } finally {
      watch.stop();
      await closeAll([leaving, staying]);
    }
  });

  it("closing the consumer that holds two of four shards gives one to each of the other two", async () => {
    const stream = await createStream(localKinesis(), 4, "handoff3");
    const shared = new MemoryCheckPointer();
    const workers = ["a", "b", "c"].map((name) => worker(name, stream, shared));
    const watch = watchExclusive(workers);
    try {
      await startAll(workers);
      await until(() => sizes(workers).join() === "2,1,1", "balance 2+1+1");
      const leaving = workers.find((w) => w.consumer.shards.length === 2)!;
      const others = workers.filter((w) => w !== leaving);
      const handed = [...leaving.consumer.shards];
      const before = others.map((w) => [...w.consumer.shards]);
      await leaving.consumer.close();
      await until(() => sizes(others).join() === "2,2", "the other two to take one shard each");
      others.forEach((w, i) => {
        const gained = w.consumer.shards.filter((s) => !before[i]!.includes(s));
        expect(gained).toHaveLength(1);
        expect(handed).toContain(gained[0]);
      });
      expect(watch.overlaps).toEqual([]);
    } finally {
      watch.stop();
      await closeAll(workers);
    }
  });
});
