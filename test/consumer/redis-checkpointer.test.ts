import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import { createStream, localKinesis, testCredentials, uniqueName } from "../support/clients.ts";
import { connectRedis, type NodeRedis } from "../support/redis-clients.ts";
import { type LocalRedis, startRedis } from "../support/redis-server.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";

/** A Consumer leasing and checkpointing through RedisCheckPointer: kinesalite for the stream, a real redis-server. */

const sdk = sdkKinesis();
let server: LocalRedis;
let redis: NodeRedis;

beforeAll(async () => {
  server = await startRedis();
  redis = await connectRedis(server.url);
});

afterAll(async () => {
  sdk.destroy();
  await redis?.close();
  await server?.close();
});

function consumer(streamName: string, checkpointer: RedisCheckPointer): Consumer<{ n: number }> {
  return new Consumer<{ n: number }>({
    streamName,
    checkpointer,
    endpoint: inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    idleTimeout: 1.5,
    shardFetchRate: 5,
  });
}

/** A process's checkpointer: a new instance on the same group, as after a restart. */
const checkpointerFor = (name: string): RedisCheckPointer =>
  new RedisCheckPointer({ name, client: redis, sessionTimeout: 3, heartbeatFrequency: 0.5, checkpointInterval: 0.2 });

describe("Consumer with RedisCheckPointer", () => {
  it("delivers every record, and after a restart resumes strictly after the last committed one", async () => {
    const stream = await createStream(localKinesis(), 2, "redis-consume");
    const encoder = new TextEncoder();
    const put = await sdkPutAll(
      sdk,
      stream,
      Array.from({ length: 60 }, (_, n) => ({ data: encoder.encode(JSON.stringify({ n })), partitionKey: `key-${n % 13}` })),
    );
    expect(new Set(put.map((p) => p.shardId)).size).toBe(2);
    const group = uniqueName("app");

    const firstCheckpointer = checkpointerFor(group);
    const first = consumer(stream, firstCheckpointer);
    const taken: Array<ConsumerRecord<{ n: number }>> = [];
    for await (const record of first.records()) {
      taken.push(record);
      // Asking for the 25th commits the 24th; breaking out never asks past the 25th.
      if (taken.length === 25) break;
    }
    await first.close();
    await firstCheckpointer.close();

    const secondCheckpointer = checkpointerFor(group);
    const second = consumer(stream, secondCheckpointer);
    const rest: Array<ConsumerRecord<{ n: number }>> = [];
    for await (const record of second.records()) rest.push(record);
    await second.close();

    // Everything is delivered; only the one record handed out but never followed by a request comes twice.
    const committedFirst = new Set(taken.slice(0, 24).map((r) => r.data.n));
    const expectedRest = put.map((_, n) => n).filter((n) => !committedFirst.has(n));
    expect(rest.map((r) => r.data.n).sort((a, b) => a - b)).toEqual(expectedRest);
    expect(new Set([...taken, ...rest].map((r) => r.data.n)).size).toBe(60);

    // Redis holds each shard's last sequence, released (idle timeout ended iteration, close released).
    const lastByShard = new Map<string, string>();
    for (const p of put) if (BigInt(p.sequenceNumber) > BigInt(lastByShard.get(p.shardId) ?? "0")) lastByShard.set(p.shardId, p.sequenceNumber);
    const rows = await secondCheckpointer.listCheckpoints({ streamName: stream });
    expect(rows.map((r) => [r.shardId, r.sequence, r.owner])).toEqual([...lastByShard].sort().map(([shard, sequence]) => [shard, sequence, undefined]));
    await secondCheckpointer.close();
  });
});
