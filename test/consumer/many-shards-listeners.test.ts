/**
 * A consumer on more than ten shards must not hang one abort listener per reader on a shared signal:
 * Node prints MaxListenersExceededWarning past ten listeners on one AbortSignal.
 */
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { linkSignals } from "../../src/internal/abort.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { collect, localConsumer } from "./harness.ts";

const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};

afterEach(() => {
  process.off("warning", onWarning);
});

describe("a consumer on many shards", () => {
  it("reads a 20-shard stream without a MaxListenersExceededWarning", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 20, "listeners");
    const records = Array.from({ length: 200 }, (_, i) => ({ data: new TextEncoder().encode(JSON.stringify({ i })), partitionKey: `key-${i}` }));
    await kinesis.putRecords(stream, records);
    process.on("warning", onWarning);
    const lifetime = new AbortController();
    await using consumer = localConsumer<{ i: number }>(stream, { signal: lifetime.signal });
    await consumer.waitReady();
    expect(consumer.shards).toHaveLength(20);
    const got = await collect(consumer);
    expect(got).toHaveLength(200);
    // process.emitWarning delivers on a later tick.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message)).toEqual([]);
  });

  it("twenty links over one signal add one listener to it, and all of them follow it", () => {
    const stop = new AbortController();
    const links = Array.from({ length: 20 }, () => linkSignals([stop.signal]));
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
    links[3]!.dispose();
    stop.abort("closing");
    expect(links.map((link) => link.signal.aborted)).toEqual(links.map((_, i) => i !== 3));
    expect(links[0]!.signal.reason).toBe("closing");
  });

  it("a link that is the last to leave takes the shared listener with it", () => {
    const stop = new AbortController();
    const a = linkSignals([stop.signal]);
    const b = linkSignals([stop.signal]);
    a.dispose();
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
    b.dispose();
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
    const c = linkSignals([stop.signal]);
    stop.abort();
    expect(c.signal.aborted).toBe(true);
  });
});
