/**
 * The behaviour suite of one Consumer over several streams (`streams`), run on each lease store:
 * two workers sharing one table over two streams, streams added, removed and deleted at run time,
 * discovery by a function, and every lease released on close.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import type { CheckpointListing } from "../../src/checkpointers/lease/store-base.ts";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { until } from "../support/until.ts";

/** A lease store as the suite needs it: a checkpointer per worker (process) of `group`, and its rows. */
export interface ManyStreamsStore {
  make(group: string): CheckPointer & { listCheckpoints(options?: { streamName?: string }): Promise<CheckpointListing[]> };
}

interface Item {
  stream: string;
  n: number;
}

/** A worker reading in the background until closed: what it got, and what it said. */
interface Worker {
  consumer: Consumer<Item>;
  records: Array<ConsumerRecord<Item>>;
  events: ConsumerEvent[];
  done: Promise<void>;
}

function startWorker(checkpointer: CheckPointer, options: Partial<ConsumerOptions<Item>>): Worker {
  const records: Array<ConsumerRecord<Item>> = [];
  const events: ConsumerEvent[] = [];
  const consumer = new Consumer<Item>({
    endpoint: inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    checkpointer,
    onEvent: (event) => events.push(event),
    ...options,
  });
  const done = (async () => {
    for await (const record of consumer.records()) records.push(record);
  })();
  return { consumer, records, events, done };
}

/** `count` records on `stream`, each saying which stream it was put on. */
async function put(sdk: ReturnType<typeof sdkKinesis>, stream: string, from: number, count: number): Promise<void> {
  const encoder = new TextEncoder();
  const records = Array.from({ length: count }, (_, i) => ({
    data: encoder.encode(JSON.stringify({ stream, n: from + i })),
    partitionKey: `key-${from + i}`,
  }));
  await sdkPutAll(sdk, stream, records);
}

const keyOf = (record: ConsumerRecord<Item>): string => `${record.data.stream}#${record.data.n}`;

/** Every `stream#n` for n in [from, from + count). */
const expectedKeys = (stream: string, from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `${stream}#${from + i}`);

function received(workers: readonly Worker[]): Set<string> {
  return new Set(workers.flatMap((w) => w.records.map(keyOf)));
}

function hasAll(workers: readonly Worker[], keys: readonly string[]): boolean {
  const got = received(workers);
  return keys.every((key) => got.has(key));
}

const streamsOf = (worker: Worker): Set<string> => new Set(worker.consumer.shards.map((id) => id.slice(0, id.lastIndexOf("/"))));

