import { describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { withSessionOverrides } from "../support/session-overrides.ts";
import { collect, localConsumer } from "./harness.ts";

const encoder = new TextEncoder();
const HALF = 2n ** 127n;

/** A MemoryCheckPointer whose SHARD_END writes never complete (a store that keeps failing them). */
function stuckFinishCheckPointer(inner: MemoryCheckPointer): CheckPointer & { finishCalls: string[] } {
  const finishCalls: string[] = [];
  const stuck = withSessionOverrides(inner, () => ({
    finish: (shardId) => {
      finishCalls.push(shardId);
      return new Promise<void>(() => undefined);
    },
  }));
  return Object.assign(stuck, { finishCalls });
}

describe("SHARD_END writes", () => {
  it("a SHARD_END write that never completes does not stall delivery of the other shards", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "stuck-finish");
    const [low, high] = (await kinesis.listShards(stream)).sort((
      a,
      b,
    ) => (BigInt(a.hashKeyRange.startingHashKey) < BigInt(b.hashKeyRange.startingHashKey) ? -1 : 1));
    const put = (n: number, hashKey: bigint) => ({ data: encoder.encode(JSON.stringify({ n })), partitionKey: "k", explicitHashKey: hashKey.toString() });
    // One record on the low shard, then the low shard is split: it ends, and its end is consumed first.
    await kinesis.putRecords(stream, [put(0, 1n)]);
    await kinesis.splitShard(stream, low!.shardId, (HALF / 2n).toString());
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });
    const highStart = BigInt(high!.hashKeyRange.startingHashKey);
    await kinesis.putRecords(stream, Array.from({ length: 5 }, (_, i) => put(100 + i, highStart + 1n)));
    const checkpointer = stuckFinishCheckPointer(new MemoryCheckPointer());
    await using consumer = localConsumer<{ n: number }>(stream, { checkpointer });
    // Iterating to the idle timeout consumes the low shard's end: its stuck write must not hold iteration.
    const items = await collect(consumer);
    expect(items.map((item) => item.n).sort((a, b) => a - b)).toEqual([0, 100, 101, 102, 103, 104]);
    expect(checkpointer.finishCalls).toEqual([low!.shardId]);
  });
});
