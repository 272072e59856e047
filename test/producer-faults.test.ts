import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ClosedError, PutFailedError } from "../src/errors.ts";
import { KPLJsonProcessor, type Processor } from "../src/processors/index.ts";
import type { FlushStats } from "../src/producer/options.ts";
import { createStream, localKinesis } from "./support/clients.ts";
import { type FaultProxy, type FaultRule, startFaultProxy } from "./support/fault-proxy.ts";
import { awsError, flushLog, localProducer, promiseState, recordingFetch } from "./support/producer.ts";
import { readAllRecords, type StoredRecord } from "./support/read-stream.ts";

/**
 * The producer against a fault-injecting proxy in front of kinesalite. Failures the proxy injects
 * never reach the backend (failed entries are cut out of the forwarded request; throttles, 5xx and
 * resets before forwarding are answered by the proxy), so "every record exactly once" is exact.
 */

const kinesis = localKinesis();
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("kinesisEndpoint"), seed: 20240607 });
});
afterAll(async () => {
  await proxy.close();
});

interface Item {
  key: string;
  n: number;
}

function items(records: readonly StoredRecord[], processor: Processor<unknown> = new KPLJsonProcessor()): Array<Item & { shardId: string }> {
  return records.flatMap((record) => processor.parse(record.data).map((value) => ({ ...(value as Item), shardId: record.shardId })));
}

function total(stats: readonly FlushStats[], field: "retrying" | "failed" | "throttled" | "delivered"): number {
  return stats.reduce((sum, s) => sum + s[field], 0);
}

const PARTIAL_FAILURES: FaultRule[] = [
  // Each whole-request fault at least once, whatever the dice say: full batches mean few requests.
  { operation: "PutRecords", nth: 2, fault: { kind: "throttle" } },
  { operation: "PutRecords", nth: 3, fault: { kind: "http-error", status: 500, body: "json" } },
  { operation: "PutRecords", nth: 4, fault: { kind: "reset-before" } },
  { operation: "PutRecords", probability: 0.1, fault: { kind: "throttle" } },
  { operation: "PutRecords", probability: 0.05, fault: { kind: "http-error", status: 500, body: "json" } },
  { operation: "PutRecords", probability: 0.05, fault: { kind: "reset-before" } },
  { operation: "PutRecords", fault: { kind: "put-records-failures", rate: 0.15, errorCode: "mixed" } },
];

describe("Producer under injected failures", () => {
  it("delivers every record exactly once when PutRecords fails random entries, throttles, 5xxs and resets", async () => {
    const stream = await createStream(kinesis, 3, "producer-faults");
    proxy.setRules(PARTIAL_FAILURES);
    const log = flushLog();
    const producer = localProducer<Item>(stream, { endpoint: proxy.endpoint, maxAttempts: 20, bufferTime: 0.05, afterFlush: log.afterFlush });
    for (let n = 0; n < 2000; n++) await producer.put({ key: `k${n % 97}`, n }, `k${n % 97}`);
    await producer.close();
    proxy.setRules([]);

    const stored = items(await readAllRecords(kinesis, stream));
    expect(stored).toHaveLength(2000);
    expect(new Set(stored.map((i) => i.n)).size).toBe(2000);
    // The faults really happened, and only failed entries were sent again.
    expect(total(log.stats, "retrying")).toBeGreaterThan(200);
    expect(total(log.stats, "throttled")).toBeGreaterThan(0);
    expect(log.stats.some((s) => s.requestError !== undefined)).toBe(true);
    expect(total(log.stats, "delivered")).toBe(2000);
    expect(total(log.stats, "failed")).toBe(0);
  });

  it("keeps every partition key in order with `ordered`, whatever subset of entries fails", async () => {
    const stream = await createStream(kinesis, 2, "producer-ordered");
    proxy.setRules([{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 0.2, errorCode: "mixed" } }]);
    const producer = localProducer<Item>(stream, { endpoint: proxy.endpoint, ordered: true, maxAttempts: 30, bufferTime: 0.01 });
    const counters = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const key = `key-${(i * 7) % 23}`;
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      await producer.put({ key, n }, key);
    }
    await producer.close();
    proxy.setRules([]);

    const stored = items(await readAllRecords(kinesis, stream));
    expect(stored).toHaveLength(600);
    const byKey = new Map<string, number[]>();
    for (const item of stored) byKey.set(item.key, [...(byKey.get(item.key) ?? []), item.n]);
    for (const [key, sequence] of byKey) expect(sequence, key).toEqual(Array.from({ length: counters.get(key)! }, (_, i) => i));
    expect(proxy.stats().byOperation["PutRecords"]?.faults["put-records-failures"]).toBeGreaterThan(5);
  });

  it("keeps KPL-aggregated items in order per key with `ordered` under partial failures", async () => {
    const stream = await createStream(kinesis, 2, "producer-ordered-kpl");
    proxy.setRules([{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 0.3, errorCode: "mixed" } }]);
    const producer = localProducer<Item>(stream, {
      endpoint: proxy.endpoint,
      processor: new KPLJsonProcessor<Item>(),
      ordered: true,
      maxAttempts: 30,
      bufferTime: 0.01,
    });
    for (let n = 0; n < 2000; n++) await producer.put({ key: `key-${n % 5}`, n }, `key-${n % 5}`);
    await producer.close();
    proxy.setRules([]);

    const stored = items(await readAllRecords(kinesis, stream), new KPLJsonProcessor());
    expect(stored).toHaveLength(2000);
    for (let k = 0; k < 5; k++) {
      const sequence = stored.filter((i) => i.key === `key-${k}`).map((i) => i.n);
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      expect(sequence).toHaveLength(400);
    }
  });

  it("gives up on a record after maxAttempts and reports it with its attempts, without a hot loop", async () => {
    const stream = await createStream(kinesis, 1, "producer-exhausted");
    proxy.setRules([{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 1, errorCode: "ProvisionedThroughputExceededException" } }]);
    const before = proxy.stats().byOperation["PutRecords"]?.requests ?? 0;
    const producer = localProducer<Item>(stream, { endpoint: proxy.endpoint, maxAttempts: 3, bufferTime: 0 });
    for (let n = 0; n < 10; n++) await producer.put({ key: "k", n }, `k${n}`);
    const error = await producer.flush().catch((e: unknown) => e);
    proxy.setRules([]);
    expect(error).toBeInstanceOf(PutFailedError);
    const failures = (error as PutFailedError).failures;
    expect(failures.map((f) => (f.data as Item).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, n) => n));
    for (const failure of failures) expect(failure).toMatchObject({ errorCode: "ProvisionedThroughputExceededException", attempts: 3 });
    const requests = (proxy.stats().byOperation["PutRecords"]?.requests ?? 0) - before;
    expect(requests).toBeLessThanOrEqual(30);
    // Throttling is not persistent: the producer goes on.
    await producer.put({ key: "k", n: 99 }, "k");
    await producer.close();
    expect(items(await readAllRecords(kinesis, stream)).map((i) => i.n)).toEqual([99]);
  });
});

