import { afterEach, describe, expect, inject, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { AwsServiceError } from "../../src/errors.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { collectRecords, expectExactlyOnce, type Item, type Put, putItems } from "../support/delivery-checks.ts";
import { type ShardFault, startShardFaultProxy } from "../support/shard-fault-proxy.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** What Kinesis answers for a shard that no longer exists (aged out of the retention period). */
const shardGone: ShardFault = {
  kind: "error",
  status: 400,
  code: "ResourceNotFoundException",
  message: "Shard shardId-000000000000 in stream s under account 123456789012 does not exist",
};

function consumerVia(endpoint: string, streamName: string, extra: Partial<ConsumerOptions<Item>> = {}): Consumer<Item> {
  const consumer = new Consumer<Item>({
    streamName,
    endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    sleepTimeNoRecords: 0.2,
    idleTimeout: 1.5,
    maxAttempts: 2,
    ...extra,
  });
  closers.push(() => consumer.close());
  return consumer;
}

/** A 2-shard stream with records on both shards; `gone` is one of the shards, `others` the puts on the other. */
async function twoShardStream(prefix: string): Promise<{ stream: string; gone: string; others: Put[] }> {
  const kinesis = localKinesis();
  const stream = await createStream(kinesis, 2, prefix);
  const puts = await putItems(kinesis, stream, prefix, 0, 40);
  const gone = puts[0]!.shardId;
  const others = puts.filter((p) => p.shardId !== gone);
  expect(others.length).toBeGreaterThan(0);
  return { stream, gone, others };
}

describe("a shard that no longer exists", () => {
  it("stops only that shard, with a shardStopped event and its lease released, when GetShardIterator says ResourceNotFoundException", async () => {
    const { stream, gone, others } = await twoShardStream("gone-iterator");
    const proxy = await startShardFaultProxy({
      target: inject("kinesisEndpoint"),
      rules: [{ shardId: gone, operation: "GetShardIterator", fault: shardGone }],
    });
    closers.push(() => proxy.close());
    const checkpointer = new MemoryCheckPointer();
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { checkpointer, onEvent: (e) => events.push(e) });

    const delivered = await collectRecords(consumer.records());

    expectExactlyOnce(others, delivered);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "shardStopped", shardId: gone, errorName: "AwsServiceError", awsCode: "ResourceNotFoundException" }),
    );
    expect(events).toContainEqual(expect.objectContaining({ type: "leaseReleased", shardId: gone }));
    // Asked once: the consumer neither retried the shard nor leased it again in later rounds.
    expect(proxy.injected()[`GetShardIterator ${gone}`]).toBe(1);
    const session = await checkpointer.start({ streamName: stream });
    expect((await session.get(gone))?.owner).toBeUndefined();
    await session.close();
  });

  it("stops only that shard when GetRecords says ResourceNotFoundException, and the other shard keeps delivering", async () => {
    const { stream, gone, others } = await twoShardStream("gone-records");
    const proxy = await startShardFaultProxy({ target: inject("kinesisEndpoint"), rules: [{ shardId: gone, operation: "GetRecords", fault: shardGone }] });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { onEvent: (e) => events.push(e) });
    const delivered: Array<ConsumerRecord<Item>> = [];
    const reading = collectRecords(consumer.records(), (record) => void delivered.push(record));
    // Records put after the shard stopped still arrive from the other shard.
    for (let i = 0; i < 50 && !events.some((e) => e.type === "shardStopped"); i++) await new Promise((r) => setTimeout(r, 50));
    const later = (await putItems(localKinesis(), stream, "gone-records-late", 100, 40)).filter((p) => p.shardId !== gone);
    await reading;

    expectExactlyOnce([...others, ...later], delivered);
    expect(events.filter((e) => e.type === "shardStopped")).toEqual([expect.objectContaining({ shardId: gone, awsCode: "ResourceNotFoundException" })]);
  });
});

describe("a stream that no longer exists", () => {
  it("still ends the consumer with the stream's ResourceNotFoundException when the stream is deleted while reading", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "deleted");
    await putItems(kinesis, stream, "deleted", 0, 10);
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(inject("kinesisEndpoint"), stream, { idleTimeout: undefined, onEvent: (e) => events.push(e) });
    const iterator = consumer.records();
    await iterator.next();
    await kinesis.deleteStream(stream);
    const outcome = await (async () => {
      try {
        for (;;) if ((await iterator.next()).done === true) return "ended";
      } catch (error) {
        return error;
      }
    })();
    expect(outcome).toBeInstanceOf(AwsServiceError);
    expect(outcome).toMatchObject({ awsCode: "ResourceNotFoundException" });
  });
});
