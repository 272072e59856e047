import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import type { KinesisClient } from "../../src/kinesis/client.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { expectExactlyOnce, expectShardOrder, type Item, itemRecords, type Put } from "../support/delivery-checks.ts";
import { startFastKinesalite } from "../support/fast-kinesalite.ts";

/**
 * Real iterator expiry: kinesalite runs in a child process whose clock goes 300x faster, so its
 * 5-minute iterator lifetime is 1 s of real time. Readers stay paused behind a full queue for longer
 * than that, and the server itself answers ExpiredIteratorException.
 */
const FACTOR = 300;
let server: Awaited<ReturnType<typeof startFastKinesalite>>;
let kinesis: KinesisClient;
beforeAll(async () => {
  server = await startFastKinesalite(FACTOR);
  kinesis = localKinesis({ endpoint: server.endpoint });
});
afterAll(async () => {
  await server?.close();
});

const SHARD_0_KEY = "1";
const SHARD_1_KEY = (2n ** 127n + 1n).toString();

function consumerOn(streamName: string, extra: Partial<ConsumerOptions<Item>> = {}): Consumer<Item> {
  return new Consumer<Item>({
    streamName,
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    idleTimeout: 1,
    maxQueueSize: 10,
    recordLimit: 10,
    ...extra,
  });
}

/** Put records; with `explicitHashKey` they all go to the shard owning that key. */
async function put(stream: string, prefix: string, from: number, count: number, explicitHashKey?: string): Promise<Put[]> {
  const records = itemRecords(prefix, from, count).map((r) => (explicitHashKey === undefined ? r : { ...r, explicitHashKey }));
  const result = await kinesis.putRecords(stream, records);
  expect(result.failedRecordCount).toBe(0);
  return result.records.map((r, i) => ({ id: records[i]!.id, sequenceNumber: r.sequenceNumber!, shardId: r.shardId! }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Take `count` records by hand, leaving the iterator open (nothing past them is asked for). */
async function take(iterator: AsyncIterator<ConsumerRecord<Item>>, count: number): Promise<Array<ConsumerRecord<Item>>> {
  const out: Array<ConsumerRecord<Item>> = [];
  for (let i = 0; i < count; i++) {
    const next = await iterator.next();
    if (next.done === true) throw new Error(`iteration ended after ${out.length} records`);
    out.push(next.value);
  }
  return out;
}

async function drain(iterator: AsyncIterator<ConsumerRecord<Item>>): Promise<Array<ConsumerRecord<Item>>> {
  const out: Array<ConsumerRecord<Item>> = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return out;
    out.push(next.value);
  }
}

describe("expired iterators (kinesalite with a fast clock)", () => {
  it("the server really expires an iterator after its lifetime", async () => {
    const stream = await createStream(kinesis, 1, "expiry-probe");
    const [shard] = await kinesis.listShards(stream);
    const iterator = await kinesis.getShardIterator(stream, shard!.shardId, "TRIM_HORIZON");
    await sleep(server.iteratorLifetimeMs + 500);
    await expect(kinesis.getRecords(iterator)).rejects.toMatchObject({ awsCode: "ExpiredIteratorException" });
  });

  it("a queue left full for longer than the iterator lifetime loses and duplicates nothing once the caller resumes", async () => {
    const stream = await createStream(kinesis, 2, "expiry-full");
    const puts = [...(await put(stream, "a", 0, 60, SHARD_0_KEY)), ...(await put(stream, "b", 0, 60, SHARD_1_KEY))];
    const events: ConsumerEvent[] = [];
    await using consumer = consumerOn(stream, { onEvent: (e) => events.push(e) });
    const iterator = consumer.records();
    const before = await take(iterator, 3);
    // The caller stops pulling: both readers wait behind the full queue while their iterators expire.
    await sleep(server.iteratorLifetimeMs + 800);
    const after = await drain(iterator);

    const delivered = [...before, ...after];
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    const expired = events.filter((e): e is Extract<ConsumerEvent, { type: "iteratorExpired" }> => e.type === "iteratorExpired");
    expect(expired.length).toBeGreaterThanOrEqual(1);
    for (const event of expired) expect(puts.some((p) => p.shardId === event.shardId && p.sequenceNumber === event.resumeAfter)).toBe(true);
  });

  it("an iterator that expires in the middle of a shard resumes right after the last QUEUED record, with records put meanwhile", async () => {
    const stream = await createStream(kinesis, 1, "expiry-middle");
    const puts = await put(stream, "m", 0, 30);
    const events: ConsumerEvent[] = [];
    await using consumer = consumerOn(stream, { onEvent: (e) => events.push(e) });
    const iterator = consumer.records();
    const before = await take(iterator, 15);
    // Records 16..25 sit in the queue; the reader, paused behind them, holds an iterator after #25.
    await sleep(300);
    puts.push(...(await put(stream, "m", 30, 30)));
    await sleep(server.iteratorLifetimeMs + 700);
    const after = await drain(iterator);

    expectExactlyOnce(puts, [...before, ...after]);
    expect(after[0]!.data.id).toBe("m-15");
    const expired = events.filter((e) => e.type === "iteratorExpired");
    expect(expired).toEqual([{ type: "iteratorExpired", shardId: puts[0]!.shardId, resumeAfter: puts[24]!.sequenceNumber }]);
  });

  it("a LATEST shard that had queued nothing when its iterator expired still delivers what arrived meanwhile", async () => {
    const stream = await createStream(kinesis, 2, "expiry-latest");
    await put(stream, "old", 0, 5, SHARD_1_KEY);
    const events: ConsumerEvent[] = [];
    await using consumer = consumerOn(stream, { iteratorType: "LATEST", onEvent: (e) => events.push(e) });
    await consumer.waitReady();
    // A busy shard fills the queue; the quiet shard's reader waits behind it with an empty-page iterator.
    const busy = await put(stream, "busy", 0, 40, SHARD_0_KEY);
    const iterator = consumer.records();
    const before = await take(iterator, 1);
    await sleep(300);
    const quiet = await put(stream, "quiet", 0, 5, SHARD_1_KEY);
    await sleep(server.iteratorLifetimeMs + 700);
    const after = await drain(iterator);

    // The expired LATEST iterator is re-created at the start recorded with the lease (the service's
    // Date header less a second). On this fast-clock server the header comes from Node's own, unpatched
    // clock while records are stamped by the patched one, so that start lies before the "old" records
    // and they come along too: more, never less. On a real service both are one clock.
    const delivered = [...before, ...after].filter((record) => !(record.data as { id: string }).id.startsWith("old-"));
    expectExactlyOnce([...busy, ...quiet], delivered);
    expectShardOrder(delivered);
    expect(events.some((e) => e.type === "iteratorExpired")).toBe(true);
  });
});
