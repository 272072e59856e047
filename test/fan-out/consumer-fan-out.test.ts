/**
 * `new Consumer({ fanOut })` against kinesis-local: shards read with SubscribeToShard by
 * FanOutReader, over the node:http2 transport (HTTP/2 prior knowledge on kinesis-local's plain port,
 * since the consumer's other calls go to the same endpoint; TLS is covered in
 * subscribe-kinesis-local.test.ts). The same delivery checks as the polling path.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import { ConfigError } from "../../src/errors.ts";
import type { KinesisClient } from "../../src/kinesis/client.ts";
import { listStreamConsumers } from "../../src/kinesis/stream-consumers.ts";
import { setSubscribeTransport } from "../../src/kinesis/subscribe-transport.ts";
import { createHttp2Fetch } from "../../src/node/http2-fetch.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import {
  collectRecords,
  expectChildrenAfterParents,
  expectExactlyOnce,
  expectShardOrder,
  type Item,
  putItems,
  startProducer,
} from "../support/delivery-checks.ts";
import { startKinesisLocal } from "../support/kinesis-local.ts";

const HALF = (2n ** 127n).toString();
let server: Awaited<ReturnType<typeof startKinesisLocal>>;
let kinesis: KinesisClient;
const h2 = createHttp2Fetch();

beforeAll(async () => {
  server = await startKinesisLocal();
  kinesis = localKinesis({ endpoint: server.endpoint });
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function fanOutConsumer(streamName: string, extra: Partial<ConsumerOptions<Item>> = {}): Consumer<Item> {
  return new Consumer<Item>({
    streamName,
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    idleTimeout: 4,
    fanOut: { consumerName: "efo-app", fetch: h2, registrationTimeout: 30 },
    ...extra,
  });
}

describe("Consumer with fanOut on kinesis-local", () => {
  it("registers the stream consumer and delivers every record of every shard exactly once, in shard order, through subscriptions", async () => {
    const stream = await createStream(kinesis, 2, "efo-basic");
    const puts = await putItems(kinesis, stream, "b", 0, 40);
    const events: ConsumerEvent[] = [];
    const consumer = fanOutConsumer(stream, { onEvent: (e) => events.push(e) });
    const delivered = await collectRecords(consumer.records());
    await consumer.close();
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    const started = events.filter((e) => e.type === "shardStarted").map((e) => (e as { position: string }).position);
    expect(started).toEqual(["TRIM_HORIZON (enhanced fan-out)", "TRIM_HORIZON (enhanced fan-out)"]);
    const { streamArn } = await kinesis.describeStreamSummary(stream);
    expect((await listStreamConsumers(kinesis, streamArn)).map((c) => [c.consumerName, c.status])).toEqual([["efo-app", "ACTIVE"]]);
  });

  it("commits only what was taken: a second consumer resumes after the last record the first one used", async () => {
    const stream = await createStream(kinesis, 1, "efo-resume");
    const puts = await putItems(kinesis, stream, "r", 0, 12);
    const checkpointer = new MemoryCheckPointer();
    const first = fanOutConsumer(stream, { checkpointer });
    const taken: string[] = [];
    for await (const item of first) {
      taken.push(item.id);
      if (taken.length === 5) break; // leaving the loop commits the four used; the fifth, in hand, comes again
    }
    await first.close();
    // kinesis-local refuses a new subscription while the closed one's slot is still held: the reader waits it out.
    const second = fanOutConsumer(stream, { checkpointer });
    const rest = await collectRecords(second.records());
    await second.close();
    expect(taken).toEqual(puts.slice(0, 5).map((p) => p.id));
    expect(rest.map((r) => r.data.id)).toEqual(puts.slice(4).map((p) => p.id));
  });

  it("a queue smaller than one event still delivers every record in order (each event is queued as room is granted)", async () => {
    const stream = await createStream(kinesis, 1, "efo-small-queue");
    const puts = await putItems(kinesis, stream, "q", 0, 30);
    const consumer = fanOutConsumer(stream, { maxQueueSize: 3 });
    const delivered = await collectRecords(consumer.records());
    await consumer.close();
    expect(delivered.map((r) => r.data.id)).toEqual(puts.map((p) => p.id));
  });

  it("split 1→2 while reading: every record exactly once, the children only after the parent's last record (ChildShards at the end)", async () => {
    const stream = await createStream(kinesis, 1, "efo-split");
    const events: ConsumerEvent[] = [];
    // kinesis-local never ends a closed shard's subscription with ChildShards: the reader learns it is closed from ListShards.
    const consumer = fanOutConsumer(stream, { onEvent: (e) => events.push(e), shardRefreshInterval: 1 });
    const reading = collectRecords(consumer.records());
    const producer = startProducer(kinesis, stream, { prefix: "s", batch: 10, pauseMs: 20, max: 300 });
    await producer.reached(60);
    const [parent] = await kinesis.listShards(stream);
    await kinesis.splitShard(stream, parent!.shardId, HALF);
    await kinesis.waitForActive(stream, { pollInterval: 0.05, timeout: 30 });
    await producer.reached(150);
    const puts = await producer.stop();
    const delivered = await reading;
    await consumer.close();
    const shards = await kinesis.listShards(stream);
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(3);
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    expect(expectChildrenAfterParents(shards, delivered)).toBe(2);
    expect(events.filter((e) => e.type === "shardEnded").map((e) => e.shardId)).toEqual([parent!.shardId]);
  });
});

describe("fanOut where the runtime cannot carry it", () => {
  it("on workerd (navigator.userAgent Cloudflare-Workers) the constructor throws a ConfigError naming fanOut", () => {
    setSubscribeTransport(undefined);
    vi.stubGlobal("navigator", { userAgent: "Cloudflare-Workers" });
    let caught: unknown;
    try {
      new Consumer({ streamName: "s", region: "us-east-1", credentials: testCredentials, fanOut: { consumerName: "app" } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).option).toBe("fanOut");
    expect((caught as ConfigError).message).toMatch(/not available on Cloudflare Workers/);
  });

  it("a bad consumerName is a ConfigError from the constructor", () => {
    expect(() => new Consumer({ streamName: "s", region: "us-east-1", credentials: testCredentials, fanOut: { consumerName: "has space" } })).toThrow(
      /fanOut.consumerName must be 1 to 128 letters/,
    );
  });
});
