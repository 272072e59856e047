/**
 * The in-memory Kinesis's enhanced fan-out on the wire: the stream-consumer operations through the
 * library's own calls, and the bytes of a SubscribeToShard answer checked against two oracles — the
 * CRC-32s against node:zlib's, the frames against the AWS SDK's EventStreamCodec (@smithy/core) —
 * and the project's EventStreamDecoder.
 */
import { crc32 as zlibCrc32 } from "node:zlib";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { describe, expect, it } from "vitest";
import { AwsServiceError } from "../../src/errors.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { EventStreamDecoder, type EventStreamMessage } from "../../src/kinesis/eventstream/decoder.ts";
import { encodeEventStreamMessage } from "../../src/kinesis/eventstream/encoder.ts";
import { deregisterStreamConsumer, describeStreamConsumer, listStreamConsumers, registerStreamConsumer } from "../../src/kinesis/stream-consumers.ts";
import { SubscribeClient } from "../../src/kinesis/subscribe.ts";
import { createFakeAws, ManualClock } from "../../src/testing/index.ts";

const utf8 = new TextDecoder();
const STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** A SubscribeToShard request straight to the fake's fetch, and the answer's first `count` messages as raw bytes. */
async function rawMessages(fetcher: typeof fetch, consumerArn: string, count: number): Promise<Uint8Array[]> {
  const response = await fetcher("http://fake-aws.invalid/", {
    method: "POST",
    headers: { "x-amz-target": "Kinesis_20131202.SubscribeToShard", authorization: "AWS4-HMAC-SHA256 Credential=fake" },
    body: JSON.stringify({ ConsumerARN: consumerArn, ShardId: "shardId-000000000000", StartingPosition: { Type: "TRIM_HORIZON" } }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
  const reader = response.body!.getReader();
  const frames: Uint8Array[] = [];
  while (frames.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    frames.push(value);
  }
  await reader.cancel();
  return frames;
}

describe("in-memory Kinesis: stream consumers", () => {
  it("registers a consumer ACTIVE at once, describes it by ARN and by name, lists it, refuses the name twice, and deregisters it", async () => {
    const fake = createFakeAws({ clock: new ManualClock(Date.UTC(2025, 0, 1)) });
    fake.kinesis.createStream("s", 1);
    const kinesis = new KinesisClient({ ...fake.options, maxAttempts: 1 });
    const registered = await registerStreamConsumer(kinesis, STREAM_ARN, "app");
    expect(registered).toEqual({
      consumerName: "app",
      consumerArn: `${STREAM_ARN}/consumer/app:${Date.UTC(2025, 0, 1) / 1000}`,
      status: "ACTIVE",
      createdAt: new Date(Date.UTC(2025, 0, 1)),
    });
    expect(await describeStreamConsumer(kinesis, { consumerArn: registered.consumerArn })).toEqual(registered);
    expect(await describeStreamConsumer(kinesis, { streamArn: STREAM_ARN, consumerName: "app" })).toEqual(registered);
    expect((await listStreamConsumers(kinesis, STREAM_ARN)).map((c) => c.consumerName)).toEqual(["app"]);
    expect(await rejection(registerStreamConsumer(kinesis, STREAM_ARN, "app"))).toMatchObject({ awsCode: "ResourceInUseException" });

    await deregisterStreamConsumer(kinesis, { consumerArn: registered.consumerArn });
    const gone = await rejection(describeStreamConsumer(kinesis, { consumerArn: registered.consumerArn }));
    expect(gone).toBeInstanceOf(AwsServiceError);
    expect(gone).toMatchObject({ awsCode: "ResourceNotFoundException" });
    expect(await listStreamConsumers(kinesis, STREAM_ARN)).toEqual([]);
  });

  it("deregistering a consumer ends its open subscription", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 1);
    const kinesis = new KinesisClient({ ...fake.options, maxAttempts: 1 });
    const { consumerArn } = await registerStreamConsumer(kinesis, STREAM_ARN, "app");
    const subscription = await new SubscribeClient({ ...fake.options }).subscribe(consumerArn, "shardId-000000000000", { type: "TRIM_HORIZON" });
    expect((await subscription.next()).value?.records).toEqual([]);
    await deregisterStreamConsumer(kinesis, { consumerArn });
    expect(await subscription.next()).toEqual({ done: true, value: undefined });
  });
});

describe("in-memory Kinesis: SubscribeToShard frames", () => {
  it("writes initial-response then a SubscribeToShardEvent whose prelude and message CRC-32s match node:zlib's and which the SDK's codec and ours decode alike", async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    const put = fake.kinesis.putRecords("s", [{ data: "one", partitionKey: "a" }]);
    await clock.advance(1500);
    fake.kinesis.putRecords("s", Array.from({ length: 1000 }, (_, i) => ({ data: `r${i}`, partitionKey: "a" })));
    const { consumerArn } = await registerStreamConsumer(new KinesisClient(fake.options), STREAM_ARN, "app");
    const frames = await rawMessages(fake.fetch, consumerArn, 2);
    expect(frames).toHaveLength(2);

    const smithy = new EventStreamCodec((b: Uint8Array) => utf8.decode(b), (s: string) => new TextEncoder().encode(s));
    const ours = new EventStreamDecoder();
    const decoded: EventStreamMessage[] = [];
    for (const frame of frames) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      expect(view.getUint32(0)).toBe(frame.length);
      expect(view.getUint32(8)).toBe(zlibCrc32(frame.subarray(0, 8)));
      expect(view.getUint32(frame.length - 4)).toBe(zlibCrc32(frame.subarray(0, frame.length - 4)));
      decoded.push(...ours.push(frame));
      const sdk = smithy.decode(frame);
      expect(Object.fromEntries(Object.entries(sdk.headers).map(([k, v]) => [k, v.value]))).toEqual(
        Object.fromEntries([...decoded.at(-1)!.headers].map(([k, v]) => [k, v.value])),
      );
      expect(utf8.decode(sdk.body)).toBe(utf8.decode(decoded.at(-1)!.payload));
    }
    ours.end();
    expect(decoded.map((m) => m.headers.get(":event-type")?.value)).toEqual(["initial-response", "SubscribeToShardEvent"]);
    expect(decoded[1]!.headers.get(":message-type")?.value).toBe("event");
    const event = JSON.parse(utf8.decode(decoded[1]!.payload)) as {
      Records: Array<{ SequenceNumber: string; Data: string; ApproximateArrivalTimestamp: number }>;
      ContinuationSequenceNumber: string;
      MillisBehindLatest: number;
    };
    // At most 1000 records an event; the 1001st, not sent yet, was put at the clock's now: 0 ms behind.
    expect(event.Records).toHaveLength(1000);
    expect(event.Records[0]).toMatchObject({
      SequenceNumber: put[0]!.sequenceNumber,
      Data: btoa("one"),
      ApproximateArrivalTimestamp: Date.UTC(2025, 0, 1) / 1000,
    });
    expect(event.ContinuationSequenceNumber).toBe(event.Records[999]!.SequenceNumber);
    expect(event.MillisBehindLatest).toBe(0);
  });

  it("reports MillisBehindLatest as the age of the first record it has not sent yet", async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const fake = createFakeAws({ clock });
    fake.kinesis.createStream("s", 1);
    fake.kinesis.putRecords("s", Array.from({ length: 1001 }, (_, i) => ({ data: `r${i}`, partitionKey: "a" })));
    await clock.advance(2500);
    const { consumerArn } = await registerStreamConsumer(new KinesisClient(fake.options), STREAM_ARN, "app");
    const subscription = await new SubscribeClient(fake.options).subscribe(consumerArn, "shardId-000000000000", { type: "TRIM_HORIZON" });
    const first = (await subscription.next()).value!;
    expect([first.records.length, first.millisBehindLatest]).toEqual([1000, 2500]);
    const second = (await subscription.next()).value!;
    expect([second.records.length, second.millisBehindLatest, second.continuationSequenceNumber]).toEqual([1, 0, second.records[0]!.sequenceNumber]);
    await subscription.close();
  });

  it("encodeEventStreamMessage round-trips through the decoder when the bytes come one at a time", () => {
    const frame = encodeEventStreamMessage(
      { ":message-type": "exception", ":exception-type": "ResourceInUseException" },
      new TextEncoder().encode('{"message":"busy"}'),
    );
    const decoder = new EventStreamDecoder();
    const messages = [...frame].flatMap((byte) => decoder.push(Uint8Array.of(byte)));
    decoder.end();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.headers.get(":exception-type")).toEqual({ type: "string", value: "ResourceInUseException" });
    expect(utf8.decode(messages[0]!.payload)).toBe('{"message":"busy"}');
  });
});
