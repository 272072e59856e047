import { describe, expect, it } from "vitest";
import { BytesProcessor } from "../../src/processors/index.ts";
import { Producer } from "../../src/producer/producer.ts";
import type { ProducerOptions } from "../../src/producer/options.ts";
import { testCredentials } from "../support/clients.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { type StubKinesis, stubKinesis } from "./stub-kinesis.ts";

/**
 * A producer faster than its shard (the reason to have per-shard limits) must keep its requests full
 * while it waits for the shard's budget: counted on a manual clock against an in-process Kinesis, so
 * the numbers are exact and no real time is measured.
 */

const STREAM = "rate-limited";

function producerOn<T>(clock: ManualClock, kinesis: StubKinesis, options: Partial<ProducerOptions<T>> = {}): Producer<T> {
  return new Producer<T>({ streamName: STREAM, region: "us-east-1", credentials: testCredentials, fetch: kinesis.fetch, clock, ...options });
}

/** Run the manual clock until `promise` settles (each step lets the in-process requests finish). */
async function driveUntilSettled(clock: ManualClock, promise: Promise<unknown>): Promise<void> {
  let settled = false;
  const done = promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let steps = 0; !settled; steps++) {
    if (steps > 10_000) throw new Error("the producer never finished");
    await clock.advance(50, 1);
  }
  await done;
}

describe("rate-limited producer batches", () => {
  it("sends 5,000 records into one shard at its record limit as ten full 500-record requests", async () => {
    const clock = new ManualClock();
    const kinesis = stubKinesis(STREAM, 1, () => clock.now());
    const producer = producerOn<{ n: number }>(clock, kinesis);
    const start = clock.now();
    const puts: Array<Promise<void>> = [];
    for (let n = 0; n < 5_000; n++) puts.push(producer.put({ n }, `key-${n % 1000}`));
    await driveUntilSettled(clock, Promise.all([...puts, producer.flush()]));

    expect(kinesis.puts.map((put) => put.records)).toEqual(Array.from({ length: 10 }, () => 500));
    // Still within the limit: a full second's budget at the start, then 1,000 records per second.
    expect(kinesis.puts.at(-1)!.at - start).toBeGreaterThanOrEqual(4_000);
    expect(producer.stats()).toMatchObject({ recordsPut: 5_000, requests: 10 });
    await driveUntilSettled(clock, producer.close());
  });

  it("sends a shard at its byte limit one bucket's worth per request, not a record per refill", async () => {
    const clock = new ManualClock();
    const kinesis = stubKinesis(STREAM, 1, () => clock.now());
    const producer = producerOn<Uint8Array>(clock, kinesis, { processor: new BytesProcessor() });
    const start = clock.now();
    // 50 KiB + a 2-byte key each: 20 fit in the 1 MiB a second the shard may take, 21 do not.
    const data = new Uint8Array(50 * 1024);
    const puts: Array<Promise<void>> = [];
    for (let n = 0; n < 100; n++) puts.push(producer.put(data, "k1"));
    await driveUntilSettled(clock, Promise.all([...puts, producer.flush()]));

    expect(kinesis.puts.map((put) => put.records)).toEqual([20, 20, 20, 20, 20]);
    // Still within the limit: a full second's 1 MiB at the start, then 1 MiB per second.
    const mib = 1024 * 1024;
    expect(kinesis.puts.at(-1)!.at - start).toBeGreaterThanOrEqual(((100 * (data.byteLength + 2) - mib) / mib) * 1000);
    await driveUntilSettled(clock, producer.close());
  });

  it("keeps batches full when back-pressure and flush make the producer send eagerly", async () => {
    const clock = new ManualClock();
    const kinesis = stubKinesis(STREAM, 1, () => clock.now());
    // A queue of 600 items: puts wait for room most of the time, which makes every pump eager.
    const producer = producerOn<{ n: number }>(clock, kinesis, { maxQueueSize: 600 });
    const puts: Array<Promise<void>> = [];
    for (let n = 0; n < 3_000; n++) puts.push(producer.put({ n }, `key-${n % 100}`));
    await driveUntilSettled(clock, Promise.all([...puts, producer.flush()]));

    const sizes = kinesis.puts.map((put) => put.records);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(3_000);
    // The queue holds 600, so a request carries at most what was queued; none is a trickle.
    expect(sizes.length).toBeLessThanOrEqual(8);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(100);
    await driveUntilSettled(clock, producer.close());
  });
});
