import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PutFailedError } from "../src/errors.ts";
import { utf8Length } from "../src/internal/utf8.ts";
import { JsonLineProcessor } from "../src/processors/index.ts";
import { createStream, localKinesis } from "./support/clients.ts";
import { type FaultProxy, startFaultProxy } from "./support/fault-proxy.ts";
import { localProducer, recordingFetch } from "./support/producer.ts";
import { readAllRecords } from "./support/read-stream.ts";
import { until } from "./support/until.ts";

/** Producer.stats() and the bound on retained failures, with real traffic to kinesalite (through the fault proxy where failures are needed). */

const kinesis = localKinesis();
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("kinesisEndpoint"), seed: 8014 });
});
afterAll(async () => {
  await proxy.close();
});

describe("Producer.stats()", () => {
  it("counts records, bytes and requests put, and items queued until they are stored", async () => {
    const stream = await createStream(kinesis, 2, "producer-stats");
    const recording = recordingFetch();
    const producer = localProducer<{ n: number }>(stream, { fetch: recording.fetch, bufferTime: 60, sendWhenIdle: false });
    expect(producer.stats()).toMatchObject({ recordsPut: 0, requests: 0, recordsQueued: 0 });
    for (let n = 0; n < 40; n++) await producer.put({ n }, `key-${n}`);
    // Accepted, not yet sent (the buffer time is a minute).
    expect(producer.stats()).toMatchObject({ recordsPut: 0, recordsQueued: 40, requests: 0 });
    await producer.flush();

    const stored = await readAllRecords(kinesis, stream);
    const storedBytes = stored.reduce((sum, record) => sum + record.data.byteLength + utf8Length(record.partitionKey), 0);
    expect(stored).toHaveLength(40);
    expect(producer.stats()).toEqual({
      recordsPut: 40,
      kinesisRecordsPut: 40,
      bytesPut: storedBytes,
      recordsFailed: 0,
      retries: 0,
      throttles: 0,
      requests: recording.count("PutRecords"),
      recordsQueued: 0,
      failuresRetained: 0,
      failuresDropped: 0,
      errorsByName: {},
    });
    expect(producer.stats().requests).toBeGreaterThan(0);
    await producer.close();
  });

  it("counts items and Kinesis records apart when a processor aggregates", async () => {
    const stream = await createStream(kinesis, 1, "producer-stats-lines");
    const producer = localProducer<{ n: number }>(stream, { processor: new JsonLineProcessor(), bufferTime: 60, sendWhenIdle: false });
    for (let n = 0; n < 25; n++) await producer.put({ n }, `key-${n}`);
    await producer.close();
    const stored = await readAllRecords(kinesis, stream);
    const storedBytes = stored.reduce((sum, record) => sum + record.data.byteLength + utf8Length(record.partitionKey), 0);
    expect(stored).toHaveLength(1);
    expect(producer.stats()).toMatchObject({ recordsPut: 25, kinesisRecordsPut: 1, bytesPut: storedBytes, requests: 1 });
  });

  it("counts throttles, retries and errors by name from a throttled request and failed entries", async () => {
    const stream = await createStream(kinesis, 1, "producer-stats-faults");
    proxy.setRules([
      // The first request is throttled as a whole; every entry of the second fails on its own.
      { operation: "PutRecords", nth: 1, fault: { kind: "throttle" } },
      { operation: "PutRecords", nth: 2, fault: { kind: "put-records-failures", rate: 1, errorCode: "InternalFailure" } },
    ]);
    try {
      const producer = localProducer<{ n: number }>(stream, { endpoint: proxy.endpoint, bufferTime: 60, sendWhenIdle: false });
      for (let n = 0; n < 10; n++) await producer.put({ n }, `key-${n}`);
      await producer.close();
      expect(await readAllRecords(kinesis, stream)).toHaveLength(10);
      expect(producer.stats()).toMatchObject({
        recordsPut: 10,
        kinesisRecordsPut: 10,
        recordsFailed: 0,
        // 10 throttled and 10 failed entries, each sent again.
        retries: 20,
        throttles: 10,
        requests: 3,
        recordsQueued: 0,
        errorsByName: { ProvisionedThroughputExceededException: 1, InternalFailure: 10 },
      });
    } finally {
      proxy.setRules([]);
    }
  });
});

describe("Producer failures kept for flush", () => {
  it("keeps only the newest maxRetainedFailures failures and reports how many older ones it dropped", async () => {
    const stream = await createStream(kinesis, 1, "producer-failure-bound");
    proxy.setRules([{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 1, errorCode: "InternalFailure" } }]);
    try {
      const producer = localProducer<{ n: number }>(stream, { endpoint: proxy.endpoint, maxAttempts: 1, maxRetainedFailures: 10, bufferTime: 0.01 });
      for (let n = 0; n < 30; n++) await producer.put({ n }, `key-${n}`);
      // Without a flush the failures pile up, but never past the bound.
      await until("every item failed", () => producer.stats().recordsQueued === 0);
      expect(producer.stats()).toMatchObject({ recordsFailed: 30, failuresRetained: 10, failuresDropped: 20, recordsPut: 0 });

      const error = (await producer.flush().catch((e: unknown) => e)) as PutFailedError;
      expect(error).toBeInstanceOf(PutFailedError);
      expect(error.droppedFailures).toBe(20);
      expect(error.failures.map((failure) => (failure.data as { n: number }).n)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
      expect(error.message).toContain("30 record(s) could not be put");
      expect(error.message).toContain("20 older failure(s) dropped unlisted (over maxRetainedFailures)");
      expect(producer.stats()).toMatchObject({ failuresRetained: 0, failuresDropped: 20 });
      // Each failure is reported once: the next flush has nothing left to say.
      await expect(producer.close()).resolves.toBeUndefined();
    } finally {
      proxy.setRules([]);
    }
  });
});
