import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession } from "../../src/checkpointers/types.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { AwsServiceError, NetworkError } from "../../src/errors.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { collect, localConsumer } from "./harness.ts";

const encoder = new TextEncoder();
const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

const records = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ data: encoder.encode(JSON.stringify({ id: `${prefix}-${i}` })), partitionKey: `k-${i}` }));

/** A checkpointer whose sessions misbehave as `patch` says, delegating the rest to a MemoryCheckPointer. */
function patched(inner: CheckPointer, patch: (session: CheckpointSession) => Partial<CheckpointSession>): CheckPointer & { closedSessions: number } {
  const wrapper = {
    closedSessions: 0,
    async start(scope: CheckpointScope): Promise<CheckpointSession> {
      const session = await inner.start(scope);
      const overrides = patch(session);
      return new Proxy(session, {
        get(target, key, receiver) {
          if (key === "close") {
            return async () => {
              wrapper.closedSessions++;
              await target.close();
            };
          }
          if (key in overrides) return (overrides as Record<PropertyKey, unknown>)[key];
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    manualCheckpoint: () => inner.manualCheckpoint(),
    close: () => inner.close(),
  };
  return wrapper;
}

describe("Consumer recovery paths", () => {
  it("manualCheckpoint() commits the item in hand, so a restart does not deliver it again", async () => {
    const stream = await createStream(localKinesis(), 1, "manual");
    await sdkPutAll(sdk, stream, records(6, "m"));
    const checkpointer = new MemoryCheckPointer({ autoCheckpoint: false });
    const first = localConsumer<{ id: string }>(stream, { checkpointer });
    const taken: string[] = [];
    for await (const item of first) {
      taken.push(item.id);
      if (taken.length === 3) {
        await first.manualCheckpoint();
        break;
      }
    }
    await first.close();
    const second = localConsumer<{ id: string }>(stream, { checkpointer });
    expect((await collect(second)).map((i) => i.id)).toEqual(["m-3", "m-4", "m-5"]);
    await second.close();
  });

  it("retries a SHARD_END write that fails transiently, so the children still start", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "finish-retry");
    await sdkPutAll(sdk, stream, records(3, "parent"));
    const [parent] = await kinesis.listShards(stream);
    await kinesis.splitShard(stream, parent!.shardId, (2n ** 127n).toString());
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });
    await sdkPutAll(sdk, stream, records(4, "child"));
    let failures = 0;
    const checkpointer = patched(new MemoryCheckPointer(), (session) => ({
      finish: async (shardId: string, last?: string) => {
        if (failures++ < 2) throw new NetworkError("DynamoDB unreachable (injected)");
        await session.finish(shardId, last);
      },
    }));
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { checkpointer, idleTimeout: 3, onEvent: (e) => events.push(e) });
    const ids = (await collect(consumer)).map((i) => i.id);
    expect(ids.slice(0, 3)).toEqual(["parent-0", "parent-1", "parent-2"]);
    expect(ids.slice(3).sort()).toEqual(["child-0", "child-1", "child-2", "child-3"]);
    expect(failures).toBe(3);
    expect(events.filter((e) => e.type === "error" && e.willRetry && e.errorName === "NetworkError")).toHaveLength(2);
    expect(events.some((e) => e.type === "shardEnded" && e.shardId === parent!.shardId)).toBe(true);
  });

  it("closes its checkpointer session when starting fails for good, and says why", async () => {
    const stream = await createStream(localKinesis(), 1, "start-fails");
    const denied = new AwsServiceError(
      { service: "dynamodb", operation: "Scan", awsCode: "AccessDeniedException", httpStatus: 400, retryable: false, throttling: false },
      "not allowed (injected)",
    );
    const checkpointer = patched(new MemoryCheckPointer(), () => ({
      list: async () => {
        throw denied;
      },
    }));
    const consumer = localConsumer(stream, { checkpointer });
    await expect(collect(consumer)).rejects.toBe(denied);
    await consumer.close();
    expect(checkpointer.closedSessions).toBe(1);
  });

  it("reports checkpointMissing for a shard without a row when the group has older progress", async () => {
    const stream = await createStream(localKinesis(), 2, "missing-row");
    await sdkPutAll(sdk, stream, records(10, "r"));
    const checkpointer = new MemoryCheckPointer();
    // A first run reads one shard only: the other has no row, as if its row had expired.
    const first = localConsumer(stream, { checkpointer, maxShardConsumers: 1 });
    await collect(first);
    await first.close();
    await new Promise((r) => setTimeout(r, 20));
    const events: ConsumerEvent[] = [];
    const second = localConsumer(stream, { checkpointer, onEvent: (e) => events.push(e) });
    await collect(second);
    await second.close();
    const missing = events.filter((e) => e.type === "checkpointMissing");
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ startingAt: "TRIM_HORIZON" });
    expect(second.stats().recordsDelivered).toBeGreaterThan(0);
  });

  it("does not report checkpointMissing on a group's first run", async () => {
    const stream = await createStream(localKinesis(), 2, "first-run");
    await sdkPutAll(sdk, stream, records(4, "f"));
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer(stream, { onEvent: (e) => events.push(e) });
    expect(await collect(consumer)).toHaveLength(4);
    expect(events.filter((e) => e.type === "checkpointMissing")).toEqual([]);
  });
});
