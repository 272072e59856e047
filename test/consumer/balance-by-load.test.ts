/**
 * The consumer's side of balance by load: what it hands out is what its leases measure (the rate
 * the rows carry), and the byte budget it passes to its checkpointer is a checked option.
 */
import { describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { ConfigError } from "../../src/errors.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { until } from "../support/until.ts";
import { collect, localConsumer } from "./harness.ts";

describe("balance by load, consumer side", () => {
  it("the bytes a consumer hands out show on its lease row as bytes per second", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "load");
    const payload = JSON.stringify({ pad: "x".repeat(1000) });
    await kinesis.putRecords(stream, Array.from({ length: 50 }, (_, i) => ({ data: new TextEncoder().encode(payload), partitionKey: `k${i}` })));
    const checkpointer = new MemoryCheckPointer({ heartbeatFrequency: 0.2, sessionTimeout: 1 });
    await using consumer = localConsumer<{ pad: string }>(stream, { checkpointer, idleTimeout: undefined });
    expect(await collect(consumer, 50)).toHaveLength(50);
    const rate = await until("the row carries the delivered bytes as a rate", async () => {
      const [row] = await checkpointer.listCheckpoints({ streamName: stream });
      return row?.bytesPerSecond !== undefined && row.bytesPerSecond > 0 ? row.bytesPerSecond : undefined;
    });
    expect(rate).toBeGreaterThan(0);
  });

  it.each([0, -5, Number.POSITIVE_INFINITY, "1000"])("rejects maxBytesPerSecond %j with a ConfigError naming it", (value) => {
    try {
      new Consumer({ streamName: "s", maxBytesPerSecond: value as number });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe("maxBytesPerSecond");
    }
  });
});
