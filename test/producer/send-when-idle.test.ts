import { describe, expect, it } from "vitest";
import { KPLJsonProcessor } from "../../src/processors/index.ts";
import { Producer } from "../../src/producer/producer.ts";
import type { ProducerOptions } from "../../src/producer/options.ts";
import { testCredentials } from "../support/clients.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { type StubKinesis, stubKinesis } from "./stub-kinesis.ts";

/**
 * When a PutRecords request goes (sendWhenIdle, Nagle's rule): at once when nothing is in flight,
 * otherwise after the request in flight returns, or `bufferTime`, or a full batch. On a manual clock
 * against an in-process Kinesis whose answers the test holds back, so "in flight" is exact.
 */

const STREAM = "send-when-idle";
/** Explicit hash keys that land on shard 0 and shard 1 of a two-shard stream. */
const SHARD_0 = "0";
const SHARD_1 = String(1n << 127n);

interface HeldKinesis extends StubKinesis {
  /** Hold PutRecords answers (the requests still arrive and are counted) until `release`. */
  hold(): void;
  release(): void;
}

function heldKinesis(shards: number, clock: ManualClock): HeldKinesis {
  const stub = stubKinesis(STREAM, shards, () => clock.now());
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await stub.fetch(input, init);
    const held = gate;
    if (held !== undefined && new Headers(init?.headers).get("x-amz-target")?.endsWith(".PutRecords")) await held.promise;
    return response;
  };
  return {
    fetch,
    get puts() {
      return stub.puts;
    },
    hold() {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
  };
}

function producerOn<T>(clock: ManualClock, kinesis: StubKinesis, options: Partial<ProducerOptions<T>> = {}): Producer<T> {
  return new Producer<T>({ streamName: STREAM, region: "us-east-1", credentials: testCredentials, fetch: kinesis.fetch, clock, ...options });
}

/** Let the in-process requests and the producer's microtasks run without moving the clock. */
async function settle(clock: ManualClock): Promise<void> {
  for (let i = 0; i < 5; i++) await clock.advance(0, 1);
}

describe("sendWhenIdle (the default): Nagle's rule for PutRecords", () => {
  it("a single record is sent at once when nothing is in flight", async () => {
    const clock = new ManualClock();
    const kinesis = heldKinesis(1, clock);
    const producer = producerOn<{ n: number }>(clock, kinesis);
    const start = clock.now();
    await producer.put({ n: 1 }, "k");
    await settle(clock);

    expect(kinesis.puts).toEqual([{ records: 1, at: start }]);
    await producer.close();
  });

  it("records put while a request is in flight wait for it, then go out together without waiting bufferTime", async () => {
    const clock = new ManualClock();
    const kinesis = heldKinesis(1, clock);
    const producer = producerOn<{ n: number }>(clock, kinesis);
    const start = clock.now();
    kinesis.hold();
    await producer.put({ n: 0 }, "k");
    await settle(clock);
    for (let n = 1; n <= 3; n++) {
      await clock.advance(10, 1);
      await producer.put({ n }, "k");
    }
    await clock.advance(70, 1);
    // Still in flight 100 ms later: the three wait for it.
    expect(kinesis.puts.map((put) => put.records)).toEqual([1]);
    kinesis.release();
    await settle(clock);

    expect(kinesis.puts).toEqual([{ records: 1, at: start }, { records: 3, at: start + 100 }]);
    await producer.close();
  });

  it("a record waits at most bufferTime for another shard's request in flight", async () => {
    const clock = new ManualClock();
    const kinesis = heldKinesis(2, clock);
    const producer = producerOn<{ n: number }>(clock, kinesis, { bufferTime: 0.2 });
    const start = clock.now();
    kinesis.hold();
    await producer.put({ n: 0 }, "a", { explicitHashKey: SHARD_0 });
    await settle(clock);
    await producer.put({ n: 1 }, "b", { explicitHashKey: SHARD_1 });
    await clock.advance(199, 1);
    expect(kinesis.puts.length).toBe(1);
    await clock.advance(1, 1);

    // The first request is still held: the second shard's record went on its own after bufferTime.
    expect(kinesis.puts).toEqual([{ records: 1, at: start }, { records: 1, at: start + 200 }]);
    kinesis.release();
    await producer.close();
  });

  it("an aggregating producer sends its partial aggregate at once when nothing is in flight", async () => {
    const clock = new ManualClock();
    const kinesis = heldKinesis(1, clock);
    const producer = producerOn<unknown>(clock, kinesis, { processor: new KPLJsonProcessor() });
    const start = clock.now();
    await producer.put({ n: 1 }, "k");
    await settle(clock);

    expect(kinesis.puts).toEqual([{ records: 1, at: start }]);
    await producer.close();
  });

  it("a producer putting faster than its shard's limit sends full requests once the budget binds", async () => {
    const clock = new ManualClock();
    const kinesis = heldKinesis(1, clock);
    // Scaled down ten times (a limit of 100 records a second, 50-record batches) to keep the test quick.
    const producer = producerOn<{ n: number }>(clock, kinesis, { putRateLimitPerShard: 100, batchSize: 50 });
    const start = clock.now();
    // 200 records a second, one every 5 ms, for 6 s: twice the shard's limit.
    const puts: Array<Promise<void>> = [];
    for (let n = 0; n < 1200; n++) {
      puts.push(producer.put({ n }, `key-${n % 10}`));
      await clock.advance(5, 0);
    }
    const late = kinesis.puts.filter((put) => put.at - start >= 1500);
    // The first second's budget goes in small requests (nothing is in flight, and the budget allows);
    // from then on the shard is at its limit and every request waits for a full batch.
    expect(late.length).toBeGreaterThanOrEqual(8);
    expect(late.map((put) => put.records)).toEqual(late.map(() => 50));
    // Closing sends what is left at the shard's pace: keep the clock moving until it is done.
    const closed = producer.close();
    let done = false;
    void closed.finally(() => (done = true));
    while (!done) await clock.advance(100, 0);
    await closed;
    await Promise.all(puts);
  });

  it("with sendWhenIdle false, a single record waits bufferTime for a fuller batch", async () => {
    const clock = new ManualClock();
    const kinesis = heldKinesis(1, clock);
    const producer = producerOn<{ n: number }>(clock, kinesis, { sendWhenIdle: false });
    const start = clock.now();
    await producer.put({ n: 1 }, "k");
    await clock.advance(499, 1);
    expect(kinesis.puts.length).toBe(0);
    await clock.advance(1, 1);

    expect(kinesis.puts).toEqual([{ records: 1, at: start + 500 }]);
    await producer.close();
  });
});
