import { afterEach, describe, expect, inject, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import { AwsServiceError } from "../../src/errors.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { collectRecords, expectExactlyOnce, expectShardOrder, type Item, type Put, putItems } from "../support/delivery-checks.ts";
import { type FaultRule, startFaultProxy } from "../support/fault-proxy.ts";
import { startShardFaultProxy } from "../support/shard-fault-proxy.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function consumerVia(endpoint: string, streamName: string, extra: Partial<ConsumerOptions<Item>> = {}): Consumer<Item> {
  const consumer = new Consumer<Item>({
    streamName,
    endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    sleepTimeNoRecords: 0.2,
    idleTimeout: 2,
    // Two attempts per call: most faults are retried by the client, the rest reach the shard reader.
    maxAttempts: 2,
    ...extra,
  });
  closers.push(() => consumer.close());
  return consumer;
}

/** A stream on kinesalite with `count` records spread over `shards` shards, put directly (no faults). */
async function filledStream(shards: number, count: number, prefix: string): Promise<{ stream: string; puts: Put[] }> {
  const kinesis = localKinesis();
  const stream = await createStream(kinesis, shards, prefix);
  const puts: Put[] = [];
  for (let from = 0; from < count; from += 500) puts.push(...(await putItems(kinesis, stream, prefix, from, Math.min(500, count - from))));
  expect(new Set(puts.map((p) => p.shardId)).size).toBe(shards);
  return { stream, puts };
}

/** The events of one kind, and the counters stats() keeps for them, must agree. */
function expectStatsMatchEvents(consumer: Consumer<Item>, events: readonly ConsumerEvent[]): void {
  const stats = consumer.stats();
  expect(stats.throttles).toBe(events.filter((e) => e.type === "throttled").length);
  const errors: Record<string, number> = {};
  for (const event of events) if (event.type === "error") errors[event.errorName] = (errors[event.errorName] ?? 0) + 1;
  expect(stats.errorsByName).toEqual(errors);
}

