/**
 * The consumer's events and counters: what `onEvent` sees while shards start, pages arrive, a shard
 * ends after a split, a lease moves to another consumer, or the service throttles; what `stats()`
 * adds up to; and that a listener which throws changes nothing.
 */
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession } from "../../src/checkpointers/types.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { LeaseLostError } from "../../src/errors.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { withSessionOverrides } from "../support/session-overrides.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { sdkKinesis, type SdkPut, sdkPutAll } from "../support/sdk.ts";
import { collect, hashKeyIn, localConsumer, openShards, until } from "./harness.ts";

const sdk = sdkKinesis();
afterAll(() => sdk.destroy());
const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

const encoder = new TextEncoder();

function jsonRecords(count: number, prefix: string): Array<{ data: Uint8Array; partitionKey: string }> {
  return Array.from(
    { length: count },
    (_, i) => ({ data: encoder.encode(JSON.stringify({ id: `${prefix}-${i}`, pad: "x".repeat(i % 13) })), partitionKey: `${prefix}-${i}` }),
  );
}

function countBy<T>(items: readonly T[], key: (item: T) => string, weight: (item: T) => number = () => 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + weight(item);
  return out;
}

/** Memory leases whose owner a test can take away, as another worker's conditional write would. */
class StealableCheckPointer implements CheckPointer {
  readonly #controllers = new Map<string, AbortController>();
  constructor(readonly inner: CheckPointer) {}

  steal(shardId: string): void {
    this.#controllers.get(shardId)?.abort(new LeaseLostError(shardId, "taken", "taken by another worker", "other/worker"));
  }

  start(scope: CheckpointScope): Promise<CheckpointSession> {
    return withSessionOverrides(this.inner, (session) => ({
      allocate: async (shardId, context) => {
        const lease = await session.allocate(shardId, context);
        if (lease === undefined) return undefined;
        const controller = new AbortController();
        lease.signal.addEventListener("abort", () => controller.abort(lease.signal.reason), { once: true });
        this.#controllers.set(shardId, controller);
        return { ...lease, signal: controller.signal };
      },
    })).start(scope);
  }