describe("Producer persistent errors", () => {
  it("reports exactly the records put after the stream was deleted, with one request and no retry", async () => {
    const stream = await createStream(kinesis, 1, "producer-deleted");
    const recording = recordingFetch();
    const producer = localProducer<Item>(stream, { fetch: recording.fetch, bufferTime: 60 });
    for (let n = 0; n < 5; n++) await producer.put({ key: "k", n }, "k");
    await producer.flush();
    await kinesis.deleteStream(stream);
    const requestsBefore = recording.count("PutRecords");
    for (let n = 5; n < 55; n++) await producer.put({ key: "k", n }, "k");
    const error = await producer.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    const failures = (error as PutFailedError).failures;
    expect(failures.map((f) => (f.data as Item).n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 5));
    expect(failures[0]).toMatchObject({ partitionKey: "k", errorCode: "ResourceNotFoundException", attempts: 1 });
    expect(recording.count("PutRecords") - requestsBefore).toBe(1);
    // The producer has failed for good: new puts are refused, naming their own record.
    await expect(producer.put({ key: "k", n: 100 }, "k")).rejects.toMatchObject({
      code: "PUT_FAILED",
      failures: [{ data: { key: "k", n: 100 }, errorCode: "ResourceNotFoundException", attempts: 0 }],
    });
    // Everything was reported by the flush; close has nothing left to report.
    await expect(producer.close()).resolves.toBeUndefined();
  });

  it("surfaces AccessDenied on close with every undelivered record, after a single request", async () => {
    const stream = await createStream(kinesis, 2, "producer-denied");
    const recording = recordingFetch((operation) =>
      operation === "PutRecords" ? awsError(400, "AccessDeniedException", "User is not authorized to perform: kinesis:PutRecords") : undefined
    );
    const producer = localProducer<Item>(stream, { fetch: recording.fetch, bufferTime: 60, sendWhenIdle: false });
    for (let n = 0; n < 20; n++) await producer.put({ key: "k", n }, `k${n}`);
    const error = await producer.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    expect(error).toMatchObject({ code: "PUT_FAILED", streamName: stream });
    const failures = (error as PutFailedError).failures;
    expect(failures).toHaveLength(20);
    expect(new Set(failures.map((f) => f.errorCode))).toEqual(new Set(["AccessDeniedException"]));
    expect(recording.count("PutRecords")).toBe(1);
    expect((error as Error).message).toContain("AccessDeniedException");
  });

  it("treats a per-record KMS error as persistent", async () => {
    const stream = await createStream(kinesis, 1, "producer-kms");
    const recording = recordingFetch((operation, body) => {
      if (operation !== "PutRecords") return undefined;
      const entries = (body["Records"] as unknown[]).map(() => ({ ErrorCode: "KMSAccessDeniedException", ErrorMessage: "key access denied" }));
      return new Response(JSON.stringify({ FailedRecordCount: entries.length, Records: entries }), {
        status: 200,
        headers: { "content-type": "application/x-amz-json-1.1" },
      });
    });
    const producer = localProducer<Item>(stream, { fetch: recording.fetch, bufferTime: 60, sendWhenIdle: false });
    for (let n = 0; n < 3; n++) await producer.put({ key: "k", n }, "k");
    await expect(producer.flush()).rejects.toMatchObject({
      failures: [0, 1, 2].map((n) => expect.objectContaining({ data: { key: "k", n }, errorCode: "KMSAccessDeniedException", attempts: 1 })),
    });
    expect(recording.count("PutRecords")).toBe(1);
    await producer.close();
  });

  it("on abort, fails what was not delivered and refuses more", async () => {
    const stream = await createStream(kinesis, 1, "producer-abort");
    const never = new Promise<never>(() => undefined);
    const recording = recordingFetch((operation) => (operation === "PutRecords" ? never : undefined));
    const controller = new AbortController();
    const producer = localProducer<Item>(stream, { fetch: recording.fetch, bufferTime: 0, signal: controller.signal });
    for (let n = 0; n < 4; n++) await producer.put({ key: "k", n }, "k");
    const closing = producer.close();
    expect(await promiseState(closing)).toBe("pending");
    controller.abort();
    const error = await closing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    expect((error as PutFailedError).failures.map((f) => (f.data as Item).n).sort()).toEqual([0, 1, 2, 3]);
    await expect(producer.put({ key: "k", n: 9 }, "k")).rejects.toBeInstanceOf(ClosedError);
  });
});