describe("Consumer through the fault proxy", () => {
  it("delivers every record exactly once, in shard order, through throttling, 5xx, resets, truncation and latency on GetRecords", async () => {
    const { stream, puts } = await filledStream(3, 600, "chaos");
    const proxy = await startFaultProxy({
      target: inject("kinesisEndpoint"),
      seed: 20240501,
      rules: (
        [
          { kind: "throttle" },
          { kind: "http-error", status: 500, body: "json" },
          { kind: "http-error", status: 503, body: "html" },
          { kind: "http-error", status: 500, body: "empty" },
          { kind: "reset-before" },
          { kind: "reset-after" },
          { kind: "truncate" },
        ] as const
      )
        .map((fault): FaultRule => ({ operation: "GetRecords", probability: 0.07, fault }))
        .concat([{ operation: "GetRecords", probability: 0.2, fault: { kind: "latency", ms: 30 } }]),
    });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { recordLimit: 15, onEvent: (e) => events.push(e) });
    const delivered = await collectRecords(consumer.records());

    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    const faults = proxy.stats().byOperation["GetRecords"]!.faults;
    for (const kind of ["throttle", "http-error", "reset-before", "reset-after", "truncate", "latency"] as const) {
      expect(faults[kind], `${kind} injected`).toBeGreaterThan(0);
    }
    // Throttles are reported per attempt; failures the client's two attempts did not fix reach the reader.
    expect(events.filter((e) => e.type === "throttled").length).toBeGreaterThan(0);
    const readerErrors = events.filter((e) => e.type === "error");
    expect(readerErrors.length).toBeGreaterThan(0);
    expect(readerErrors.every((e) => e.type === "error" && e.willRetry && e.shardId !== undefined)).toBe(true);
    expectStatsMatchEvents(consumer, events);
  });

  it("does not end iteration by idleTimeout while a shard is backing off after errors", async () => {
    const { stream, puts } = await filledStream(1, 40, "backoff-idle");
    const proxy = await startFaultProxy({
      target: inject("kinesisEndpoint"),
      seed: 5,
      rules: [{ operation: "GetRecords", first: 3, fault: { kind: "http-error", status: 500, body: "json" } }],
    });
    closers.push(() => proxy.close());
    // One attempt per call and jitter near its ceiling: the reader backs off ~3.8 s in all, far
    // longer than the idle timeout, before its first GetRecords succeeds.
    const consumer = consumerVia(proxy.endpoint, stream, { maxAttempts: 1, idleTimeout: 0.5, random: () => 0.99 });
    const delivered = await collectRecords(consumer.records());
    expectExactlyOnce(puts, delivered);
    expect(proxy.stats().byOperation["GetRecords"]!.faults["http-error"]).toBe(3);
  });

  it("abandons a GetRecords that hangs past attemptTimeout and retries it without loss or duplicates", async () => {
    const { stream, puts } = await filledStream(1, 50, "hang");
    const proxy = await startFaultProxy({
      target: inject("kinesisEndpoint"),
      seed: 11,
      rules: [2, 4].map((nth): FaultRule => ({ operation: "GetRecords", nth, fault: { kind: "latency", ms: 3000 } })),
    });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { recordLimit: 10, attemptTimeout: 0.3, maxAttempts: 1, onEvent: (e) => events.push(e) });
    const delivered = await collectRecords(consumer.records());
    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    expect(proxy.stats().byOperation["GetRecords"]!.faults.latency).toBe(2);
    expect(events.filter((e) => e.type === "error" && e.errorName === "TimeoutError" && e.willRetry)).toHaveLength(2);
    expectStatsMatchEvents(consumer, events);
  });

  it("recovers from throttling and 5xx on DescribeStreamSummary, ListShards and GetShardIterator beyond the client's retries", async () => {
    const { stream, puts } = await filledStream(2, 100, "control");
    const proxy = await startFaultProxy({
      target: inject("kinesisEndpoint"),
      seed: 7,
      rules: [
        { operation: "DescribeStreamSummary", first: 3, fault: { kind: "http-error", status: 503, body: "json" } },
        { operation: "ListShards", first: 4, fault: { kind: "throttle", code: "LimitExceededException" } },
        { operation: "GetShardIterator", first: 5, fault: { kind: "throttle" } },
      ],
    });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { onEvent: (e) => events.push(e) });
    const delivered = await collectRecords(consumer.records());

    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    const faults = proxy.stats().byOperation;
    expect(faults["DescribeStreamSummary"]!.faults["http-error"]).toBe(3);
    expect(faults["ListShards"]!.faults.throttle).toBe(4);
    expect(faults["GetShardIterator"]!.faults.throttle).toBe(5);
    expect(events.filter((e) => e.type === "throttled").length).toBeGreaterThanOrEqual(9);
    expect(events.some((e) => e.type === "error" && e.willRetry && e.errorName === "AwsServiceError")).toBe(true);
    expectStatsMatchEvents(consumer, events);
  });

  it("keeps the other shards flowing while one shard is throttled persistently, then catches that shard up", async () => {
    const { stream, puts: early } = await filledStream(3, 90, "oneslow");
    const slow = early[0]!.shardId;
    const proxy = await startShardFaultProxy({ target: inject("kinesisEndpoint") });
    closers.push(() => proxy.close());
    // Throttle the slow shard's reads from its very first GetRecords on, for as long as records keep coming.
    proxy.setRules([{ shardId: slow, operation: "GetRecords", fault: { kind: "throttle" } }]);
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { idleTimeout: undefined, onEvent: (e) => events.push(e) });
    const delivered: Array<ConsumerRecord<Item>> = [];
    let total = Number.POSITIVE_INFINITY;
    const reading = (async () => {
      for await (const record of consumer.records()) {
        delivered.push(record);
        if (delivered.length >= total) break;
      }
    })();
    // Keep putting for ~2 s while the slow shard is refused every time.
    const kinesis = localKinesis();
    const puts = [...early];
    for (let batch = 0; batch < 10; batch++) {
      puts.push(...(await putItems(kinesis, stream, "oneslow-late", batch * 12, 12)));
      await new Promise((r) => setTimeout(r, 200));
    }
    const others = puts.filter((p) => p.shardId !== slow);
    for (let i = 0; i < 100 && delivered.length < others.length; i++) await new Promise((r) => setTimeout(r, 50));
    // Every other shard's record, old and new, came out while the slow shard delivered nothing.
    expect(delivered.map((r) => r.shardId)).not.toContain(slow);
    expect(delivered.map((r) => r.data.id).sort()).toEqual(others.map((p) => p.id).sort());
    const refused = proxy.injected()[`GetRecords ${slow}`]!;
    expect(refused).toBeGreaterThanOrEqual(3);
    proxy.setRules([]);
    total = puts.length;
    await reading;

    expectExactlyOnce(puts, delivered);
    expectShardOrder(delivered);
    expect(events.filter((e) => e.type === "throttled").length).toBeGreaterThanOrEqual(refused);
    expect(events.some((e) => e.type === "error" && e.shardId === slow && e.willRetry)).toBe(true);
    expectStatsMatchEvents(consumer, events);
  });
});

