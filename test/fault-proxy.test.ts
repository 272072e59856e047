import { afterEach, describe, expect, inject, it } from "vitest";
import type { AttemptObserver } from "../src/aws/json-client.ts";
import { DynamoDBClient } from "../src/dynamodb/client.ts";
import { AbortedError, AwsServiceError, NetworkError, TimeoutError } from "../src/errors.ts";
import { decodeUtf8 as utf8Decode, encodeUtf8 as utf8Encode } from "../src/internal/utf8.ts";
import { KinesisClient } from "../src/kinesis/client.ts";
import { freePort } from "./support/child-server.ts";
import { createStream, localDynamo, localKinesis, testCredentials, testTransport, uniqueName } from "./support/clients.ts";
import { type Fault, type FaultProxy, type FaultRule, startFaultProxy } from "./support/fault-proxy.ts";

const FAST_BACKOFF = { baseMs: 1, throttlingBaseMs: 1, capMs: 5 };

const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

async function proxyTo(target: "kinesis" | "dynamodb", seed: number, rules: FaultRule[] = []): Promise<FaultProxy> {
  const proxy = await startFaultProxy({
    target: target === "kinesis" ? inject("kinesisEndpoint") : inject("dynamodbEndpoint"),
    seed,
    rules,
  });
  proxies.push(proxy);
  return proxy;
}

type ClientOpts = { maxAttempts?: number; attemptTimeout?: number };

function kinesisVia(endpoint: string, options: ClientOpts = {}): { client: KinesisClient; errors: unknown[] } {
  const errors: unknown[] = [];
  const client = new KinesisClient(
    { endpoint, region: "us-east-1", credentials: testCredentials, ...testTransport(), ...options },
    { backoff: FAST_BACKOFF, onAttempt: collectErrors(errors) },
  );
  return { client, errors };
}

function dynamoVia(endpoint: string, options: ClientOpts = {}): { client: DynamoDBClient; errors: unknown[] } {
  const errors: unknown[] = [];
  const client = new DynamoDBClient(
    { endpoint, region: "us-east-1", credentials: testCredentials, ...testTransport(), ...options },
    { backoff: FAST_BACKOFF, onAttempt: collectErrors(errors) },
  );
  return { client, errors };
}

/** Collects the error of every failed attempt, in order. */
function collectErrors(errors: unknown[]): AttemptObserver {
  return (event) => {
    if (event.error !== undefined) errors.push(event.error);
  };
}

/** A correctly signed request sent with plain fetch, to see exactly what the proxy answers. */
async function rawKinesis(endpoint: string, operation: string, body: object): Promise<Response> {
  const { client } = kinesisVia(endpoint);
  const payload = JSON.stringify(body);
  const signed = await client.http.sign(operation, payload, testCredentials);
  return fetch(signed.url, { method: "POST", headers: signed.headers, body: payload });
}

async function rawDynamo(endpoint: string, operation: string, body: object): Promise<Response> {
  const { client } = dynamoVia(endpoint);
  const payload = JSON.stringify(body);
  const signed = await client.http.sign(operation, payload, testCredentials);
  return fetch(signed.url, { method: "POST", headers: signed.headers, body: payload });
}

async function outcomes(endpoint: string, count: number): Promise<string[]> {
  const { client } = kinesisVia(endpoint, { maxAttempts: 1 });
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await client.http.call("ListStreams", {}).then(
      () => "ok",
      (error: unknown) => (error instanceof AwsServiceError ? error.awsCode : String(error)),
    );
    seen.push(result);
  }
  return seen;
}

