/**
 * The fake's fidelity: the same scenarios, through the real Consumer, Producer and DynamoDBCheckPointer,
 * against the in-memory fake and against the local servers (kinesalite, dynalite); each scenario's
 * outcome (where every record went, what was delivered, in what order, who held which lease) must be
 * the same on both. Both halves run in one test so a difference shows as one diff.
 */
import { describe, expect, it } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { Producer } from "../../src/producer/producer.ts";
import { assertDeliveredOnce, assertShardOrder, collect } from "../../src/testing/index.ts";
import { uniqueName } from "../support/clients.ts";
import { type Backend, fakeBackend, localBackend } from "./backends.ts";

interface Item {
  n: number;
}

async function produce(backend: Backend, stream: string, from: number, count: number): Promise<Item[]> {
  const items = Array.from({ length: count }, (_, i) => ({ n: from + i }));
  const producer = new Producer<Item>({ streamName: stream, ...backend.kinesis, bufferTime: 0.05 });
  for (const item of items) await producer.put(item, `key-${item.n}`);
  await producer.close();
  return items;
}

function consumer(
  backend: Backend,
  stream: string,
  extra: { checkpointer?: DynamoDBCheckPointer; onEvent?: (e: ConsumerEvent) => void; idleTimeout?: number } = {},
): Consumer<Item> {
  return new Consumer<Item>({ streamName: stream, ...backend.kinesis, shardFetchRate: 5, idleTimeout: extra.idleTimeout ?? 1, ...extra });
}

function checkpointer(backend: Backend, group: string): DynamoDBCheckPointer {
  return new DynamoDBCheckPointer({ name: group, ...backend.dynamodb, sessionTimeout: 3, heartbeatFrequency: 0.5 });
}

/** Where each item went, by `n`: the part of an outcome that must match between backends. */
function placement(records: ReadonlyArray<ConsumerRecord<Item>>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const r of [...records].sort((a, b) => a.data.n - b.data.n)) out[r.data.n] = r.shardId;
  return out;
}

async function onBoth<T>(scenario: (backend: Backend) => Promise<T>): Promise<{ fake: T; local: T }> {
  const fake = await scenario(fakeBackend());
  const local = await scenario(localBackend());
  return { fake, local };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the fake and the local servers agree", () => {
  it("a 2-shard stream is consumed exactly once, each shard in order, records routed to the same shards", async () => {
    const outcome = await onBoth(async (backend) => {
      const stream = await backend.createStream(2);
      const put = await produce(backend, stream, 0, 40);
      const c = consumer(backend, stream);
      const records = await collect(c.records());
      await c.close();
      assertDeliveredOnce(put, records.map((r) => r.data));
      assertShardOrder(records);
      return { placement: placement(records), shards: (await backend.client.listShards(stream)).map((s) => s.hashKeyRange) };
    });
    expect(new Set(Object.values(outcome.fake.placement)).size).toBe(2);
    expect(outcome.fake).toEqual(outcome.local);
  });

  it("a shard split mid-stream: every record once, children delivered after their parent", async () => {
    const outcome = await onBoth(async (backend) => {
      const stream = await backend.createStream(2);
      const before = await produce(backend, stream, 0, 20);
      const [first] = await backend.client.listShards(stream);
      const start = BigInt(first!.hashKeyRange.startingHashKey);
      const end = BigInt(first!.hashKeyRange.endingHashKey);
      await backend.client.splitShard(stream, first!.shardId, String(start + (end - start + 1n) / 2n));
      await backend.client.waitForActive(stream, { pollInterval: 0.05 });
      const after = await produce(backend, stream, 20, 20);
      const shards = await backend.client.listShards(stream);
      const c = consumer(backend, stream, { idleTimeout: 1.5 });
      const records = await collect(c.records());
      await c.close();
      assertDeliveredOnce([...before, ...after], records.map((r) => r.data));
      assertShardOrder(records, { shards });
      return {
        placement: placement(records),
        lineage: shards.map((s) => ({ id: s.shardId, parent: s.parentShardId, closed: s.sequenceNumberRange.endingSequenceNumber !== undefined })),
      };
    });
    expect(outcome.fake.lineage.filter((s) => s.parent !== undefined)).toHaveLength(2);
    expect(outcome.fake).toEqual(outcome.local);
  });

  it("DynamoDB leases: two consumers split the shards between them, and a restart resumes after the checkpoints", async () => {
    const outcome = await onBoth(async (backend) => {
      const stream = await backend.createStream(2);
      const group = uniqueName("group");
      const first = await produce(backend, stream, 0, 20);
      const a = consumer(backend, stream, { checkpointer: checkpointer(backend, group), idleTimeout: 60 });
      const b = consumer(backend, stream, { checkpointer: checkpointer(backend, group), idleTimeout: 60 });
      const got: Item[] = [];
      const drain = async (c: Consumer<Item>): Promise<void> => {
        for await (const item of c) got.push(item);
      };
      const runA = drain(a);
      await waitFor(() => a.shards.length === 2, "consumer A to hold both shards");
      const runB = drain(b);
      await waitFor(() => a.shards.length === 1 && b.shards.length === 1, "the two consumers to hold one shard each");
      const balanced = [a.shards.length, b.shards.length];
      await waitFor(() => first.every((item) => got.some((g) => g.n === item.n)), "every first item");
      await Promise.all([a.close(), b.close()]);
      await Promise.all([runA, runB]);

      const second = await produce(backend, stream, 20, 10);
      const restart = consumer(backend, stream, { checkpointer: checkpointer(backend, group), idleTimeout: 1.5 });
      const resumed = await collect(restart);
      await restart.close();
      assertDeliveredOnce(second, resumed);
      return { balanced, firstDelivered: [...new Set(got.map((g) => g.n))].sort((x, y) => x - y).length, resumed: resumed.length };
    });
    expect(outcome.fake).toEqual({ balanced: [1, 1], firstDelivered: 20, resumed: 10 });
    expect(outcome.fake).toEqual(outcome.local);
  });

  it("throttled GetRecords are retried: nothing lost, nothing repeated, each throttle reported", async () => {
    const outcome = await onBoth(async (backend) => {
      const stream = await backend.createStream(1);
      const put = await produce(backend, stream, 0, 10);
      backend.throttleGetRecords(3);
      const events: ConsumerEvent[] = [];
      const c = consumer(backend, stream, { onEvent: (e) => events.push(e), idleTimeout: 2 });
      const items = await collect(c);
      await c.close();
      assertDeliveredOnce(put, items);
      return { delivered: items.length, throttled: events.filter((e) => e.type === "throttled").length };
    });
    expect(outcome.fake).toEqual({ delivered: 10, throttled: 3 });
    expect(outcome.fake).toEqual(outcome.local);
  });
});
