import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { KinesisClient } from "../../src/kinesis/client.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { withSessionOverrides } from "../support/session-overrides.ts";
import {
  collectRecords,
  expectChildrenAfterParents,
  expectExactlyOnce,
  expectShardOrder,
  type Item,
  itemRecords,
  type Put,
  putItems,
  startProducer,
} from "../support/delivery-checks.ts";
import { type LocalServer, startKinesisLocal } from "../support/kinesis-local.ts";

const HALF = (2n ** 127n).toString();

let kinesisLocal: LocalServer;
beforeAll(async () => {
  kinesisLocal = await startKinesisLocal();
});
afterAll(async () => {
  await kinesisLocal?.close();
});

/** Each server under test: kinesis-local sends ChildShards at SHARD_END, kinesalite does not. */
const servers = [
  { name: "kinesis-local", endpoint: (): string => kinesisLocal.endpoint, sendsChildShards: true },
  { name: "kinesalite", endpoint: (): string => inject("kinesisEndpoint"), sendsChildShards: false },
] as const;

function consumerOn(endpoint: string, streamName: string, extra: Partial<ConsumerOptions<Item>> = {}): Consumer<Item> {
  return new Consumer<Item>({
    streamName,
    endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    idleTimeout: 4,
    ...extra,
  });
}

async function waitActive(kinesis: KinesisClient, stream: string): Promise<void> {
  await kinesis.waitForActive(stream, { pollInterval: 0.05, timeout: 30 });
}

/** Read a closed shard to its end with the bare client: what the server says at SHARD_END. */
async function shardEnd(kinesis: KinesisClient, stream: string, shardId: string): Promise<{ childShards: string[] | undefined }> {
  let iterator: string | undefined = await kinesis.getShardIterator(stream, shardId, "TRIM_HORIZON");
  for (let calls = 0; iterator !== undefined && calls < 100; calls++) {
    const page = await kinesis.getRecords(iterator);
    if (page.nextShardIterator === undefined) return { childShards: page.childShards?.map((c) => c.shardId).sort() };
    iterator = page.nextShardIterator;
  }
  throw new Error(`${shardId} did not reach SHARD_END`);
}

/**
 * The consumer reads while a producer puts; once `before` records are in, `reshard` runs (and the
 * stream settles); the producer stops after `after`. Returns what was put and what came out, and
 * whatever `reshard` returned.
 */
async function reshardWhileReading<R>(
  kinesis: KinesisClient,
  stream: string,
  consumer: Consumer<Item>,
  load: { prefix: string; pauseMs: number; before: number; after: number },
  reshard: () => Promise<R>,
): Promise<{ puts: Put[]; delivered: Array<ConsumerRecord<Item>>; resharded: R }> {
  const reading = collectRecords(consumer.records());
  const producer = startProducer(kinesis, stream, { prefix: load.prefix, batch: 10, pauseMs: load.pauseMs, max: 300 });
  await producer.reached(load.before);
  const resharded = await reshard();
  await waitActive(kinesis, stream);
  await producer.reached(load.after);
  const puts = await producer.stop();
  const delivered = await reading;
  await consumer.close();
  return { puts, delivered, resharded };
}

async function rowsOf(checkpointer: MemoryCheckPointer, stream: string): Promise<Map<string, { finished: boolean; sequence?: string | undefined }>> {
  const session = await checkpointer.start({ streamName: stream });
  const rows = await session.list();
  await session.close();
  return new Map(rows.map((r) => [r.shardId, r]));
}

