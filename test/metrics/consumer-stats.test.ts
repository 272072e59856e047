/**
 * What `Consumer.stats()` adds for metrics, against kinesalite: records and bytes fetched per page,
 * leases held, checkpoint writes, and a shard's last known lag kept (with when it was seen and an
 * `erroring` flag) while its GetRecords calls fail, so `toPrometheus` keeps reporting it.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { type Clock, systemClock } from "../../src/internal/clock.ts";
import { toPrometheus } from "../../src/metrics/prometheus.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { type Item, putItems } from "../support/delivery-checks.ts";
import { startShardFaultProxy } from "../support/shard-fault-proxy.ts";
import { until } from "../consumer/harness.ts";
import { parseOpenMetrics, valueOf } from "./openmetrics-check.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function consumerOn(endpoint: string, streamName: string, extra: Partial<ConstructorParameters<typeof Consumer<Item>>[0]> = {}): Consumer<Item> {
  const consumer = new Consumer<Item>({
    streamName,
    endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    sleepTimeNoRecords: 0.1,
    maxAttempts: 1,
    ...extra,
  });
  closers.push(() => consumer.close());
  return consumer;
}

/** Read in the background until the consumer closes; returns what was delivered so far, live. */
function drain(consumer: Consumer<Item>): Item[] {
  const items: Item[] = [];
  void (async () => {
    for await (const item of consumer) items.push(item);
  })().catch(() => undefined);
  return items;
}

describe("Consumer.stats() for metrics", () => {
  it("counts records and bytes fetched (per page), leases held, and checkpoint writes (not heartbeats)", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "metrics-counts");
    const puts = await putItems(kinesis, stream, "m", 0, 30);
    const events: ConsumerEvent[] = [];
    const consumer = consumerOn(inject("kinesisEndpoint"), stream, { checkpointer: new MemoryCheckPointer(), onEvent: (e) => events.push(e) });
    const items = drain(consumer);
    await until(() => items.length === puts.length, "every record delivered");

    const fetched = events.filter((e): e is Extract<ConsumerEvent, { type: "fetched" }> => e.type === "fetched");
    const stats = consumer.stats();
    expect(stats.recordsFetched).toBe(30);
    expect(stats.bytesFetched).toBe(fetched.reduce((n, e) => n + e.bytes, 0));
    expect(stats.bytesFetched).toBe(stats.bytesDelivered);
    expect(stats.leasesHeld).toBe(2);
    for (const shard of Object.values(stats.shards)) expect(shard.leased).toBe(true);
    expect(Object.values(stats.shards).reduce((n, s) => n + s.recordsFetched, 0)).toBe(30);

    // The item in hand is committed by asking for the next one; manualCheckpoint commits it too.
    await consumer.manualCheckpoint();
    const shardsWithRecords = new Set(puts.map((p) => p.shardId)).size;
    expect(consumer.stats().checkpointWrites).toBeGreaterThanOrEqual(shardsWithRecords);
    const written = consumer.stats().checkpointWrites;
    await consumer.manualCheckpoint(); // nothing new: no write carries a checkpoint
    expect(consumer.stats().checkpointWrites).toBe(written);

    await consumer.close();
    expect(consumer.stats().leasesHeld).toBe(0);
  });

  it("keeps a shard's last lag, when it was seen, and an erroring flag while GetRecords fails; toPrometheus still reports the lag", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "metrics-lag");
    const puts = await putItems(kinesis, stream, "lag", 0, 10);
    const shardId = puts[0]!.shardId;
    const proxy = await startShardFaultProxy({ target: inject("kinesisEndpoint") });
    closers.push(() => proxy.close());
    // The consumer's clock, ten years ahead, remembering its last reading: the observation time must be the consumer's clock.
    let lastNow = 0;
    const clock: Clock = { now: () => (lastNow = Date.now() + 315_360_000_000), sleep: systemClock.sleep, monotonic: () => performance.now() };
    let lastPageAt = 0;
    const consumer = consumerOn(proxy.endpoint, stream, {
      clock,
      onEvent: (e) => {
        if (e.type === "fetched" && e.millisBehindLatest !== undefined) lastPageAt = lastNow;
      },
    });
    const items = drain(consumer);
    await until(() => items.length === 10, "the records delivered");
    const before = consumer.stats().shards[shardId]!;
    expect(before).toMatchObject({ erroring: false, leased: true, millisBehindLatest: 0 });

    proxy.setRules([{ operation: "GetRecords", fault: { kind: "error", status: 500, code: "InternalFailure", message: "injected" } }]);
    await until(() => consumer.stats().shards[shardId]!.erroring, "the shard to be erroring");
    const during = consumer.stats();
    expect(during.errorsByName["AwsServiceError"]).toBeGreaterThan(0);
    expect(during.shards[shardId]).toMatchObject({ erroring: true, leased: true, millisBehindLatest: 0, millisBehindLatestAt: lastPageAt });
    const families = parseOpenMetrics(toPrometheus(during));
    expect(valueOf(families, "kinesis_consumer_shard_lag_seconds", { shard_id: shardId })).toBe(0);
    expect(valueOf(families, "kinesis_consumer_shard_lag_observed_timestamp_seconds", { shard_id: shardId })).toBe(lastPageAt / 1000);
    expect(valueOf(families, "kinesis_consumer_shard_erroring", { shard_id: shardId })).toBe(1);

    const seenBeforeFailing = lastPageAt;
    proxy.setRules([]);
    await until(() => !consumer.stats().shards[shardId]!.erroring, "the shard to read again");
    expect(consumer.stats().shards[shardId]!.millisBehindLatestAt).toBeGreaterThan(seenBeforeFailing);
    expect(valueOf(parseOpenMetrics(toPrometheus(consumer.stats())), "kinesis_consumer_shard_erroring", { shard_id: shardId })).toBe(0);
  });
});