describe("fault proxy: determinism and rule matching", () => {
  it("replays the same fault sequence for the same seed and a different one for another seed", async () => {
    const rules: FaultRule[] = [
      { operation: "ListStreams", probability: 0.3, fault: { kind: "throttle" } },
      { operation: "ListStreams", probability: 0.3, fault: { kind: "http-error", status: 500, body: "json" } },
    ];
    const first = await outcomes((await proxyTo("kinesis", 42, rules)).endpoint, 40);
    const again = await outcomes((await proxyTo("kinesis", 42, rules)).endpoint, 40);
    const other = await outcomes((await proxyTo("kinesis", 7, rules)).endpoint, 40);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set(["ok", "ProvisionedThroughputExceededException", "InternalFailure"]));
  });

  it("fails the same PutRecords entries for the same seed", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "fp-det");
    const entries = Array.from({ length: 40 }, (_, i) => ({ data: utf8Encode(`r${i}`), partitionKey: `k${i}` }));
    const failedIndexes = async (seed: number): Promise<number[]> => {
      const proxy = await proxyTo("kinesis", seed, [{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 0.5 } }]);
      const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 1 });
      const result = await client.putRecords(stream, entries);
      return result.records.flatMap((entry, i) => (entry.errorCode === undefined ? [] : [i]));
    };
    const a = await failedIndexes(99);
    expect(await failedIndexes(99)).toEqual(a);
    expect(await failedIndexes(100)).not.toEqual(a);
    expect(a.length).toBeGreaterThan(0);
    expect(a.length).toBeLessThan(40);
  });

  it("fires an `nth` rule on exactly that match and a `first` rule on the first N, counting only its operation", async () => {
    const proxy = await proxyTo("kinesis", 1, [
      { operation: "Kinesis_20131202.ListStreams", nth: 3, fault: { kind: "throttle" } },
      { operation: "DescribeStreamSummary", first: 2, fault: { kind: "http-error", status: 503, body: "json" } },
    ]);
    expect(await outcomes(proxy.endpoint, 5)).toEqual(["ok", "ok", "ProvisionedThroughputExceededException", "ok", "ok"]);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 1 });
    const describe = (): Promise<string> =>
      client.describeStreamSummary("missing").then(
        () => "ok",
        (error: AwsServiceError) => error.awsCode,
      );
    expect([await describe(), await describe(), await describe()]).toEqual(["ServiceUnavailable", "ServiceUnavailable", "ResourceNotFoundException"]);
    const stats = proxy.stats();
    expect(stats.byOperation["ListStreams"]).toEqual({ requests: 5, faults: { throttle: 1 } });
    expect(stats.byOperation["DescribeStreamSummary"]).toEqual({ requests: 3, faults: { "http-error": 2 } });
    expect(stats).toMatchObject({ requests: 8, faults: 3 });
  });

  it("setRules replaces the rules and restarts their counters", async () => {
    const proxy = await proxyTo("kinesis", 1, [{ operation: "ListStreams", nth: 1, fault: { kind: "throttle" } }]);
    expect(await outcomes(proxy.endpoint, 2)).toEqual(["ProvisionedThroughputExceededException", "ok"]);
    proxy.setRules([{ operation: "ListStreams", nth: 1, fault: { kind: "http-error", status: 500, body: "json" } }]);
    expect(await outcomes(proxy.endpoint, 2)).toEqual(["InternalFailure", "ok"]);
    proxy.setRules([]);
    expect(await outcomes(proxy.endpoint, 1)).toEqual(["ok"]);
  });
});