describe.each(servers)("resharding mid-stream on $name", (server) => {
  it("split 1→2: every record exactly once, children only after the parent's last record, parent finished", async () => {
    const kinesis = localKinesis({ endpoint: server.endpoint() });
    const stream = await createStream(kinesis, 1, "split");
    const checkpointer = new MemoryCheckPointer();
    const events: ConsumerEvent[] = [];
    const consumer = consumerOn(server.endpoint(), stream, { checkpointer, onEvent: (e) => events.push(e) });
    const { puts, delivered, resharded: parent } = await reshardWhileReading(
      kinesis,
      stream,
      consumer,
      { prefix: "s", pauseMs: 20, before: 100, after: 250 },
      async () => {
        const [parent] = await kinesis.listShards(stream);
        await kinesis.splitShard(stream, parent!.shardId, HALF);
        return parent;
      },
    );

    const shards = await kinesis.listShards(stream);
    const children = shards.filter((s) => s.parentShardId === parent!.shardId).map((s) => s.shardId).sort();
    expect(children).toHaveLength(2);
    // Records really went to both sides of the split, before and after it.
    expect(new Set(puts.map((p) => p.shardId))).toEqual(new Set([parent!.shardId, ...children]));
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    expect(expectChildrenAfterParents(shards, delivered)).toBe(2);
    // Both children were read to where the producer stopped, and the parent is finished.
    const rows = await rowsOf(checkpointer, stream);
    expect(rows.get(parent!.shardId)).toMatchObject({ finished: true, sequence: puts.filter((p) => p.shardId === parent!.shardId).at(-1)!.sequenceNumber });
    for (const child of children) expect(rows.get(child)?.finished).toBe(false);
    expect(events.filter((e) => e.type === "shardEnded").map((e) => e.shardId)).toEqual([parent!.shardId]);
    expect(events.filter((e) => e.type === "shardStarted").map((e) => (e as { position: string }).position)).toEqual([
      "TRIM_HORIZON",
      "TRIM_HORIZON",
      "TRIM_HORIZON",
    ]);
    // Both ways of ending a shard were exercised: with ChildShards (kinesis-local) and without (kinesalite).
    expect((await shardEnd(kinesis, stream, parent!.shardId)).childShards).toEqual(server.sendsChildShards ? children : undefined);
  });

  it("a restart in the middle of a split delivers every record at least once, replaying at most the record in hand", async () => {
    const kinesis = localKinesis({ endpoint: server.endpoint() });
    const stream = await createStream(kinesis, 1, "split-restart");
    const before = await putItems(kinesis, stream, "p", 0, 40);
    await kinesis.splitShard(stream, before[0]!.shardId, HALF);
    await waitActive(kinesis, stream);
    const after = await putItems(kinesis, stream, "c", 0, 60);
    const checkpointer = new MemoryCheckPointer();
    const first = consumerOn(server.endpoint(), stream, { checkpointer, maxQueueSize: 7 });
    const firstRun: Array<ConsumerRecord<Item>> = [];
    for await (const record of first.records()) {
      firstRun.push(record);
      // Stop once the children have started: the parent is finished, each child partly read.
      if (firstRun.length === 60) break;
    }
    await first.close();
    expect(firstRun.filter((r) => r.shardId !== before[0]!.shardId).length).toBe(20);
    const second = consumerOn(server.endpoint(), stream, { checkpointer, idleTimeout: 2 });
    const secondRun = await collectRecords(second.records());
    await second.close();
    // The record in hand when the first run stopped was never committed: it is the only replay.
    expect(secondRun.filter((r) => firstRun.some((f) => f.data.id === r.data.id)).map((r) => r.data.id)).toEqual([firstRun.at(-1)!.data.id]);
    expectExactlyOnce([...before, ...after], [...firstRun.slice(0, -1), ...secondRun]);
    expect(secondRun.map((r) => r.shardId)).not.toContain(before[0]!.shardId);
  });

  it("restarting on a closed shard's last sequence (not yet marked finished) does not stall: children follow", async () => {
    const kinesis = localKinesis({ endpoint: server.endpoint() });
    const stream = await createStream(kinesis, 1, "restart");
    const before = await putItems(kinesis, stream, "b", 0, 20);
    const parentId = before[0]!.shardId;
    await kinesis.splitShard(stream, parentId, HALF);
    await waitActive(kinesis, stream);
    const after = await putItems(kinesis, stream, "a", 0, 40);
    // A crash after committing the parent's last record but before marking it finished.
    const checkpointer = new MemoryCheckPointer();
    const session = await checkpointer.start({ streamName: stream });
    expect(await session.allocate(parentId, { totalShards: 1 })).toBeDefined();
    await session.checkpoint(parentId, before.at(-1)!.sequenceNumber);
    await session.close();

    const events: ConsumerEvent[] = [];
    const consumer = consumerOn(server.endpoint(), stream, { checkpointer, idleTimeout: 3, onEvent: (e) => events.push(e) });
    const delivered = await collectRecords(consumer.records());
    await consumer.close();
    expectExactlyOnce(after, delivered);
    expect(events).toContainEqual({ type: "shardStarted", shardId: parentId, position: `AFTER_SEQUENCE_NUMBER ${before.at(-1)!.sequenceNumber}` });
    expect(events).toContainEqual({ type: "shardEnded", shardId: parentId, lastSequence: before.at(-1)!.sequenceNumber });
    expect((await rowsOf(checkpointer, stream)).get(parentId)).toMatchObject({ finished: true, sequence: before.at(-1)!.sequenceNumber });
  });
});

