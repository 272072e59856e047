import { describe, expect, it } from "vitest";
import { AbortedError, ClosedError, ConfigError, PutFailedError } from "../../src/errors.ts";
import { Settlement } from "../../src/producer/settlement.ts";
import { collect, localConsumer } from "../consumer/harness.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { localProducer, recordingFetch } from "../support/producer.ts";
import { readAllRecords } from "../support/read-stream.ts";

const kinesis = localKinesis();

function aborted(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

describe("waitReady({ signal })", () => {
  it("aborting rejects the wait with an AbortedError and leaves the consumer starting", async () => {
    const stream = await createStream(kinesis, 1, "wait-abort");
    await using consumer = localConsumer<{ n: number }>(stream, { iteratorType: "TRIM_HORIZON" });
    const controller = new AbortController();
    const waiting = consumer.waitReady({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    await consumer.waitReady();
    await kinesis.putRecord(stream, { data: new TextEncoder().encode(JSON.stringify({ n: 1 })), partitionKey: "k" });
    expect(await collect(consumer, 1)).toEqual([{ n: 1 }]);
  });

  it("rejects a signal option that is not an AbortSignal with a ConfigError naming it", async () => {
    const consumer = localConsumer("never-used");
    const error = await consumer.waitReady({ signal: "soon" as unknown as AbortSignal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe("waitReady.signal");
    await consumer.close();
  });
});

describe("a consumer created with an already-aborted signal", () => {
  it("ends iteration at once, closes, and sends nothing", async () => {
    const recording = recordingFetch();
    const consumer = localConsumer("never-read", { signal: aborted(), idleTimeout: undefined, fetch: recording.fetch });
    expect(await collect(consumer)).toEqual([]);
    await expect(consumer.waitReady()).rejects.toBeInstanceOf(ClosedError);
    await consumer.close();
    expect(recording.count("DescribeStreamSummary")).toBe(0);
  });
});

describe("flush({ signal })", () => {
  it("an aborted flush leaves its records queued: a later flush delivers them", async () => {
    const stream = await createStream(kinesis, 1, "flush-abort");
    let release!: () => void;
    const held = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
    const recording = recordingFetch((operation) => (operation === "PutRecords" ? held : undefined));
    await using producer = localProducer<{ n: number }>(stream, { fetch: recording.fetch, bufferTime: 0 });
    await producer.put({ n: 1 }, "a");
    await producer.put({ n: 2 }, "b");
    const controller = new AbortController();
    const flushing = producer.flush({ signal: controller.signal });
    controller.abort();
    await expect(flushing).rejects.toBeInstanceOf(AbortedError);
    release();
    await producer.flush();
    const stored = await readAllRecords(kinesis, stream);
    expect(stored.map((r) => r.partitionKey).sort()).toEqual(["a", "b"]);
  });

  it("failures settled after a flush was abandoned are reported by the next flush", async () => {
    const settlement = new Settlement("s");
    settlement.accept(1);
    const controller = new AbortController();
    const abandoned = settlement.waitFor(settlement.cut(), controller.signal);
    controller.abort();
    await expect(abandoned).rejects.toBeInstanceOf(AbortedError);
    settlement.settle(0, 1, [{ data: 1, partitionKey: "k", errorCode: "X", errorMessage: "x", attempts: 3 }]);
    const error = await settlement.waitFor(settlement.cut()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    expect((error as PutFailedError).failures.map((f) => f.partitionKey)).toEqual(["k"]);
  });

  it("rejects a signal option that is not an AbortSignal with a ConfigError naming it", async () => {
    const producer = localProducer("never-used");
    const error = await producer.flush({ signal: {} as AbortSignal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe("flush.signal");
  });
});

describe("a producer created with an already-aborted signal", () => {
  it("refuses puts with the abort as cause, fails flush, and sends nothing", async () => {
    const recording = recordingFetch();
    const producer = localProducer<number>("never-written", { signal: aborted(), fetch: recording.fetch });
    const error = await producer.put(1, "k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    expect((error as PutFailedError).cause).toBeInstanceOf(AbortedError);
    await expect(producer.flush()).rejects.toBeInstanceOf(AbortedError);
    expect(recording.count("DescribeStreamSummary") + recording.count("ListShards") + recording.count("PutRecords")).toBe(0);
  });
});
