import { describe, expect, it } from "vitest";
import { type Clock, systemClock } from "../../src/internal/clock.ts";
import { Producer } from "../../src/index.ts";
import { BytesProcessor } from "../../src/processors/index.ts";
import { stubKinesis } from "./stub-kinesis.ts";

describe("Producer wake-up timer", () => {
  it("a request in flight does not cancel and re-make the wake-up timer: a few timers for many requests, not one per request", async () => {
    let sleeps = 0;
    const clock: Clock = {
      now: () => systemClock.now(),
      sleep: (ms, signal) => {
        sleeps++;
        return systemClock.sleep(ms, signal);
      },
    };
    const stub = stubKinesis("s", 1, () => clock.now());
    // bufferTime 60 s: every queued record has a deadline for the timer to watch, and only full batches go.
    const producer = new Producer<Uint8Array>({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      endpoint: "http://127.0.0.1:9",
      streamName: "s",
      // Answers come back on a later turn of the event loop, as from a socket.
      fetch: (input, init) => new Promise((resolve) => setTimeout(resolve, 0)).then(() => stub.fetch(input, init)),
      clock,
      processor: new BytesProcessor(),
      bufferTime: 60,
      sendWhenIdle: false,
      putRateLimitPerShard: 1e9,
      putBandwidthLimitPerShard: 1e9,
    });
    const data = new Uint8Array(10);
    for (let i = 0; i < 10_000; i++) {
      await producer.put(data, `pk-${i % 100}`);
      // A caller that yields now and then: answers arrive while the next batch is still filling.
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await producer.flush();
    await producer.close();

    expect(stub.puts.map((put) => put.records)).toEqual(Array.from({ length: 20 }, () => 500));
    // The stream lookup and the first deadline; the old pump cancelled it as each request went out and made a new one after.
    expect(sleeps).toBeLessThanOrEqual(3);
  });
});