describe("LATEST across resharding (kinesalite)", () => {
  it("a LATEST consumer started after a split skips the closed parent and reads the children from LATEST", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "latest-after");
    const old = await putItems(kinesis, stream, "old", 0, 10);
    await kinesis.splitShard(stream, old[0]!.shardId, HALF);
    await waitActive(kinesis, stream);
    await putItems(kinesis, stream, "old-child", 0, 10);
    const events: ConsumerEvent[] = [];
    const consumer = consumerOn(inject("kinesisEndpoint"), stream, { iteratorType: "LATEST", idleTimeout: 2, onEvent: (e) => events.push(e) });
    await consumer.waitReady();
    const fresh = await putItems(kinesis, stream, "new", 0, 30);
    const delivered = await collectRecords(consumer.records());
    await consumer.close();
    expectExactlyOnce(fresh, delivered);
    const started = events.filter((e) => e.type === "shardStarted");
    expect(started.map((e) => e.shardId)).not.toContain(old[0]!.shardId);
    expect(started.map((e) => (e as { position: string }).position)).toEqual(["LATEST", "LATEST"]);
  });

  it("a LATEST consumer running across a split reads the children from TRIM_HORIZON: nothing put after it started is missed", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "latest-across");
    await putItems(kinesis, stream, "old", 0, 10);
    const consumer = consumerOn(inject("kinesisEndpoint"), stream, { iteratorType: "LATEST", idleTimeout: 3 });
    await consumer.waitReady();
    const { puts, delivered } = await reshardWhileReading(kinesis, stream, consumer, { prefix: "n", pauseMs: 10, before: 60, after: 200 }, async () => {
      const [parent] = await kinesis.listShards(stream);
      await kinesis.splitShard(stream, parent!.shardId, HALF);
    });
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(3);
    expectExactlyOnce(puts, delivered);
    expect(expectChildrenAfterParents(await kinesis.listShards(stream), delivered)).toBe(2);
  });
});

/**
 * A MemoryCheckPointer whose sessions allocate rarely (every 30 s) and whose `list()` answers 1 s late
 * with what it read before the delay, as a remote store does: a shard finishing during a discovery
 * round must still wake the next round, not wait for the next interval.
 */
function slowListingCheckPointer(inner: MemoryCheckPointer): CheckPointer {
  return withSessionOverrides(inner, (session) => ({
    allocateIntervalSeconds: 30,
    async list() {
      const rows = await session.list();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return rows;
    },
  }));
}