describe("fault proxy: what each fault looks like on the wire", () => {
  it("throttles Kinesis with the real ProvisionedThroughputExceededException body and a request id", async () => {
    const proxy = await proxyTo("kinesis", 5, [{ fault: { kind: "throttle" } }]);
    const response = await rawKinesis(proxy.endpoint, "PutRecords", { StreamName: "orders", Records: [] });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f]{8}-0000-4000-8000-[0-9a-f]{12}$/);
    expect(await response.json()).toEqual({
      __type: "ProvisionedThroughputExceededException",
      message: "Rate exceeded for shard shardId-000000000000 in stream orders under account 123456789012.",
    });
  });

  it("throttles DynamoDB with namespaced codes", async () => {
    const proxy = await proxyTo("dynamodb", 5, [
      { nth: 1, fault: { kind: "throttle" } },
      { nth: 2, fault: { kind: "throttle", code: "ThrottlingException" } },
    ]);
    const first = await rawDynamo(proxy.endpoint, "GetItem", { TableName: "t", Key: {} });
    expect(first.status).toBe(400);
    expect(first.headers.get("content-type")).toBe("application/x-amz-json-1.0");
    expect(((await first.json()) as { __type: string }).__type).toBe("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException");
    const second = await rawDynamo(proxy.endpoint, "GetItem", { TableName: "t", Key: {} });
    expect(((await second.json()) as { __type: string }).__type).toBe("com.amazon.coral.availability#ThrottlingException");
  });

  it("answers 5xx with empty, JSON and HTML bodies", async () => {
    const proxy = await proxyTo("kinesis", 5, [
      { nth: 1, fault: { kind: "http-error", status: 500, body: "empty" } },
      { nth: 2, fault: { kind: "http-error", status: 503, body: "json" } },
      { nth: 3, fault: { kind: "http-error", status: 503, body: "html" } },
    ]);
    const empty = await rawKinesis(proxy.endpoint, "ListStreams", {});
    expect([empty.status, await empty.text()]).toEqual([500, ""]);
    const json = await rawKinesis(proxy.endpoint, "ListStreams", {});
    expect([json.status, await json.json()]).toEqual([503, { __type: "ServiceUnavailable", message: "Service Unavailable" }]);
    const html = await rawKinesis(proxy.endpoint, "ListStreams", {});
    expect(html.status).toBe(503);
    expect(html.headers.get("content-type")).toBe("text/html");
    expect(await html.text()).toContain("<h1>503 Service Temporarily Unavailable</h1>");
  });

  it("resets before forwarding: the backend never sees the request", async () => {
    const proxy = await proxyTo("kinesis", 5, [{ operation: "CreateStream", fault: { kind: "reset-before" } }]);
    const name = uniqueName("fp-reset-before");
    await expect(rawKinesis(proxy.endpoint, "CreateStream", { StreamName: name, ShardCount: 1 })).rejects.toThrow(TypeError);
    const missing = await localKinesis().describeStreamSummary(name).catch((e: unknown) => e);
    expect(missing).toMatchObject({ awsCode: "ResourceNotFoundException" });
  });

  it("resets after forwarding: the backend acted but the answer is lost", async () => {
    const proxy = await proxyTo("kinesis", 5, [{ operation: "CreateStream", fault: { kind: "reset-after" } }]);
    const name = uniqueName("fp-reset-after");
    await expect(rawKinesis(proxy.endpoint, "CreateStream", { StreamName: name, ShardCount: 1 })).rejects.toThrow(TypeError);
    const summary = await localKinesis().waitForActive(name, { pollInterval: 0.05 });
    expect(summary.streamName).toBe(name);
  });

  it("truncates a body: Content-Length promises more than arrives", async () => {
    const proxy = await proxyTo("kinesis", 5, [{ fault: { kind: "truncate" } }]);
    const response = await rawKinesis(proxy.endpoint, "ListStreams", {});
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it("adds latency and then answers normally", async () => {
    const proxy = await proxyTo("kinesis", 5, [{ fault: { kind: "latency", ms: 50 } }, { fault: { kind: "throttle" } }]);
    const response = await rawKinesis(proxy.endpoint, "ListStreams", {});
    expect(response.status).toBe(400);
    expect(proxy.stats().log).toEqual([{ operation: "ListStreams", faults: ["latency", "throttle"] }]);
  });
});

describe("fault proxy: per-record PutRecords failures", () => {
  async function readAll(kinesis: KinesisClient, stream: string): Promise<string[]> {
    const iterator = await kinesis.getShardIterator(stream, "shardId-000000000000", "TRIM_HORIZON");
    return (await kinesis.getRecords(iterator, 1000)).records.map((r) => utf8Decode(r.data));
  }

  it("leaves the backend holding exactly the records not marked failed", async () => {
    const backend = localKinesis();
    const stream = await createStream(backend, 1, "fp-partial");
    const proxy = await proxyTo("kinesis", 2024, [{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 0.4, errorCode: "mixed" } }]);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 1 });
    const payloads = Array.from({ length: 60 }, (_, i) => `record-${i}`);
    const result = await client.putRecords(stream, payloads.map((p) => ({ data: utf8Encode(p), partitionKey: p })));

    expect(result.records).toHaveLength(60);
    const failed = result.records.flatMap((entry, i) => (entry.errorCode === undefined ? [] : [i]));
    expect(result.failedRecordCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(60);
    const codes = new Set(failed.map((i) => result.records[i]!.errorCode));
    expect(codes).toEqual(new Set(["ProvisionedThroughputExceededException", "InternalFailure"]));
    for (const i of failed) {
      expect(result.records[i]).not.toHaveProperty("sequenceNumber");
      expect(result.records[i]).not.toHaveProperty("shardId");
      expect(result.records[i]!.errorMessage).toBeTypeOf("string");
    }
    for (const [i, entry] of result.records.entries()) {
      if (!failed.includes(i)) expect(entry).toMatchObject({ shardId: "shardId-000000000000", sequenceNumber: expect.stringMatching(/^\d+$/) });
    }
    expect(await readAll(backend, stream)).toEqual(payloads.filter((_, i) => !failed.includes(i)));
    expect(proxy.stats().byOperation["PutRecords"]).toEqual({ requests: 1, faults: { "put-records-failures": 1 } });
  });

  it("answers without forwarding when every record is marked failed", async () => {
    const backend = localKinesis();
    const stream = await createStream(backend, 1, "fp-allfail");
    const proxy = await proxyTo("kinesis", 3, [{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 1 } }]);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 1 });
    const result = await client.putRecords(stream, [{ data: utf8Encode("x"), partitionKey: "x" }, { data: utf8Encode("y"), partitionKey: "y" }]);
    expect(result.failedRecordCount).toBe(2);
    expect(result.records.map((r) => r.errorCode)).toEqual(["ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException"]);
    expect(await readAll(backend, stream)).toEqual([]);
  });
});

