/**
 * SubscribeToShard against kinesis-local, over each transport it serves, with the AWS SDK's
 * SubscribeToShardCommand against the same server as the oracle. The SDK goes over HTTP/1.1
 * (NodeHttpHandler): its default HTTP/2 handler (NodeHttp2Handler) fails against kinesis-local with
 * nghttp2 "Protocol error" (ERR_HTTP2_ERROR, -505) right after the 200 headers, over TLS and without.
 *
 * Which transport each test proves:
 * - "node:http2 over TLS": src/node/http2-fetch.ts against kinesis-local's TLS port (ALPN h2), as with AWS.
 * - "node:http2 without TLS": the same transport, HTTP/2 prior knowledge on the plain port.
 * - "HTTP/1.1 chunked": the runtime's `fetch` (undici) on the plain port; AWS itself refuses this,
 *   so it proves only the event-stream decoding over a streamed body.
 */
import { KinesisClient as SdkKinesisClient, SubscribeToShardCommand, type SubscribeToShardEventStream } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsServiceError } from "../../src/errors.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { deregisterStreamConsumer, ensureStreamConsumer, listStreamConsumers } from "../../src/kinesis/stream-consumers.ts";
import { SubscribeClient, type SubscribeEvent } from "../../src/kinesis/subscribe.ts";
import type { KinesisRecord } from "../../src/kinesis/types.ts";
import { createHttp2Fetch } from "../../src/node/http2-fetch.ts";
import { testCredentials } from "../support/clients.ts";
import { startKinesisLocal } from "../support/kinesis-local.ts";

let server: Awaited<ReturnType<typeof startKinesisLocal>>;
let kinesis: KinesisClient;
const utf8 = new TextDecoder();

beforeAll(async () => {
  server = await startKinesisLocal();
  kinesis = new KinesisClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials });
});
afterAll(async () => {
  await server?.close();
});

async function streamWithRecords(name: string, count: number): Promise<{ streamArn: string; shardId: string; sequences: string[] }> {
  await kinesis.createStream(name, 1);
  const summary = await kinesis.waitForActive(name, { timeout: 30 });
  const sequences: string[] = [];
  for (let i = 0; i < count; i++) {
    const put = await kinesis.putRecord(name, { data: new TextEncoder().encode(`record-${i}`), partitionKey: `pk-${i}` });
    sequences.push(put.sequenceNumber);
  }
  const [shard] = await kinesis.listShards(name);
  return { streamArn: summary.streamArn, shardId: shard!.shardId, sequences };
}

/** Read events until `count` records came (or the subscription ended), then close it. */
async function readRecords(
  client: SubscribeClient,
  consumerArn: string,
  shardId: string,
  count: number,
): Promise<{ records: KinesisRecord[]; events: Array<SubscribeEvent<KinesisRecord>> }> {
  const subscription = await client.subscribe(consumerArn, shardId, { type: "TRIM_HORIZON" });
  const records: KinesisRecord[] = [];
  const events: Array<SubscribeEvent<KinesisRecord>> = [];
  try {
    for await (const event of subscription) {
      events.push(event);
      records.push(...event.records);
      if (records.length >= count) break;
    }
  } finally {
    await subscription.close();
  }
  return { records, events };
}

async function sdkRecords(
  endpoint: string,
  consumerArn: string,
  shardId: string,
  count: number,
): Promise<Array<{ data: string; partitionKey: string; sequenceNumber: string }>> {
  const sdk = new SdkKinesisClient({ region: "us-east-1", endpoint, credentials: testCredentials, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
  const abort = new AbortController();
  const out: Array<{ data: string; partitionKey: string; sequenceNumber: string }> = [];
  try {
    const answer = await sdk.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: { Type: "TRIM_HORIZON" } }), {
      abortSignal: abort.signal,
    });
    for await (const event of answer.EventStream as AsyncIterable<SubscribeToShardEventStream>) {
      for (const record of event.SubscribeToShardEvent?.Records ?? []) {
        out.push({ data: utf8.decode(record.Data), partitionKey: record.PartitionKey!, sequenceNumber: record.SequenceNumber! });
      }
      if (out.length >= count) break;
    }
  } finally {
    abort.abort();
    sdk.destroy();
  }
  return out;
}