export function runManyStreamsSuite(label: string, store: ManyStreamsStore, uniqueGroup: () => string): void {
  describe(`one Consumer over several streams (${label})`, () => {
    const sdk = sdkKinesis();
    const kinesis = localKinesis();
    afterAll(() => sdk.destroy());

    it("two workers over two streams: every record of both is delivered, each names its stream, leases spread over both, close releases them all", async () => {
      const [first, second] = await Promise.all([createStream(kinesis, 2, "many-a"), createStream(kinesis, 2, "many-b")]);
      const group = uniqueGroup();
      const a = startWorker(store.make(group), { streams: [first, second] });
      await a.consumer.waitReady();
      expect(a.consumer.shards).toHaveLength(4);
      const b = startWorker(store.make(group), { streams: [first, second] });
      const workers = [a, b];
      // Balance is per stream: one shard of each stream on each worker.
      await until("each worker reads one shard of each stream", () => {
        return a.consumer.shards.length === 2 && b.consumer.shards.length === 2 && streamsOf(a).size === 2 && streamsOf(b).size === 2;
      }, 20_000);
      await Promise.all([put(sdk, first, 0, 40), put(sdk, second, 0, 40)]);
      const keys = [...expectedKeys(first, 0, 40), ...expectedKeys(second, 0, 40)];
      await until("every record of both streams is delivered", () => hasAll(workers, keys), 20_000);

      for (const record of [...a.records, ...b.records]) expect(record.streamName).toBe(record.data.stream);
      // Every shard event says which stream it is about.
      const acquired = a.events.filter((e) => e.type === "leaseAcquired");
      expect(acquired.length).toBeGreaterThanOrEqual(4);
      for (const event of acquired) expect([first, second]).toContain(event.streamName);
      expect(a.events.filter((e) => e.type === "streamAdded").map((e) => e.streamName).sort()).toEqual([first, second].sort());
      // Each worker delivered records of both streams (it reads a shard of each).
      for (const worker of workers) expect(new Set(worker.records.map((r) => r.streamName))).toEqual(new Set([first, second]));
      const stats = a.consumer.stats();
      expect(Object.keys(stats.streams ?? {}).sort()).toEqual([first, second].sort());
      expect(stats.streams?.[first]?.leasesHeld).toBe(1);
      expect(stats.recordsDelivered).toBe((stats.streams?.[first]?.recordsDelivered ?? 0) + (stats.streams?.[second]?.recordsDelivered ?? 0));
      expect(Object.keys(stats.shards).every((key) => key.startsWith(`${first}/`) || key.startsWith(`${second}/`))).toBe(true);

      await Promise.all([a.consumer.close(), b.consumer.close()]);
      await Promise.all([a.done, b.done]);
      const reader = store.make(group);
      const rows = await reader.listCheckpoints();
      const ours = rows.filter((row) => row.streamName === first || row.streamName === second);
      expect(ours).toHaveLength(4);
      for (const row of ours) expect(row.owner, `${row.streamName} ${row.shardId}`).toBeUndefined();
      await reader.close();
    });

    it("a stream added at run time is read with an event; one deleted is dropped with an event and the other goes on; one removed is released", async () => {
      const [first, added, doomed] = await Promise.all([
        createStream(kinesis, 1, "many-first"),
        createStream(kinesis, 1, "many-added"),
        createStream(kinesis, 1, "many-doomed"),
      ]);
      const group = uniqueGroup();
      const checkpointer = store.make(group);
      const w = startWorker(checkpointer, { streams: [first, doomed] });
      await put(sdk, first, 0, 5);
      await until("the first stream's records", () => hasAll([w], expectedKeys(first, 0, 5)));

      await w.consumer.addStream(added);
      expect(w.events).toContainEqual({ type: "streamAdded", streamName: added });
      await put(sdk, added, 0, 5);
      await until("the added stream's records", () => hasAll([w], expectedKeys(added, 0, 5)));
      expect(w.records.filter((r) => r.data.stream === added).every((r) => r.streamName === added)).toBe(true);
      await expect(w.consumer.addStream(added)).rejects.toMatchObject({ name: "ConfigError", option: "addStream" });

      await kinesis.deleteStream(doomed);
      const removed = await until("the deleted stream is dropped", () => w.events.find((e) => e.type === "streamRemoved" && e.streamName === doomed), 15_000);
      expect(removed).toMatchObject({ type: "streamRemoved", streamName: doomed, reason: "deleted" });
      expect(w.consumer.streams.sort()).toEqual([first, added].sort());
      await put(sdk, first, 5, 5);
      await until("the first stream goes on after the other was deleted", () => hasAll([w], expectedKeys(first, 5, 5)));

      expect(await w.consumer.removeStream(added)).toBe(true);
      expect(w.events).toContainEqual(expect.objectContaining({ type: "streamRemoved", streamName: added, reason: "removed" }));
      expect(await w.consumer.removeStream(added)).toBe(false);
      const addedRows = await checkpointer.listCheckpoints({ streamName: added });
      expect(addedRows).toHaveLength(1);
      expect(addedRows[0]?.owner).toBeUndefined();
      expect(addedRows[0]?.sequence).toBeDefined();
      expect(w.consumer.stats().streams?.[added]?.reading).toBe(false);

      await w.consumer.close();
      await w.done;
      const firstRows = await checkpointer.listCheckpoints({ streamName: first });
      expect(firstRows.map((row) => row.owner)).toEqual([undefined]);
    });

    it("a stream removed and added back resumes after its last committed record: the item in hand and the queued ones come again", async () => {
      const [first, other] = await Promise.all([createStream(kinesis, 1, "many-again"), createStream(kinesis, 1, "many-other")]);
      await put(sdk, first, 0, 10);
      const checkpointer = store.make(uniqueGroup());
      const events: ConsumerEvent[] = [];
      const consumer = new Consumer<Item>({
        streams: [first, other],
        checkpointer,
        endpoint: inject("kinesisEndpoint"),
        region: "us-east-1",
        credentials: testCredentials,
        onEvent: (event) => events.push(event),
      });
      const records = consumer.records();
      const taken: number[] = [];
      for (let i = 0; i < 3; i++) taken.push((await records.next()).value?.data.n ?? -1);
      // Asking for the third committed the second; the third is in hand.
      expect(taken).toEqual([0, 1, 2]);
      await until("the rest is queued", () => consumer.stats().queuedRecords === 7);

      expect(await consumer.removeStream(first)).toBe(true);
      expect(events.find((e) => e.type === "streamRemoved")).toMatchObject({ streamName: first, reason: "removed", droppedRecords: 7 });
      const [row] = await checkpointer.listCheckpoints({ streamName: first });
      expect(row?.owner).toBeUndefined();

      await consumer.addStream(first);
      const again: number[] = [];
      for (let i = 0; i < 8; i++) again.push((await records.next()).value?.data.n ?? -1);
      expect(again).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      await consumer.close();
      await checkpointer.close();
    });

    it("maxQueueSize and maxShardConsumers bound the whole consumer, not each stream", async () => {
      const [first, second] = await Promise.all([createStream(kinesis, 2, "many-bound-a"), createStream(kinesis, 2, "many-bound-b")]);
      await Promise.all([put(sdk, first, 0, 30), put(sdk, second, 0, 30)]);
      const checkpointer = store.make(uniqueGroup());
      const consumer = new Consumer<Item>({
        streams: [first, second],
        checkpointer,
        endpoint: inject("kinesisEndpoint"),
        region: "us-east-1",
        credentials: testCredentials,
        maxQueueSize: 8,
        maxShardConsumers: 3,
      });
      await consumer.waitReady();
      expect(consumer.shards).toHaveLength(3);
      // Nobody iterates: the readers fill the one queue to its bound and wait.
      await until("the queue fills", () => consumer.stats().queuedRecords >= 8);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stats = consumer.stats();
      expect(stats.queueHighWater).toBe(8);
      expect(stats.leasesHeld).toBe(3);
      await consumer.close();
      await checkpointer.close();
    });

    it("streams given as a function: a stream it starts naming is added, one it stops naming is removed, each with an event", async () => {
      const [first, later] = await Promise.all([createStream(kinesis, 1, "many-disc-a"), createStream(kinesis, 1, "many-disc-b")]);
      const named = [first];
      const w = startWorker(store.make(uniqueGroup()), { streams: () => [...named], streamDiscoveryInterval: 0.2 });
      await put(sdk, first, 0, 3);
      await until("the first stream's records", () => hasAll([w], expectedKeys(first, 0, 3)));
      await expect(w.consumer.addStream(later)).rejects.toMatchObject({ name: "ConfigError", option: "addStream" });

      named.push(later);
      await until("discovery adds the stream", () => w.events.some((e) => e.type === "streamAdded" && e.streamName === later));
      await put(sdk, later, 0, 3);
      await until("the discovered stream's records", () => hasAll([w], expectedKeys(later, 0, 3)));

      named.splice(0, 1);
      const removed = await until("discovery removes the stream", () => w.events.find((e) => e.type === "streamRemoved" && e.streamName === first));
      expect(removed).toMatchObject({ reason: "removed" });
      expect(w.consumer.streams).toEqual([later]);
      await w.consumer.close();
      await w.done;
    });
  });
}