describe("discovery after a shard ends (kinesalite)", () => {
  it("the second merge parent finishing during a discovery round still starts the child at once", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "merge-wake");
    const parents = (await kinesis.listShards(stream)).map((s) => s.shardId).sort();
    // One parent holds two pages of records, the other none: the empty one ends at once, which
    // wakes a (slow) round; the other ends a few paced calls later, while that round still runs.
    const records = itemRecords("p", 0, 20).map((r) => ({ ...r, explicitHashKey: "1" }));
    const result = await kinesis.putRecords(stream, records);
    const before = result.records.map((r, i) => ({ id: records[i]!.id, sequenceNumber: r.sequenceNumber!, shardId: r.shardId! }));
    expect(new Set(before.map((p) => p.shardId))).toEqual(new Set([parents[0]]));
    await kinesis.mergeShards(stream, parents[0]!, parents[1]!);
    await waitActive(kinesis, stream);
    const after = await putItems(kinesis, stream, "c", 0, 20);
    const events: ConsumerEvent[] = [];
    const consumer = consumerOn(inject("kinesisEndpoint"), stream, {
      checkpointer: slowListingCheckPointer(new MemoryCheckPointer()),
      idleTimeout: 3,
      recordLimit: 10,
      onEvent: (e) => events.push(e),
    });
    const delivered = await collectRecords(consumer.records());
    await consumer.close();
    expectExactlyOnce([...before, ...after], delivered);
    expect(expectChildrenAfterParents(await kinesis.listShards(stream), delivered)).toBe(1);
    const order = events.filter((e) => e.type === "shardEnded" || e.type === "shardStarted").map((e) => `${e.type} ${e.shardId}`);
    expect(order.slice(-3).sort()).toEqual([`shardEnded ${parents[0]}`, `shardEnded ${parents[1]}`, `shardStarted ${after[0]!.shardId}`].sort());
    expect(order.at(-1)).toBe(`shardStarted ${after[0]!.shardId}`);
  });
});

describe("merging and rescaling on kinesis-local", () => {
  it("merge 2→1: the child's records come only after BOTH parents' last records; both parents finished", async () => {
    const kinesis = localKinesis({ endpoint: kinesisLocal.endpoint });
    const stream = await createStream(kinesis, 2, "merge");
    const checkpointer = new MemoryCheckPointer();
    const consumer = consumerOn(kinesisLocal.endpoint, stream, { checkpointer });
    const { puts, delivered, resharded: parents } = await reshardWhileReading(
      kinesis,
      stream,
      consumer,
      { prefix: "m", pauseMs: 20, before: 100, after: 250 },
      async () => {
        const parents = (await kinesis.listShards(stream)).map((s) => s.shardId).sort();
        await kinesis.mergeShards(stream, parents[0]!, parents[1]!);
        return parents;
      },
    );

    const shards = await kinesis.listShards(stream);
    const child = shards.find((s) => s.parentShardId !== undefined && s.adjacentParentShardId !== undefined)!;
    expect([child.parentShardId, child.adjacentParentShardId].sort()).toEqual(parents);
    expect(new Set(puts.map((p) => p.shardId))).toEqual(new Set([...parents, child.shardId]));
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    expect(expectChildrenAfterParents(shards, delivered)).toBe(2);
    const rows = await rowsOf(checkpointer, stream);
    for (const parent of parents) expect(rows.get(parent)?.finished).toBe(true);
    expect(rows.get(child.shardId)?.finished).toBe(false);
  });

  it("UpdateShardCount 2→4 mid-stream: exactly once, every child after its parents", async () => {
    const kinesis = localKinesis({ endpoint: kinesisLocal.endpoint });
    const stream = await createStream(kinesis, 2, "rescale");
    const checkpointer = new MemoryCheckPointer();
    const consumer = consumerOn(kinesisLocal.endpoint, stream, { checkpointer });
    const { puts, delivered, resharded: original } = await reshardWhileReading(
      kinesis,
      stream,
      consumer,
      { prefix: "u", pauseMs: 20, before: 100, after: 250 },
      async () => {
        const original = (await kinesis.listShards(stream)).map((s) => s.shardId);
        await kinesis.updateShardCount(stream, 4);
        return original;
      },
    );

    const shards = await kinesis.listShards(stream);
    const open = shards.filter((s) => s.sequenceNumberRange.endingSequenceNumber === undefined);
    expect(open).toHaveLength(4);
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    expect(expectChildrenAfterParents(shards, delivered)).toBeGreaterThanOrEqual(2);
    const rows = await rowsOf(checkpointer, stream);
    for (const id of original) expect(rows.get(id)?.finished).toBe(true);
    // Every open shard that received records was read.
    for (const shard of open) {
      if (puts.some((p) => p.shardId === shard.shardId)) expect(rows.get(shard.shardId)?.sequence).toBeDefined();
    }
  });
});