describe("fatal errors reach the iterator", () => {
  const accessDenied = {
    kind: "error",
    status: 400,
    code: "AccessDeniedException",
    message: "User is not authorized to perform: kinesis:GetRecords",
  } as const;

  it("an AccessDeniedException on GetRecords rejects the waiting iterator with a typed AwsServiceError", async () => {
    const { stream } = await filledStream(2, 10, "denied");
    const proxy = await startShardFaultProxy({ target: inject("kinesisEndpoint"), rules: [{ operation: "GetRecords", fault: accessDenied }] });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { onEvent: (e) => events.push(e) });
    const error = await collectRecords(consumer.records()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ awsCode: "AccessDeniedException", operation: "GetRecords", retryable: false });
    expect(events.some((e) => e.type === "error" && e.errorName === "AwsServiceError" && !e.willRetry && e.shardId !== undefined)).toBe(true);
    expectStatsMatchEvents(consumer, events);
  });

  it("a fatal error that happens while the caller is busy with a record is thrown at the next call, not turned into a silent end", async () => {
    const { stream, puts } = await filledStream(1, 40, "busy");
    const proxy = await startShardFaultProxy({ target: inject("kinesisEndpoint") });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = consumerVia(proxy.endpoint, stream, { maxQueueSize: 5, recordLimit: 5, idleTimeout: 5, onEvent: (e) => events.push(e) });
    const iterator = consumer.records();
    const first = await iterator.next();
    expect(first.value?.data.id).toBe(puts[0]!.id);
    // While the caller works on the first record, the reader's next GetRecords is refused for good.
    proxy.setRules([{ operation: "GetRecords", fault: accessDenied }]);
    for (let i = 0; i < 100 && !events.some((e) => e.type === "error"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(events.some((e) => e.type === "error" && !e.willRetry)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const outcome = await (async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) return "ended";
        }
      } catch (error) {
        return error;
      }
    })();
    expect(outcome).toBeInstanceOf(AwsServiceError);
    expect((outcome as AwsServiceError).awsCode).toBe("AccessDeniedException");
  });

  it("an AccessDeniedException on GetShardIterator reaches the iterator too", async () => {
    const { stream } = await filledStream(1, 5, "denied-iter");
    const proxy = await startShardFaultProxy({
      target: inject("kinesisEndpoint"),
      rules: [{ operation: "GetShardIterator", fault: { ...accessDenied, message: "User is not authorized to perform: kinesis:GetShardIterator" } }],
    });
    closers.push(() => proxy.close());
    const consumer = consumerVia(proxy.endpoint, stream);
    const error = await collectRecords(consumer.records()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ awsCode: "AccessDeniedException", operation: "GetShardIterator" });
  });
});
