/**
 * Enhanced fan-out is accounted for like polling, on the in-memory Kinesis of async-kinesis/testing
 * (its fetch serves SubscribeToShard; `throttleNext("SubscribeToShard")` answers
 * ProvisionedThroughputExceededException): one credential resolution per consumer for its Kinesis
 * calls and its subscriptions, throttled subscriptions in `throttled` events and `stats().throttles`,
 * and every SubscribeToShard request in a bounded step's `stopAfter.requests`.
 */
import { describe, expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { createFakeAws } from "../../src/testing/index.ts";

interface Item {
  n: number;
}

const entries = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => ({ data: JSON.stringify({ n: from + k }), partitionKey: `pk-${from + k}` }));

/** The iterator's next result, or "late" after 15 s (a failure to report instead of a test that hangs). */
async function nextWithin15s(iterator: AsyncIterator<Item>): Promise<IteratorResult<Item> | "late"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), 15_000);
  });
  try {
    return await Promise.race([iterator.next(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The next `count` items, or a failure naming what never came (instead of a test that hangs). */
async function take(iterator: AsyncIterator<Item>, count: number, what: string): Promise<Item[]> {
  const out: Item[] = [];
  while (out.length < count) {
    const next = await nextWithin15s(iterator);
    if (next === "late") throw new Error(`${what}: ${out.length} of ${count} items came in 15 s`);
    if (next.done === true) throw new Error(`${what}: the consumer ended after ${out.length} of ${count} items`);
    out.push(next.value);
  }
  return out;
}

/** A fan-out consumer of stream "s" on `fake`, with no jitter, recording its events in `events`. */
function fanOutConsumer(fake: ReturnType<typeof createFakeAws>, events: ConsumerEvent[], extra: { stopAfter?: { requests: number } } = {}): Consumer<Item> {
  return new Consumer<Item>({
    streamName: "s",
    ...fake.options,
    random: () => 0,
    fanOut: { consumerName: "app" },
    onEvent: (event) => events.push(event),
    ...extra,
  });
}

describe("enhanced fan-out accounting", () => {
  it("one consumer with fanOut resolves its credentials provider once, for its Kinesis calls and SubscribeToShard alike", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 2);
    fake.kinesis.putRecords("s", entries(0, 6));
    let resolved = 0;
    const credentials = async () => {
      resolved++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { ...fake.options.credentials, sessionToken: "session-token", expiration: new Date(Date.now() + 3_600_000) };
    };
    const consumer = new Consumer<Item>({ streamName: "s", ...fake.options, credentials, fanOut: { consumerName: "app" } });
    await take(consumer[Symbol.asyncIterator](), 6, "records through SubscribeToShard");
    await consumer.close();
    expect(fake.calls("SubscribeToShard")).toBe(2);
    expect(fake.calls("DescribeStreamSummary")).toBeGreaterThan(0);
    expect(resolved).toBe(1);
  });

  it("throttled SubscribeToShard calls are throttled events and count in stats().throttles, as throttled GetRecords calls do", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 1);
    fake.kinesis.putRecords("s", entries(0, 3));
    fake.kinesis.throttleNext("SubscribeToShard", 2);
    const events: ConsumerEvent[] = [];
    const consumer = fanOutConsumer(fake, events);
    expect(await take(consumer[Symbol.asyncIterator](), 3, "records after two throttled subscriptions")).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(fake.calls("SubscribeToShard")).toBe(3);
    expect(events.filter((e) => e.type === "throttled")).toEqual([
      { type: "throttled", shardId: undefined, operation: "SubscribeToShard" },
      { type: "throttled", shardId: undefined, operation: "SubscribeToShard" },
    ]);
    expect(consumer.stats().throttles).toBe(2);
    await consumer.close();
  });

  it("a bounded step's requests bound counts every SubscribeToShard request, throttled ones too, and ends a step whose subscriptions keep being throttled", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 1);
    fake.kinesis.putRecords("s", entries(0, 3));
    fake.kinesis.throttleNext("SubscribeToShard", 1000);
    const events: ConsumerEvent[] = [];
    const consumer = fanOutConsumer(fake, events, { stopAfter: { requests: 12 } });
    // Every subscription is throttled: only the requests bound can end this step.
    const end = await nextWithin15s(consumer[Symbol.asyncIterator]());
    await consumer.close();
    expect(end).toEqual({ done: true, value: undefined });
    const ended = events.find((e) => e.type === "stepEnded");
    expect(ended).toMatchObject({ type: "stepEnded", reason: "requests" });
    expect(fake.calls("SubscribeToShard")).toBeGreaterThan(1);
    // The memory checkpointer sends nothing: every request the step made went to the fake Kinesis.
    expect(ended?.type === "stepEnded" ? ended.requests : undefined).toBe(fake.requests.length);
    expect(fake.requests.length).toBeLessThanOrEqual(12);
  });
});
