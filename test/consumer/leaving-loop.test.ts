import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { collect, localConsumer } from "./harness.ts";

const encoder = new TextEncoder();
const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

async function streamOf(count: number, label: string): Promise<string> {
  const stream = await createStream(localKinesis(), 1, label);
  await sdkPutAll(
    sdk,
    stream,
    Array.from({ length: count }, (_, n) => ({ data: encoder.encode(JSON.stringify({ n })), partitionKey: "one-key" })),
  );
  return stream;
}

/** Runs `for await` over `iterable`, calling `handle` for each item; returns what the handler threw, if anything. */
async function loopUntilFailure<T>(iterable: AsyncIterable<T>, handle: (item: T) => void): Promise<unknown> {
  try {
    for await (const item of iterable) handle(item);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("leaving a loop puts the item in hand back", () => {
  it("a handler that throws on item 3 sees item 3 again when the app iterates again", async () => {
    await using consumer = localConsumer<{ n: number }>(await streamOf(6, "throw-again"));
    const seen: number[] = [];
    const failure = await loopUntilFailure(consumer, (item) => {
      seen.push(item.n);
      if (item.n === 3) throw new Error("handler failed on 3");
    });
    expect((failure as Error).message).toBe("handler failed on 3");
    const rest = (await collect(consumer)).map((item) => item.n);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(rest).toEqual([3, 4, 5]);
  });

  it("records(): leaving by break delivers the same record again on the next loop", async () => {
    await using consumer = localConsumer<{ n: number }>(await streamOf(4, "break-again"));
    let held: string | undefined;
    for await (const record of consumer.records()) {
      if (record.data.n === 1) {
        held = record.sequenceNumber;
        break;
      }
    }
    const next = await collect(consumer.records(), 1);
    expect(next[0]?.sequenceNumber).toBe(held);
    expect(next[0]?.data.n).toBe(1);
  });

  it("leaving by return inside a function puts the item back too", async () => {
    await using consumer = localConsumer<{ n: number }>(await streamOf(3, "return-again"));
    const firstOf = async (): Promise<number | undefined> => {
      for await (const item of consumer) return item.n;
      return undefined;
    };
    expect(await firstOf()).toBe(0);
    expect(await firstOf()).toBe(0);
    expect((await collect(consumer)).map((item) => item.n)).toEqual([0, 1, 2]);
  });

  it("after a throw and close(), the next owner starts at the failed item, not after it", async () => {
    const stream = await streamOf(5, "throw-close");
    const checkpointer = new MemoryCheckPointer();
    const first = localConsumer<{ n: number }>(stream, { checkpointer });
    await loopUntilFailure(first, (item) => {
      if (item.n === 2) throw new Error("handler failed on 2");
    });
    await first.close();
    await using second = localConsumer<{ n: number }>(stream, { checkpointer });
    expect((await collect(second)).map((item) => item.n)).toEqual([2, 3, 4]);
  });
});