/** kinesis-local refuses a second subscription of a consumer to a shard while the first is held open: wait it out. */
async function whenSubscribable<R>(attempt: () => Promise<R>): Promise<R> {
  for (let tries = 0;; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof AwsServiceError && error.awsCode === "ResourceInUseException") || tries >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe("stream consumers (RegisterStreamConsumer and friends) on kinesis-local", () => {
  it("ensureStreamConsumer registers a missing consumer, waits for ACTIVE, and reuses it the second time", async () => {
    const { streamArn } = await streamWithRecords("efo-register", 0);
    const first = await ensureStreamConsumer(kinesis, streamArn, "app-a", { pollInterval: 0.05 });
    expect(first.status).toBe("ACTIVE");
    const second = await ensureStreamConsumer(kinesis, streamArn, "app-a", { pollInterval: 0.05 });
    expect(second.consumerArn).toBe(first.consumerArn);
    expect((await listStreamConsumers(kinesis, streamArn)).map((c) => c.consumerName)).toEqual(["app-a"]);
    await deregisterStreamConsumer(kinesis, { consumerArn: first.consumerArn });
    await expect.poll(async () => (await listStreamConsumers(kinesis, streamArn)).length, { timeout: 10_000 }).toBe(0);
  });
});

describe("SubscribeToShard on kinesis-local", () => {
  it("node:http2 over TLS reads the records the SDK's SubscribeToShardCommand reads, data decoded", async () => {
    const { streamArn, shardId, sequences } = await streamWithRecords("efo-tls", 5);
    const { consumerArn } = await ensureStreamConsumer(kinesis, streamArn, "tls-reader", { pollInterval: 0.05 });
    const client = new SubscribeClient({
      endpoint: server.tlsEndpoint,
      region: "us-east-1",
      credentials: testCredentials,
      subscribeFetch: createHttp2Fetch({ rejectUnauthorized: false }),
    });
    const ours = await whenSubscribable(() => readRecords(client, consumerArn, shardId, 5));
    expect(ours.records.map((r) => r.sequenceNumber)).toEqual(sequences);
    expect(ours.records.map((r) => utf8.decode(r.data))).toEqual([0, 1, 2, 3, 4].map((i) => `record-${i}`));
    expect(ours.events.at(-1)!.continuationSequenceNumber).toBe(sequences.at(-1));
    // A consumer of its own: kinesis-local holds a closed subscription's slot for a while.
    const oracleConsumer = await ensureStreamConsumer(kinesis, streamArn, "sdk-oracle", { pollInterval: 0.05 });
    const oracle = await sdkRecords(server.endpoint, oracleConsumer.consumerArn, shardId, 5);
    expect(ours.records.map((r) => ({ data: utf8.decode(r.data), partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber }))).toEqual(oracle);
  });

  it("node:http2 without TLS (prior knowledge) on the plain port reads the same records", async () => {
    const { streamArn, shardId, sequences } = await streamWithRecords("efo-h2c", 3);
    const { consumerArn } = await ensureStreamConsumer(kinesis, streamArn, "h2c-reader", { pollInterval: 0.05 });
    const client = new SubscribeClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials, subscribeFetch: createHttp2Fetch() });
    const { records } = await whenSubscribable(() => readRecords(client, consumerArn, shardId, 3));
    expect(records.map((r) => r.sequenceNumber)).toEqual(sequences);
  });

  it("HTTP/1.1 chunked through the runtime's fetch decodes the same event stream", async () => {
    const { streamArn, shardId, sequences } = await streamWithRecords("efo-h1", 3);
    const { consumerArn } = await ensureStreamConsumer(kinesis, streamArn, "h1-reader", { pollInterval: 0.05 });
    const client = new SubscribeClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials, subscribeFetch: globalThis.fetch });
    const { records, events } = await whenSubscribable(() => readRecords(client, consumerArn, shardId, 3));
    expect(records.map((r) => r.sequenceNumber)).toEqual(sequences);
    expect(events.every((e) => e.millisBehindLatest !== undefined)).toBe(true);
  });

  it("a second subscription of the same consumer and shard fails with ResourceInUseException sent inside the stream", async () => {
    const { streamArn, shardId } = await streamWithRecords("efo-in-use", 1);
    const { consumerArn } = await ensureStreamConsumer(kinesis, streamArn, "busy", { pollInterval: 0.05 });
    const client = new SubscribeClient({
      endpoint: server.tlsEndpoint,
      region: "us-east-1",
      credentials: testCredentials,
      subscribeFetch: createHttp2Fetch({ rejectUnauthorized: false }),
    });
    const first = await client.subscribe(consumerArn, shardId, { type: "TRIM_HORIZON" });
    try {
      expect((await first.next()).done).toBe(false);
      const second = await client.subscribe(consumerArn, shardId, { type: "TRIM_HORIZON" });
      const failure = await second.next().then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(AwsServiceError);
      expect((failure as AwsServiceError).awsCode).toBe("ResourceInUseException");
      expect((failure as AwsServiceError).operation).toBe("SubscribeToShard");
    } finally {
      await first.close();
    }
  });

  it("a consumer ARN that does not exist is a ResourceNotFoundException", async () => {
    const { streamArn, shardId } = await streamWithRecords("efo-missing", 0);
    const client = new SubscribeClient({
      endpoint: server.tlsEndpoint,
      region: "us-east-1",
      credentials: testCredentials,
      subscribeFetch: createHttp2Fetch({ rejectUnauthorized: false }),
    });
    const failure = await client
      .subscribe(`${streamArn}/consumer/nobody:1`, shardId, { type: "TRIM_HORIZON" })
      .then((subscription) => subscription.next())
      .then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(AwsServiceError);
    expect((failure as AwsServiceError).awsCode).toBe("ResourceNotFoundException");
  });
});
