import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";

const require = createRequire(import.meta.url);

/**
 * A consumer started on a stream that is still CREATING waits for it, says so with an event, and only
 * then leases shards and takes iterators. A stream that is UPDATING (resharding, which takes minutes on
 * big streams) is read at once: Kinesis serves reads and writes while UPDATING. This file runs its own
 * kinesalite in which creating a stream takes 1.5 s, as on the real service, and a split keeps the
 * stream UPDATING for 30 s, longer than any test here (the shared one makes both instant).
 */
let server: Server;
let endpoint: string;
let kinesis: KinesisClient;

beforeAll(async () => {
  const kinesalite = require("kinesalite") as (options: object) => Server;
  server = kinesalite({ createStreamMs: 1500, updateStreamMs: 30_000, deleteStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kinesis = new KinesisClient({ endpoint, region: "us-east-1", credentials: testCredentials });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function consumerOn(
  stream: string,
  events: ConsumerEvent[],
  read: { several?: boolean; iteratorType?: "LATEST" | "TRIM_HORIZON" } = {},
): Consumer<{ n: number }> {
  return new Consumer<{ n: number }>({
    ...(read.several === true ? { streams: [stream] } : { streamName: stream }),
    endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    iteratorType: read.iteratorType ?? "LATEST",
    onEvent: (event) => events.push(event),
  });
}

describe("a stream that is not ACTIVE yet", () => {
  it("waitReady() waits out CREATING with a streamNotActive event, and a LATEST consumer then delivers what is put after", async () => {
    const stream = uniqueName("creating");
    await kinesis.createStream(stream, 1);
    expect((await kinesis.describeStreamSummary(stream)).streamStatus).toBe("CREATING");
    const events: ConsumerEvent[] = [];
    await using consumer = consumerOn(stream, events);
    await consumer.waitReady();
    expect((await kinesis.describeStreamSummary(stream)).streamStatus).toBe("ACTIVE");
    const types = events.map((e) => e.type);
    expect(events.filter((e) => e.type === "streamNotActive")).toEqual([{ type: "streamNotActive", streamName: stream, status: "CREATING" }]);
    expect(types.indexOf("streamNotActive")).toBeLessThan(types.indexOf("leaseAcquired"));
    expect(consumer.shards).toHaveLength(1);
    await kinesis.putRecord(stream, { data: new TextEncoder().encode(JSON.stringify({ n: 1 })), partitionKey: "k" });
    const iterator = consumer[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ n: 1 });
  });

  for (const several of [false, true]) {
    it(`a consumer started while its stream is UPDATING delivers records before the stream is ACTIVE again${several ? " (streams: [...])" : ""}`, async () => {
      const stream = uniqueName("updating");
      await kinesis.createStream(stream, 1);
      await kinesis.waitForActive(stream, { pollInterval: 0.1 });
      for (const n of [1, 2]) {
        await kinesis.putRecord(stream, { data: new TextEncoder().encode(JSON.stringify({ n })), partitionKey: "k" });
      }
      const [shard] = await kinesis.listShards(stream);
      await kinesis.splitShard(stream, shard!.shardId, "170141183460469231731687303715884105728");
      expect((await kinesis.describeStreamSummary(stream)).streamStatus).toBe("UPDATING");
      const events: ConsumerEvent[] = [];
      await using consumer = consumerOn(stream, events, { several, iteratorType: "TRIM_HORIZON" });
      const iterator = consumer[Symbol.asyncIterator]();
      // The split stays in progress for 30 s; a consumer that waited for ACTIVE would deliver nothing in 10.
      const nothing = new Promise<"nothing while UPDATING">((resolve) => setTimeout(() => resolve("nothing while UPDATING"), 10_000).unref());
      const delivered = [await Promise.race([iterator.next().then((r) => r.value), nothing])];
      delivered.push(await Promise.race([iterator.next().then((r) => r.value), nothing]));
      expect(delivered).toEqual([{ n: 1 }, { n: 2 }]);
      expect((await kinesis.describeStreamSummary(stream)).streamStatus).toBe("UPDATING");
      expect(events.filter((e) => e.type === "streamNotActive")).toEqual([]);
    });
  }
});
