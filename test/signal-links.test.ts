import { getEventListeners } from "node:events";
import { describe, expect, inject, it } from "vitest";
import { Consumer } from "../src/consumer/consumer.ts";
import { linkSignals } from "../src/internal/abort.ts";
import { createStream, localKinesis, testCredentials } from "./support/clients.ts";

describe("long-lived signals keep no per-request listeners", () => {
  it("a client call leaves nothing attached to the caller's signal once it returns", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "signals");
    const lifetime = new AbortController();
    for (let i = 0; i < 20; i++) await kinesis.describeStreamSummary(stream, { signal: lifetime.signal });
    expect(getEventListeners(lifetime.signal, "abort")).toHaveLength(0);
  });

  it("a closed consumer no longer listens to the user's signal", async () => {
    const stream = await createStream(localKinesis(), 1, "signals-consumer");
    const lifetime = new AbortController();
    const consumer = new Consumer({
      streamName: stream,
      endpoint: inject("kinesisEndpoint"),
      region: "us-east-1",
      credentials: testCredentials,
      signal: lifetime.signal,
    });
    await consumer.waitReady();
    expect(getEventListeners(lifetime.signal, "abort").length).toBeGreaterThan(0);
    await consumer.close();
    expect(getEventListeners(lifetime.signal, "abort")).toHaveLength(0);
  });

  it("linkSignals follows any input, with its reason, and dispose() detaches", () => {
    const a = new AbortController();
    const b = new AbortController();
    const link = linkSignals([a.signal, undefined, b.signal]);
    b.abort("why");
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe("why");
    expect(getEventListeners(a.signal, "abort")).toHaveLength(0);
    const other = linkSignals([a.signal]);
    other.dispose();
    expect(getEventListeners(a.signal, "abort")).toHaveLength(0);
    a.abort();
    expect(other.signal.aborted).toBe(false);
  });
});
