/**
 * `stats().shards[*].leased` and `leasesHeld` follow every way a lease ends, not only a release seen
 * while running: a lease taken away while the consumer closes, a checkpointer that ends no lease
 * signal on close, and a lease that ended before its reader started. Against the in-memory fake of
 * `async-kinesis/testing` and memory leases whose signals the test controls.
 */
import { describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer, CheckpointSession, Lease } from "../../src/checkpointers/types.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { LeaseLostError } from "../../src/errors.ts";
import { createFakeAws } from "../../src/testing/index.ts";
import { withSessionOverrides } from "../support/session-overrides.ts";
import { until } from "./harness.ts";

/** Memory leases handed to the consumer behind signals this test aborts (or never aborts) itself. */
function controlledLeases(
  onLease: (lease: Lease, controller: AbortController, session: CheckpointSession) => Lease | Promise<Lease>,
  onClose?: () => void,
): CheckPointer {
  return withSessionOverrides(new MemoryCheckPointer(), (session) => ({
    allocate: async (shardId, context) => {
      const lease = await session.allocate(shardId, context);
      if (lease === undefined) return undefined;
      return onLease(lease, new AbortController(), session);
    },
    close: () => {
      onClose?.();
      return session.close();
    },
  }));
}

/** A consumer of a two-shard fake stream; `onEvent` also gets the consumer (to read its stats as each event is told). */
function twoShardConsumer(
  checkpointer: CheckPointer,
  onEvent: (event: ConsumerEvent, consumer: Consumer<{ n: number }>) => void = () => undefined,
): { consumer: Consumer<{ n: number }>; fake: ReturnType<typeof createFakeAws> } {
  const fake = createFakeAws();
  fake.kinesis.createStream("s", 2);
  const consumer: Consumer<{ n: number }> = new Consumer<{ n: number }>({
    streamName: "s",
    ...fake.options,
    checkpointer,
    sleepTimeNoRecords: 0.05,
    onEvent: (e) => onEvent(e, consumer),
  });
  return { consumer, fake };
}

function expectNoLeases(consumer: Consumer<unknown>): void {
  const stats = consumer.stats();
  expect(Object.keys(stats.shards)).toHaveLength(2);
  expect(Object.fromEntries(Object.entries(stats.shards).map(([id, s]) => [id, s.leased]))).toEqual(
    Object.fromEntries(Object.keys(stats.shards).map((id) => [id, false])),
  );
  expect(stats.leasesHeld).toBe(0);
}

describe("stats() leased and leasesHeld", () => {
  it("after close(), no shard reads leased and leasesHeld is 0, also for a lease taken by another worker while closing", async () => {
    const controllers: AbortController[] = [];
    const events: ConsumerEvent[] = [];
    const checkpointer = controlledLeases(
      (lease, controller) => {
        // The consumer's signal follows the store's, and the test can end it on its own.
        lease.signal.addEventListener("abort", () => controller.abort(lease.signal.reason), { once: true });
        controllers.push(controller);
        return { ...lease, signal: controller.signal };
      },
      // Closing: both leases are taken away (another worker's write won) just before the release.
      () => {
        for (const c of controllers) c.abort(new LeaseLostError("?", "taken", "taken by another worker", "other/worker"));
      },
    );
    const { consumer } = twoShardConsumer(checkpointer, (e) => events.push(e));
    await consumer.waitReady();
    expect(consumer.stats().leasesHeld).toBe(2);

    await consumer.close();
    expectNoLeases(consumer);
    // The losses are reported as such, not as releases.
    expect(events.filter((e) => e.type === "leaseLost").map((e) => e.type === "leaseLost" && e.reason)).toEqual(["taken", "taken"]);
  });

  it("after close(), no shard reads leased even when the checkpointer ended no lease signal", async () => {
    // A checkpointer whose lease signals never abort: close() still ends every lease this consumer held.
    const checkpointer = controlledLeases((lease, controller) => ({ ...lease, signal: controller.signal }));
    const { consumer } = twoShardConsumer(checkpointer);
    await consumer.waitReady();
    expect(consumer.stats().leasesHeld).toBe(2);

    await consumer.close();
    expectNoLeases(consumer);
  });

  it("with streams: after close(), no shard of any stream reads leased and every stream's leasesHeld is 0", async () => {
    const checkpointer = controlledLeases((lease, controller) => ({ ...lease, signal: controller.signal }));
    const fake = createFakeAws();
    fake.kinesis.createStream("a", 1);
    fake.kinesis.createStream("b", 2);
    const consumer = new Consumer<{ n: number }>({ streams: ["a", "b"], ...fake.options, checkpointer, sleepTimeNoRecords: 0.05 });
    await consumer.waitReady();
    expect(consumer.stats().leasesHeld).toBe(3);

    await consumer.close();
    const stats = consumer.stats();
    expect(Object.values(stats.shards).map((s) => s.leased)).toEqual([false, false, false]);
    expect(stats.leasesHeld).toBe(0);
    expect(Object.values(stats.streams ?? {}).map((s) => [s.leasesHeld, ...Object.values(s.shards).map((shard) => shard.leased)])).toEqual([
      [0, false],
      [0, false, false],
    ]);
  });

  it("a lease that ended before its reader started reads leased: false, is reported lost, and the shard is leased and read again", async () => {
    let endedOnce: string | undefined;
    const events: ConsumerEvent[] = [];
    const checkpointer = controlledLeases(async (lease, controller, session) => {
      if (endedOnce !== undefined) return lease;
      // The first lease is taken away before the consumer sees it (the store's row freed, as when its
      // new owner let it go): its abort event has already fired.
      endedOnce = lease.shardId;
      await session.release(lease.shardId);
      controller.abort(new LeaseLostError(lease.shardId, "taken", "taken before the reader started", "other/worker"));
      return { ...lease, signal: controller.signal };
    });
    let leasedWhenLost: boolean | undefined;
    const { consumer, fake } = twoShardConsumer(checkpointer, (e, self) => {
      events.push(e);
      if (e.type === "leaseLost") leasedWhenLost = self.stats().shards[e.shardId]?.leased;
    });
    const got: number[] = [];
    const reading = (async () => {
      for await (const item of consumer) got.push(item.n);
    })();
    await until(() => events.some((e) => e.type === "leaseLost"), "the early-ended lease reported lost");
    const lost = events.find((e) => e.type === "leaseLost");
    expect(lost).toMatchObject({ shardId: endedOnce, reason: "taken" });
    expect(leasedWhenLost).toBe(false);
    const afterLoss = events.indexOf(lost!);

    // Every partition key lands on one shard or the other: both shards must be read.
    fake.kinesis.putRecords("s", Array.from({ length: 20 }, (_, n) => ({ data: JSON.stringify({ n }), partitionKey: `k-${n}` })));
    await until(() => got.length === 20, "every record delivered, the early-ended shard's included");
    expect(events.slice(afterLoss).some((e) => e.type === "leaseAcquired" && e.shardId === endedOnce)).toBe(true);
    expect(consumer.stats().leasesHeld).toBe(2);
    expect(consumer.stats().shards[endedOnce!]!.leased).toBe(true);

    await consumer.close();
    await reading;
    expectNoLeases(consumer);
  });
});