  manualCheckpoint(): Promise<void> {
    return this.inner.manualCheckpoint();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

type Of<K extends ConsumerEvent["type"]> = Extract<ConsumerEvent, { type: K }>;
const ofType = <K extends ConsumerEvent["type"]>(events: readonly ConsumerEvent[], type: K): Array<Of<K>> => events.filter((e): e is Of<K> => e.type === type);

describe("Consumer events", () => {
  it("reports leaseAcquired then shardStarted per shard, fetched pages with records, bytes and lag, and stats that add up", async () => {
    const stream = await createStream(localKinesis(), 2, "events");
    const put = await sdkPutAll(sdk, stream, jsonRecords(80, "e"));
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { onEvent: (e) => events.push(e) });

    // Events are synchronous: a record's page is reported before the record is delivered.
    const deliveredSoFar: Record<string, number> = {};
    for await (const record of consumer.records()) {
      deliveredSoFar[record.shardId] = (deliveredSoFar[record.shardId] ?? 0) + 1;
      const fetchedSoFar = ofType(events, "fetched").filter((e) => e.shardId === record.shardId).reduce((n, e) => n + e.records, 0);
      expect(fetchedSoFar).toBeGreaterThanOrEqual(deliveredSoFar[record.shardId]!);
    }

    const shardIds = [...new Set(put.map((p) => p.shardId))].sort();
    expect(shardIds).toHaveLength(2);
    for (const shardId of shardIds) {
      const acquired = events.findIndex((e) => e.type === "leaseAcquired" && e.shardId === shardId);
      const started = events.findIndex((e) => e.type === "shardStarted" && e.shardId === shardId);
      expect(events[acquired]).toEqual({ type: "leaseAcquired", shardId, sequence: undefined });
      expect(events[started]).toEqual({ type: "shardStarted", shardId, position: "TRIM_HORIZON" });
      expect(acquired).toBeLessThan(started);
    }

    const fetched = ofType(events, "fetched");
    const perShardCount = countBy(put, (p) => p.shardId);
    const perShardBytes = countBy(put, (p) => p.shardId, (p) => p.data.length);
    expect(countBy(fetched, (e) => e.shardId, (e) => e.records)).toEqual(perShardCount);
    expect(countBy(fetched, (e) => e.shardId, (e) => e.bytes)).toEqual(perShardBytes);
    for (const event of fetched) expect(event.millisBehindLatest).toBeTypeOf("number");

    const totalBytes = put.reduce((n, p) => n + p.data.length, 0);
    const stats = consumer.stats();
    expect(stats).toMatchObject({ recordsDelivered: 80, bytesDelivered: totalBytes, throttles: 0, errorsByName: {} });
    expect(Object.keys(stats.shards).sort()).toEqual(shardIds);
    for (const shardId of shardIds) {
      expect(stats.shards[shardId]).toMatchObject({
        recordsDelivered: perShardCount[shardId],
        recordsFetched: perShardCount[shardId],
        bytesFetched: perShardBytes[shardId],
        millisBehindLatest: fetched.filter((e) => e.shardId === shardId).at(-1)!.millisBehindLatest,
        erroring: false,
        kplOutOfRange: 0,
      });
    }
  });

  it("reports shardEnded with the parent's last sequence after a split, then starts both children from TRIM_HORIZON", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "events-split");
    const before = await sdkPutAll(sdk, stream, jsonRecords(15, "before"));
    const [parent] = await openShards(stream);
    await kinesis.splitShard(stream, parent!.shardId, hashKeyIn(parent!, 0.5));
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });
    const children = await openShards(stream);
    expect(children).toHaveLength(2);
    const after = await sdkPutAll(sdk, stream, jsonRecords(15, "after"));
    expect(new Set(after.map((p) => p.shardId))).toEqual(new Set(children.map((c) => c.shardId)));

    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { onEvent: (e) => events.push(e) });
    const items = await collect(consumer);
    expect(items.map((i) => i.id).sort()).toEqual([...before, ...after].map((p) => JSON.parse(new TextDecoder().decode(p.data)).id).sort());

    const ended = ofType(events, "shardEnded");
    expect(ended).toEqual([{ type: "shardEnded", shardId: parent!.shardId, lastSequence: before.at(-1)!.sequenceNumber }]);
    const endedAt = events.indexOf(ended[0]!);
    for (const child of children) {
      const startedAt = events.findIndex((e) => e.type === "shardStarted" && e.shardId === child.shardId);
      expect(events[startedAt]).toEqual({ type: "shardStarted", shardId: child.shardId, position: "TRIM_HORIZON" });
      expect(startedAt).toBeGreaterThan(endedAt);
    }
    expect(Object.keys(consumer.stats().shards).sort()).toEqual([parent!.shardId, ...children.map((c) => c.shardId)].sort());
  });

  it("reports leaseReleased (handed-over) with the records dropped from the queue when another consumer takes shards over", async () => {
    const stream = await createStream(localKinesis(), 4, "events-lost");
    const shards = await openShards(stream);
    const perShard = 10;
    const put: SdkPut[] = await sdkPutAll(
      sdk,
      stream,
      shards.flatMap((shard, s) =>
        Array.from({ length: perShard }, (_, i) => ({
          data: encoder.encode(JSON.stringify({ id: `${s}-${i}` })),
          partitionKey: `k-${s}-${i}`,
          explicitHashKey: hashKeyIn(shard, (i + 1) / (perShard + 2)),
        }))
      ),
    );
    const shared = new MemoryCheckPointer();
    const firstEvents: ConsumerEvent[] = [];
    await using first = localConsumer<{ id: string }>(stream, { checkpointer: shared, onEvent: (e) => firstEvents.push(e) });
    await first.waitReady();
    // Nobody iterates yet: every record sits in the first consumer's queue.
    await until(() => ofType(firstEvents, "fetched").reduce((n, e) => n + e.records, 0) === put.length, "all records queued");
    expect(first.shards).toHaveLength(4);

    await using second = localConsumer<{ id: string }>(stream, { checkpointer: shared });
    await second.waitReady(); // starts it: it asks for its share in its first round
    // The first consumer hands two shards over at its next heartbeat after the second asks.
    await until(() => second.shards.length === 2, "the handoff");
    await second.waitReady();
    // A handoff is the first consumer's own choice: leaseReleased, never leaseLost.
    expect(ofType(firstEvents, "leaseLost")).toEqual([]);
    const lost = ofType(firstEvents, "leaseReleased");
    expect(lost).toHaveLength(2);
    expect(lost.map((e) => e.shardId).sort()).toEqual([...second.shards].sort());
    for (const event of lost) {
      expect(event.droppedRecords).toBe(perShard);
      expect(event.reason).toBe("handed-over");
    }

    const [fromFirst, fromSecond] = await Promise.all([collect(first.records()), collect(second.records())]);
    expect(new Set(fromFirst.map((r) => r.shardId))).toEqual(new Set(first.shards));
    expect(fromFirst.length + fromSecond.length).toBe(put.length);
    expect(new Set([...fromFirst, ...fromSecond].map((r) => r.sequenceNumber)).size).toBe(put.length);
    expect(first.stats().recordsDelivered).toBe(2 * perShard);
  });

  it("reports leaseLost with the dropped records when a lease is taken away, and stops only that shard", async () => {
    const stream = await createStream(localKinesis(), 2, "events-taken");
    const [taken, kept] = await openShards(stream);
    const perShard = 10;
    const put = await sdkPutAll(
      sdk,
      stream,
      [taken!, kept!].flatMap((shard, s) =>
        Array.from({ length: perShard }, (_, i) => ({
          data: encoder.encode(JSON.stringify({ id: `${s}-${i}` })),
          partitionKey: `t-${s}-${i}`,
          explicitHashKey: hashKeyIn(shard, (i + 1) / (perShard + 2)),
        }))
      ),
    );
    const checkpointer = new StealableCheckPointer(new MemoryCheckPointer());
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { checkpointer, onEvent: (e) => events.push(e) });
    await consumer.waitReady();
    await until(() => ofType(events, "fetched").reduce((n, e) => n + e.records, 0) === put.length, "all records queued");

    checkpointer.steal(taken!.shardId);
    expect(ofType(events, "leaseReleased")).toEqual([]);
    const lost = ofType(events, "leaseLost");
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ shardId: taken!.shardId, droppedRecords: perShard });
    // The typed reason to switch on, and the message for logs.
    expect(lost[0]!.reason).toBe("taken");
    expect(lost[0]!.message).toContain("taken by another worker");

    const records = await collect(consumer.records());
    expect(records.map((r) => r.sequenceNumber)).toEqual(put.filter((p) => p.shardId === kept!.shardId).map((p) => p.sequenceNumber));
    expect(consumer.shards).toEqual([kept!.shardId]);
  });

  it("close() emits leaseReleased (reason released) for every shard the consumer held", async () => {
    const stream = await createStream(localKinesis(), 3, "events-close");
    const events: ConsumerEvent[] = [];
    const consumer = localConsumer<unknown>(stream, { checkpointer: new MemoryCheckPointer(), onEvent: (e) => events.push(e) });
    await consumer.waitReady();
    const held = [...consumer.shards].sort();
    expect(held).toHaveLength(3);
    await consumer.close();
    const released = ofType(events, "leaseReleased");
    expect(released.map((e) => e.shardId).sort()).toEqual(held);
    for (const event of released) expect(event.reason).toBe("released");
    expect(ofType(events, "leaseLost")).toEqual([]);
  });

  it("counts throttled GetRecords calls and retryable errors, and loses nothing", async () => {
    const proxy = await startFaultProxy({
      target: inject("kinesisEndpoint"),
      seed: 7,
      rules: [
        { operation: "GetRecords", first: 2, fault: { kind: "throttle" } },
        { operation: "GetRecords", nth: 3, fault: { kind: "http-error", status: 500, body: "json" } },
      ],
    });
    proxies.push(proxy);
    const stream = await createStream(localKinesis(), 1, "events-throttle");
    await sdkPutAll(sdk, stream, jsonRecords(20, "t"));
    const events: ConsumerEvent[] = [];
    // One attempt per call, so the 500 reaches the reader, which reports it and tries again. The idle
    // timeout outlasts the reader's backoff after three failures in a row (up to ~3.5 s).
    await using consumer = localConsumer<{ id: string }>(stream, { endpoint: proxy.endpoint, maxAttempts: 1, idleTimeout: 5, onEvent: (e) => events.push(e) });
    const items = await collect(consumer);
    expect(items.map((i) => i.id)).toEqual(Array.from({ length: 20 }, (_, i) => `t-${i}`));

    const throttled = ofType(events, "throttled");
    expect(throttled.map((e) => e.operation)).toEqual(["GetRecords", "GetRecords"]);
    const errors = ofType(events, "error");
    expect(errors.length).toBe(3);
    expect(errors.every((e) => e.willRetry && e.shardId !== undefined)).toBe(true);
    const stats = consumer.stats();
    expect(stats.throttles).toBe(2);
    expect(Object.values(stats.errorsByName).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("keeps consuming when the onEvent listener throws on every event", async () => {
    const stream = await createStream(localKinesis(), 2, "events-throw");
    const put = await sdkPutAll(sdk, stream, jsonRecords(40, "x"));
    let calls = 0;
    await using consumer = localConsumer<{ id: string }>(stream, {
      onEvent: () => {
        calls++;
        throw new Error("listener bug");
      },
    });
    const items = await collect(consumer);
    expect(items.map((i) => i.id).sort()).toEqual(put.map((_, i) => `x-${i}`).sort());
    expect(calls).toBeGreaterThanOrEqual(2 * 2); // leaseAcquired and shardStarted per shard, at least
    expect(consumer.stats().recordsDelivered).toBe(40);
  });
});