describe("typed clients through the fault proxy: retries and error mapping", () => {
  const transient: Array<[string, Fault, (error: unknown) => boolean]> = [
    ["throttling", { kind: "throttle" }, (e) => e instanceof AwsServiceError && e.throttling && e.httpStatus === 400],
    ["HTTP 500 with JSON", { kind: "http-error", status: 500, body: "json" }, (e) => e instanceof AwsServiceError && e.awsCode === "InternalFailure"],
    ["HTTP 503 with HTML", { kind: "http-error", status: 503, body: "html" }, (e) => e instanceof AwsServiceError && e.awsCode === "ServiceUnavailable"],
    ["HTTP 503 with no body", { kind: "http-error", status: 503, body: "empty" }, (e) => e instanceof AwsServiceError && e.httpStatus === 503],
    ["a reset before forwarding", { kind: "reset-before" }, (e) => e instanceof NetworkError],
    ["a reset after forwarding", { kind: "reset-after" }, (e) => e instanceof NetworkError],
    ["a truncated body", { kind: "truncate" }, (e) => e instanceof NetworkError],
  ];

  for (const [label, fault, isExpected] of transient) {
    it(`retries ${label} and then succeeds`, async () => {
      const stream = await createStream(localKinesis(), 1, "fp-retry");
      const proxy = await proxyTo("kinesis", 11, [{ operation: "DescribeStreamSummary", first: 2, fault }]);
      const { client, errors } = kinesisVia(proxy.endpoint, { maxAttempts: 4 });
      const summary = await client.describeStreamSummary(stream);
      expect(summary.streamName).toBe(stream);
      expect(errors).toHaveLength(2);
      for (const error of errors) expect(isExpected(error), String(error)).toBe(true);
      expect(proxy.stats().byOperation["DescribeStreamSummary"]?.requests).toBe(3);
    });
  }

  it("retries DynamoDB throttling and reports exhaustion with code, status, request id, attempts and throttling", async () => {
    const proxy = await proxyTo("dynamodb", 12, [{ operation: "DescribeTable", fault: { kind: "throttle" } }]);
    const { client } = dynamoVia(proxy.endpoint, { maxAttempts: 3 });
    const error = await client.describeTable("any-table").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      service: "dynamodb",
      operation: "DescribeTable",
      awsCode: "ProvisionedThroughputExceededException",
      httpStatus: 400,
      requestId: expect.stringMatching(/-0000-4000-8000-000000000003$/),
      attempts: 3,
      retryable: true,
      throttling: true,
    });
    expect(proxy.stats().requests).toBe(3);
  });

  it("retries DynamoDB's ThrottlingException and succeeds", async () => {
    const table = uniqueName("fp-table");
    await localDynamo().createTable({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    const proxy = await proxyTo("dynamodb", 13, [{ operation: "PutItem", first: 3, fault: { kind: "throttle", code: "ThrottlingException" } }]);
    const { client, errors } = dynamoVia(proxy.endpoint, { maxAttempts: 5 });
    await client.putItem({ TableName: table, Item: { id: { S: "a" } } });
    expect(errors.map((e) => (e as AwsServiceError).awsCode)).toEqual(["ThrottlingException", "ThrottlingException", "ThrottlingException"]);
    expect(await localDynamo().getItem(table, { id: { S: "a" } })).toEqual({ id: { S: "a" } });
  });

  it("does not retry ResourceNotFoundException", async () => {
    const proxy = await proxyTo("kinesis", 14);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 5 });
    const error = await client.describeStreamSummary("no-such-stream").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AwsServiceError", awsCode: "ResourceNotFoundException", retryable: false, attempts: 1 });
    expect(proxy.stats().requests).toBe(1);
  });

  it("does not retry ValidationException", async () => {
    const proxy = await proxyTo("dynamodb", 15);
    const { client } = dynamoVia(proxy.endpoint, { maxAttempts: 5 });
    const error = await client.createTable({ TableName: uniqueName("bad"), AttributeDefinitions: [], KeySchema: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AwsServiceError", awsCode: "ValidationException", httpStatus: 400, retryable: false, attempts: 1 });
    expect(proxy.stats().requests).toBe(1);
  });

  it("maps a refused connection to a NetworkError naming ECONNREFUSED, not retryable once maxAttempts found an endpoint that never answered", async () => {
    const port = await freePort();
    const { client, errors } = kinesisVia(`http://127.0.0.1:${port}`, { maxAttempts: 3 });
    const error = await client.describeStreamSummary("s").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "NETWORK", retryable: false, neverAnswered: true });
    expect((error as Error).message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(errors).toHaveLength(3);
    // The attempts before the last were ordinary, retryable network errors.
    expect(errors[0]).toMatchObject({ code: "NETWORK", retryable: true, neverAnswered: false });
  });

  it("abandons an attempt slower than attemptTimeout as a TimeoutError and retries it", async () => {
    const stream = await createStream(localKinesis(), 1, "fp-timeout");
    const proxy = await proxyTo("kinesis", 16, [{ operation: "DescribeStreamSummary", first: 1, fault: { kind: "latency", ms: 5_000 } }]);
    const { client, errors } = kinesisVia(proxy.endpoint, { maxAttempts: 3, attemptTimeout: 0.2 });
    const summary = await client.describeStreamSummary(stream);
    expect(summary.streamName).toBe(stream);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    expect(errors[0]).toMatchObject({ code: "TIMEOUT", timeoutMs: 200, retryable: true });
  });

  it("gives up with TimeoutError when every attempt is too slow, on an endpoint that has answered before", async () => {
    const proxy = await proxyTo("kinesis", 17);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 2, attemptTimeout: 0.1 });
    // Any answer counts, even an error: the endpoint is known to be there.
    await expect(client.describeStreamSummary("no-such-stream")).rejects.toMatchObject({ awsCode: "ResourceNotFoundException" });
    proxy.setRules([{ fault: { kind: "latency", ms: 5_000 } }]);
    const error = await client.describeStreamSummary("s").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ retryable: true });
    expect(proxy.stats().requests).toBe(3);
  });

  it("gives up with a non-retryable NetworkError when every attempt is too slow on an endpoint that never answered", async () => {
    const proxy = await proxyTo("kinesis", 17, [{ fault: { kind: "latency", ms: 5_000 } }]);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 2, attemptTimeout: 0.1 });
    const error = await client.describeStreamSummary("s").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ retryable: false, neverAnswered: true });
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    expect(proxy.stats().requests).toBe(2);
  });

  it("rejects with AbortedError as soon as the caller's signal aborts, without retrying", async () => {
    const proxy = await proxyTo("kinesis", 18, [{ fault: { kind: "latency", ms: 60_000 } }]);
    const { client } = kinesisVia(proxy.endpoint, { maxAttempts: 5, attemptTimeout: 120 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = client.describeStreamSummary("s", { signal: controller.signal }).catch((e: unknown) => e);
    // Abort once the request is at the proxy (not on a fixed timer: a loaded machine may not have sent it yet).
    while (proxy.stats().requests === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ code: "ABORTED" });
    // Far below the injected 60 s: the abort, not the server, ended the call.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(proxy.stats().requests).toBe(1);
  });
});
