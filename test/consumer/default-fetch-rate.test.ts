import { describe, expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import { createFakeAws } from "../../src/testing/index.ts";
import { ManualClock } from "../../src/testing/manual-clock.ts";

/**
 * The default GetRecords pace (issue 11 §6): the service's 5 calls per second per shard, which bounds
 * the consumer's share of put → yield latency (half an interval at p50, a whole one at p99), and never
 * more. On a manual clock against the in-memory fake, so the calls' times are exact.
 */

/** The most times (ascending) inside any window of `windowMs` (a half-open window, as a per-second limit counts). */
function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while (times[to]! - times[from]! >= windowMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

describe("default GetRecords pace", () => {
  it("polls a shard 5 times a second by default, and never starts more than 5 GetRecords in any second", async () => {
    const clock = new ManualClock();
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    const getRecordsAt: number[] = [];
    const counting: typeof fetch = (input, init) => {
      if (new Headers(init?.headers).get("x-amz-target")?.endsWith(".GetRecords")) getRecordsAt.push(clock.now());
      return fake.fetch(input, init);
    };
    const consumer = new Consumer<{ n: number }>({ streamName: "s", ...fake.options, fetch: counting, clock });
    await consumer.waitReady();
    const reading = (async () => {
      let seen = 0;
      for await (const _ of consumer) seen++;
      return seen;
    })();
    // Records keep arriving (non-empty pages) for the first half, then the shard is idle (empty pages).
    const start = clock.now();
    for (let step = 0; step < 400; step++) {
      if (step < 200) fake.kinesis.putRecords("s", [{ data: JSON.stringify({ n: step }), partitionKey: "k" }]);
      await clock.advance(10);
    }
    await consumer.close();
    await reading;

    const inRun = getRecordsAt.filter((at) => at >= start);
    // 4 s at 5 a second: 20 calls (give or take the first).
    expect(inRun.length).toBeGreaterThanOrEqual(19);
    expect(inRun.length).toBeLessThanOrEqual(21);
    expect(mostInAnyWindow(getRecordsAt, 1000)).toBeLessThanOrEqual(5);
  });

  it("keeps polling 5 times a second when every GetRecords takes 50 ms, never more than 5 in any second as sent or answered", async () => {
    const clock = new ManualClock();
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    const sentAt: number[] = [];
    const answeredAt: number[] = [];
    const slow: typeof fetch = async (input, init) => {
      if (!new Headers(init?.headers).get("x-amz-target")?.endsWith(".GetRecords")) return fake.fetch(input, init);
      sentAt.push(clock.now());
      await clock.sleep(50);
      answeredAt.push(clock.now());
      return fake.fetch(input, init);
    };
    const consumer = new Consumer<{ n: number }>({ streamName: "s", ...fake.options, fetch: slow, clock });
    await consumer.waitReady();
    const reading = (async () => {
      for await (const _ of consumer) { /* drain */ }
    })();
    for (let step = 0; step < 400; step++) {
      if (step % 5 === 0) fake.kinesis.putRecords("s", [{ data: JSON.stringify({ n: step }), partitionKey: "k" }]);
      await clock.advance(10);
    }
    // A GetRecords may be in flight (sleeping on the manual clock): keep the clock moving while closing.
    let closed = false;
    const closing = consumer.close().finally(() => (closed = true));
    while (!closed) await clock.advance(10);
    await closing;
    await reading;

    // From the end of each call the pace would be 250 ms (16 calls in 4 s); start to start it is 210.
    expect(sentAt.length).toBeGreaterThanOrEqual(18);
    expect(mostInAnyWindow(sentAt, 1000)).toBeLessThanOrEqual(5);
    expect(mostInAnyWindow(answeredAt, 1000)).toBeLessThanOrEqual(5);
  });

  it("keeps to 5 GetRecords a second while the service throttles the shard: the client's retries keep the pace too", async () => {
    const clock = new ManualClock();
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    const getRecordsAt: number[] = [];
    const counting: typeof fetch = (input, init) => {
      if (new Headers(init?.headers).get("x-amz-target")?.endsWith(".GetRecords")) getRecordsAt.push(clock.now());
      return fake.fetch(input, init);
    };
    const consumer = new Consumer<{ n: number }>({ streamName: "s", ...fake.options, fetch: counting, clock, random: () => 0 });
    await consumer.waitReady();
    const reading = (async () => {
      for await (const _ of consumer) { /* drain */ }
    })();
    // Jitter 0 (random: () => 0): the client's backoff alone would retry at once.
    fake.kinesis.throttleNext("GetRecords", 4);
    for (let step = 0; step < 800; step++) await clock.advance(10);
    await consumer.close();
    await reading;

    // Throttled four times, then polled at the pace again.
    expect(fake.calls("GetRecords")).toBeGreaterThan(10);
    expect(mostInAnyWindow(getRecordsAt, 1000)).toBeLessThanOrEqual(5);
  });
});
