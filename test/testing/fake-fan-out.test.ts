/**
 * The in-memory Kinesis of async-kinesis/testing serving enhanced fan-out to the real Consumer:
 * `fanOut: { consumerName }` with `...fake.options` subscribes through the fake's fetch (no HTTP/2,
 * no network), records are pushed as they are put, the subscription renews after five minutes of the
 * clock, and a split ends the parent with ChildShards.
 */
import { describe, expect, it, vi } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import { assertDeliveredOnce, assertShardOrder, createFakeAws, ManualClock } from "../../src/testing/index.ts";

interface Item {
  n: number;
}

const items = (from: number, count: number): Item[] => Array.from({ length: count }, (_, k) => ({ n: from + k }));
const entries = (list: Item[]) => list.map((item) => ({ data: JSON.stringify(item), partitionKey: `pk-${item.n}` }));

/** The next `count` records of one iterator (a second `records()` loop would deliver the one in hand again). */
async function take(iterator: AsyncIterator<ConsumerRecord<Item>>, count: number): Promise<Array<ConsumerRecord<Item>>> {
  const out: Array<ConsumerRecord<Item>> = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done === true) throw new Error(`the consumer ended after ${out.length} of ${count} records`);
    out.push(next.value);
  }
  return out;
}

describe("Consumer with fanOut on the in-memory Kinesis", () => {
  it("delivers every record of every shard once, in shard order, through SubscribeToShard and never GetRecords", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 2);
    const put = items(0, 40);
    fake.kinesis.putRecords("s", entries(put));
    const consumer = new Consumer<Item>({ streamName: "s", ...fake.options, fanOut: { consumerName: "app" } });
    const iterator = consumer.records();
    const got = await take(iterator, put.length);
    await consumer.close();
    assertDeliveredOnce(put, got.map((r) => r.data));
    assertShardOrder(got);
    expect(new Set(got.map((r) => r.shardId)).size).toBe(2);
    expect(fake.calls("SubscribeToShard")).toBe(2);
    expect(fake.calls("GetRecords")).toBe(0);
    expect(fake.calls("GetShardIterator")).toBe(0);
  });

  it("pushes records put after subscribing at once: they arrive with no GetRecords and without the clock moving", async () => {
    const clock = new ManualClock();
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    const consumer = new Consumer<Item>({ streamName: "s", ...fake.options, clock, fanOut: { consumerName: "app" } });
    const iterator = consumer.records();
    const startedAt = clock.now();
    fake.kinesis.putRecords("s", entries(items(0, 2)));
    expect((await take(iterator, 2)).map((r) => r.data.n)).toEqual([0, 1]);
    // Real time for the subscription to send its caught-up event and wait for the next put.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const put = items(2, 5);
    fake.kinesis.putRecords("s", entries(put));
    expect((await take(iterator, 5)).map((r) => r.data)).toEqual(put);
    expect(clock.now()).toBe(startedAt);
    expect(fake.calls("GetRecords")).toBe(0);
    expect(fake.calls("SubscribeToShard")).toBe(1);
    await consumer.close();
  });

  it("ends a subscription after five minutes of the manual clock; the consumer subscribes again after the continuation and misses nothing", async () => {
    const clock = new ManualClock();
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    const positions: unknown[] = [];
    // A wrapper does not carry the fake's mark: it is given as fanOut.fetch (the documented route).
    const spy: typeof fetch = async (input, init) => {
      if (new Headers(init?.headers).get("x-amz-target")?.endsWith(".SubscribeToShard") === true) {
        positions.push((JSON.parse(String(init?.body)) as { StartingPosition: unknown }).StartingPosition);
      }
      return fake.fetch(input, init);
    };
    const consumer = new Consumer<Item>({ streamName: "s", ...fake.options, clock, fanOut: { consumerName: "app", fetch: spy } });
    const iterator = consumer.records();
    const before = fake.kinesis.putRecords("s", entries(items(0, 3)));
    expect((await take(iterator, 3)).map((r) => r.data.n)).toEqual([0, 1, 2]);
    expect(positions).toEqual([{ Type: "TRIM_HORIZON" }]);

    await clock.advance(5 * 60 * 1000 + 1000);
    // The renewal is signed (WebCrypto) before it is sent: real time, not a turn of the manual clock.
    await vi.waitFor(() => expect(positions).toHaveLength(2));
    expect(positions).toEqual([{ Type: "TRIM_HORIZON" }, { Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: before[2]!.sequenceNumber }]);
    fake.kinesis.putRecords("s", entries(items(3, 2)));
    expect((await take(iterator, 2)).map((r) => r.data.n)).toEqual([3, 4]);
    expect(fake.calls("GetRecords")).toBe(0);
    await consumer.close();
  });

  it("a split ends the parent's subscription with ChildShards; the children are subscribed and read after the parent's records", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 1);
    const consumer = new Consumer<Item>({ streamName: "s", ...fake.options, fanOut: { consumerName: "app" } });
    const iterator = consumer.records();
    const early = items(0, 10);
    fake.kinesis.putRecords("s", entries(early));
    const got = await take(iterator, 5);
    const [left, right] = fake.kinesis.splitShard("s", "shardId-000000000000");
    const late = items(10, 30);
    fake.kinesis.putRecords("s", entries(late));
    got.push(...(await take(iterator, 35)));
    await consumer.close();
    assertDeliveredOnce([...early, ...late], got.map((r) => r.data));
    assertShardOrder(got, { shards: fake.kinesis.shards("s") });
    expect(new Set(got.slice(10).map((r) => r.shardId))).toEqual(new Set([left, right]));
    expect(fake.calls("SubscribeToShard")).toBe(3);
    expect(fake.calls("GetRecords")).toBe(0);
  });
});
