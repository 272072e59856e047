/**
 * Every checkpointer class is `AsyncDisposable`: `await using` closes it (releasing its leases) when
 * the scope ends, as the Consumer and the Producer already are.
 */
import { describe, expect, it, vi } from "vitest";
import { DenoKvCheckPointer } from "../../src/checkpointers/deno-kv/store.ts";
import { DurableObjectCheckPointer } from "../../src/checkpointers/durable-object/store.ts";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { LeaseLostError } from "../../src/errors.ts";

describe("checkpointers and await using", () => {
  it("await using a MemoryCheckPointer releases its leases when the scope ends", async () => {
    let signal: AbortSignal | undefined;
    {
      await using checkpointer = new MemoryCheckPointer({ name: "app" });
      const session = await checkpointer.start({ streamName: "s" });
      signal = (await session.allocate("shard-0", { totalShards: 1 }))?.signal;
      expect(signal?.aborted).toBe(false);
    }
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(LeaseLostError);
    expect((signal?.reason as LeaseLostError).reason).toBe("released");
  });

  it.each(
    [
      ["DynamoDBCheckPointer", DynamoDBCheckPointer],
      ["RedisCheckPointer", RedisCheckPointer],
      ["DurableObjectCheckPointer", DurableObjectCheckPointer],
      ["DenoKvCheckPointer", DenoKvCheckPointer],
      ["MemoryCheckPointer", MemoryCheckPointer],
    ] as const,
  )("%s disposes by calling its close()", async (_name, Class) => {
    const dispose = (Class.prototype as Partial<AsyncDisposable>)[Symbol.asyncDispose];
    expect(typeof dispose).toBe("function");
    const close = vi.fn(() => Promise.resolve());
    await dispose!.call({ close });
    expect(close).toHaveBeenCalledTimes(1);
  });
});
