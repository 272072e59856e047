import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { SteppableClock } from "../support/steppable-clock.ts";
import { until } from "../support/until.ts";
import { collect, localConsumer } from "./harness.ts";

const encoder = new TextEncoder();
const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

function numbered(from: number, count: number): Array<{ data: Uint8Array; partitionKey: string }> {
  return Array.from({ length: count }, (_, i) => ({ data: encoder.encode(JSON.stringify({ n: from + i })), partitionKey: "k" }));
}

describe("delivery guarantees on the side paths", () => {
  it("autoCheckpoint false: close() after confirming items 0..9 while 10..14 were handed out restarts at 10", async () => {
    const stream = await createStream(localKinesis(), 1, "manual-close");
    await sdkPutAll(sdk, stream, numbered(0, 20));
    const checkpointer = new MemoryCheckPointer({ autoCheckpoint: false });
    const first = localConsumer<{ n: number }>(stream, { checkpointer });
    for await (const item of first) {
      if (item.n === 9) await first.manualCheckpoint();
      if (item.n === 14) break;
    }
    await first.close();
    await using second = localConsumer<{ n: number }>(stream, { checkpointer });
    const rest = await collect(second);
    expect(rest.map((item) => item.n)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
  });

  it("a stream deleted and recreated under the same name is read from its start, with an event for the old rows", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "recreated");
    await sdkPutAll(sdk, stream, numbered(0, 5));
    const checkpointer = new MemoryCheckPointer();
    {
      await using before = localConsumer<{ n: number }>(stream, { checkpointer });
      expect((await collect(before)).map((item) => item.n)).toEqual([0, 1, 2, 3, 4]);
    }
    await kinesis.deleteStream(stream);
    await until("the stream is gone", () => kinesis.describeStreamSummary(stream).then(() => undefined, () => true));
    // kinesalite stamps creation in whole seconds: recreate in a later second, as any real recreation is.
    const deletedAt = Math.floor(Date.now() / 1000);
    await until("a new second", async () => (Math.floor(Date.now() / 1000) > deletedAt ? true : undefined));
    await kinesis.createStream(stream, 1);
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });
    await sdkPutAll(sdk, stream, numbered(100, 3));
    const events: ConsumerEvent[] = [];
    await using after = localConsumer<{ n: number }>(stream, { checkpointer, onEvent: (e) => events.push(e) });
    expect((await collect(after)).map((item) => item.n)).toEqual([100, 101, 102]);
    expect(events.filter((e) => e.type === "checkpointIgnored")).toEqual([
      expect.objectContaining({ shardId: "shardId-000000000000", reason: "stream-recreated" }),
    ]);
  });

  it("LATEST: records that arrive before the first owner commits anything are delivered by the next owner", async () => {
    const stream = await createStream(localKinesis(), 1, "latest-handoff");
    await sdkPutAll(sdk, stream, numbered(0, 3)); // before any consumer: LATEST never delivers these
    // The start is recorded from the service's Date header (whole seconds) less a second: keep these older than that.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const checkpointer = new MemoryCheckPointer();
    const first = localConsumer<{ n: number }>(stream, { checkpointer, iteratorType: "LATEST" });
    await first.waitReady();
    await sdkPutAll(sdk, stream, numbered(10, 4));
    await first.close(); // an early handoff: nothing was delivered or committed
    await using second = localConsumer<{ n: number }>(stream, { checkpointer, iteratorType: "LATEST" });
    expect((await collect(second)).map((item) => item.n)).toEqual([10, 11, 12, 13]);
  });

  it("a worker frozen past sessionTimeout hands out nothing more from its lease; the shard restarts after the last commit", async () => {
    const stream = await createStream(localKinesis(), 1, "frozen");
    await sdkPutAll(sdk, stream, numbered(0, 6));
    const clock = new SteppableClock();
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ n: number }>(stream, {
      checkpointer: new MemoryCheckPointer({ clock }),
      onEvent: (event) => events.push(event),
    });
    const iterator = consumer[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ n: 0 });
    await until("the rest is queued", () => (consumer.stats().queuedRecords >= 5 ? true : undefined));
    clock.freezeFor(60_000); // the process slept through its lease (a laptop lid)
    const next = await iterator.next();
    const lostAt = events.findIndex((e) => e.type === "leaseLost");
    expect(lostAt).toBeGreaterThanOrEqual(0);
    expect(events[lostAt]).toMatchObject({ type: "leaseLost", shardId: "shardId-000000000000" });
    // The queued records of the expired lease were not handed out: the shard restarted after item 0 (committed by next()).
    expect(next.value).toEqual({ n: 1 });
    expect(events.findIndex((e) => e.type === "leaseAcquired" && events.indexOf(e) > lostAt)).toBeGreaterThan(lostAt);
  });
});
