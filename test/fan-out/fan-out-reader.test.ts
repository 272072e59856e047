/**
 * FanOutReader with a scripted SubscribeToShard (no server): which position each subscription starts
 * at, what ends a subscription and what ends the reader, and that an event is pulled only once the
 * previous one's records found room in the queue.
 */
import { describe, expect, it } from "vitest";
import type { Lease } from "../../src/checkpointers/types.ts";
import type { QueueEntry } from "../../src/consumer/entries.ts";
import { type ConsumerEvent, ConsumerMetrics } from "../../src/consumer/events.ts";
import { FanOutReader } from "../../src/consumer/fan-out-reader.ts";
import type { FanOutSource } from "../../src/consumer/fan-out-source.ts";
import { RecordQueue } from "../../src/consumer/record-queue.ts";
import { AwsServiceError } from "../../src/errors.ts";
import type { Clock } from "../../src/internal/clock.ts";
import type { ShardSubscription, SubscribeEvent, SubscribePosition } from "../../src/kinesis/subscribe.ts";
import type { WireKinesisRecord } from "../../src/kinesis/types.ts";
import { JsonProcessor } from "../../src/processors/index.ts";

type Script = Array<SubscribeEvent<WireKinesisRecord>> | Error;

const instantClock: Clock = { now: () => Date.now(), sleep: () => Promise.resolve() };

function records(...sequences: number[]): WireKinesisRecord[] {
  return sequences.map((n) => ({ Data: btoa(JSON.stringify({ n })), PartitionKey: "p", SequenceNumber: String(n), ApproximateArrivalTimestamp: 1 }));
}

function serviceError(awsCode: string, retryable = false): AwsServiceError {
  return new AwsServiceError({ service: "kinesis", operation: "SubscribeToShard", awsCode, httpStatus: 400, retryable, throttling: false }, awsCode);
}

/** A FanOutSource whose subscriptions play `scripts` in turn; records each position and each event pulled. */
function scriptedSource(scripts: Script[], credentialsRenewable = false): { source: FanOutSource; positions: SubscribePosition[]; pulls: () => number } {
  const positions: SubscribePosition[] = [];
  let pulled = 0;
  const client = {
    credentialsRenewable,
    subscribeRaw(_arn: string, _shard: string, position: SubscribePosition, options: { signal?: AbortSignal }): Promise<ShardSubscription<WireKinesisRecord>> {
      positions.push(position);
      const script = scripts.shift();
      if (script === undefined) {
        // No more scripts: wait, as an unanswered request does, until the reader's signal aborts.
        return new Promise((_, reject) => options.signal?.addEventListener("abort", () => reject(options.signal!.reason), { once: true }));
      }
      if (script instanceof Error) return Promise.reject(script);
      const events = [...script];
      const subscription: ShardSubscription<WireKinesisRecord> = {
        [Symbol.asyncIterator]() {
          return this;
        },
        next() {
          const value = events.shift();
          if (value === undefined) return Promise.resolve({ done: true, value: undefined });
          pulled++;
          return Promise.resolve({ done: false, value });
        },
        return: () => Promise.resolve({ done: true, value: undefined }),
        close: () => Promise.resolve(),
      };
      return Promise.resolve(subscription);
    },
  };
  const source = { client, consumerArn: () => Promise.resolve("arn:consumer") } as unknown as FanOutSource;
  return { source, positions, pulls: () => pulled };
}

function lease(sequence?: string): Lease & { end(): void } {
  const controller = new AbortController();
  return { shardId: "shard-0", sequence, signal: controller.signal, usable: () => true, end: () => controller.abort() };
}

function readerFor(
  source: FanOutSource,
  options: { lease?: Lease; queueSize?: number; start?: "TRIM_HORIZON" | "LATEST"; recordStart?: (at: number) => Promise<void> } = {},
) {
  const queue = new RecordQueue<QueueEntry<unknown>>({ maxRecords: options.queueSize ?? 100, maxBytes: 1 << 20 });
  const events: ConsumerEvent[] = [];
  const fatal: unknown[] = [];
  const stop = new AbortController();
  const reader = new FanOutReader<unknown>({
    fanOut: source,
    streamName: "s",
    shardId: "shard-0",
    hashKeyRange: undefined,
    lease: options.lease ?? lease(),
    initialPosition: { type: options.start ?? "TRIM_HORIZON" },
    queue,
    processor: new JsonProcessor(),
    metrics: new ConsumerMetrics((event) => events.push(event)),
    clock: instantClock,
    random: () => 0.5,
    kplHashRangeCheck: "deliver",
    recordStart: options.recordStart,
    stop: stop.signal,
    onFatal: (error) => fatal.push(error),
  });
  return { reader, queue, events, fatal, stop };
}

function drain(queue: RecordQueue<QueueEntry<unknown>>): Array<QueueEntry<unknown>> {
  const out: Array<QueueEntry<unknown>> = [];
  for (let entry = queue.take(); entry !== undefined; entry = queue.take()) out.push(entry);
  return out;
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe("FanOutReader", () => {
  it("renews an ended subscription AFTER_SEQUENCE_NUMBER the last continuation, and queues the shard's end at ChildShards", async () => {
    const { source, positions } = scriptedSource([
      [{ records: records(1, 2), continuationSequenceNumber: "2", millisBehindLatest: 0 }],
      [
        { records: records(3), continuationSequenceNumber: "5", millisBehindLatest: 0 },
        {
          records: [],
          millisBehindLatest: 0,
          childShards: [{ shardId: "shard-1", parentShards: ["shard-0"], hashKeyRange: { startingHashKey: "0", endingHashKey: "1" } }],
        },
      ],
    ]);
    const { reader, queue, fatal } = readerFor(source);
    reader.start();
    await reader.done;
    expect(positions).toEqual([{ type: "TRIM_HORIZON" }, { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "2" }]);
    const entries = drain(queue);
    expect(entries.filter((e) => e.kind === "page")).toHaveLength(3);
    expect(entries.at(-1)).toMatchObject({ kind: "end", lastSequence: "3" });
    expect(fatal).toEqual([]);
  });

  it("waits out ResourceInUseException (the previous subscription still held) and a retryable failure, then goes on from the same position", async () => {
    const { source, positions } = scriptedSource([
      [{ records: records(1), continuationSequenceNumber: "1", millisBehindLatest: 0 }],
      serviceError("ResourceInUseException"),
      serviceError("InternalFailure", true),
      [{ records: [], millisBehindLatest: 0, childShards: [] }],
    ]);
    const { reader, queue, events, fatal } = readerFor(source);
    reader.start();
    await reader.done;
    expect(fatal).toEqual([]);
    expect(positions.slice(1)).toEqual(Array(3).fill({ type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "1" }));
    expect(events.filter((e) => e.type === "error").map((e) => (e as { willRetry: boolean }).willRetry)).toEqual([true, true]);
    expect(drain(queue).at(-1)).toMatchObject({ kind: "end", lastSequence: "1" });
  });

  it("expired session credentials are asked for again when their source can renew them, and end the consumer when it cannot", async () => {
    const renewable = scriptedSource([serviceError("ExpiredTokenException"), [{ records: [], millisBehindLatest: 0, childShards: [] }]], true);
    const first = readerFor(renewable.source);
    first.reader.start();
    await first.reader.done;
    expect(first.fatal).toEqual([]);
    expect(renewable.positions).toHaveLength(2);
    const fixed = scriptedSource([serviceError("ExpiredTokenException")], false);
    const second = readerFor(fixed.source);
    second.reader.start();
    await second.reader.done;
    expect((second.fatal[0] as AwsServiceError).awsCode).toBe("ExpiredTokenException");
  });

  it("a failure no retry can fix (AccessDeniedException) ends the consumer through onFatal", async () => {
    const { source } = scriptedSource([serviceError("AccessDeniedException")]);
    const { reader, fatal } = readerFor(source);
    reader.start();
    await reader.done;
    expect(fatal).toHaveLength(1);
    expect((fatal[0] as AwsServiceError).awsCode).toBe("AccessDeniedException");
  });

  it("a checkpoint inside a KPL aggregate starts AT its record; a plain one AFTER it", async () => {
    const plain = scriptedSource([]);
    const first = readerFor(plain.source, { lease: lease("40") });
    first.reader.start();
    await settle();
    first.stop.abort();
    await first.reader.done;
    const inside = scriptedSource([]);
    const second = readerFor(inside.source, { lease: lease("40:3") });
    second.reader.start();
    await settle();
    second.stop.abort();
    await second.reader.done;
    expect(plain.positions).toEqual([{ type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "40" }]);
    expect(inside.positions).toEqual([{ type: "AT_SEQUENCE_NUMBER", sequenceNumber: "40" }]);
  });

  it("a LATEST start is recorded first, and a subscription that failed before any event resumes AT_TIMESTAMP there, not at a later LATEST", async () => {
    const { source, positions } = scriptedSource([serviceError("InternalFailure", true)]);
    const recorded: number[] = [];
    const { reader, stop } = readerFor(source, { start: "LATEST", recordStart: (at) => (recorded.push(at), Promise.resolve()) });
    reader.start();
    await settle();
    stop.abort();
    await reader.done;
    expect(recorded).toHaveLength(1);
    expect(positions).toEqual([{ type: "LATEST" }, { type: "AT_TIMESTAMP", timestamp: new Date(recorded[0]!) }]);
  });

  it("pulls the next event only once the previous one's records found room: a full queue stops reading the subscription", async () => {
    const events = [1, 2, 3, 4].map((n) => ({ records: records(n * 10, n * 10 + 1), continuationSequenceNumber: String(n * 10 + 1), millisBehindLatest: 0 }));
    const { source, pulls } = scriptedSource([events]);
    const { reader, queue, stop } = readerFor(source, { queueSize: 2 });
    reader.start();
    await settle();
    // The first event filled the queue; the second was pulled and waits for room; the third is not pulled.
    expect(pulls()).toBe(2);
    expect(queue.size).toBe(2);
    drain(queue);
    await settle();
    expect(pulls()).toBe(3);
    stop.abort();
    await reader.done;
  });

  it("a closed queue (the consumer closing, a bounded step spent) ends the reader instead of pulling events it cannot queue", async () => {
    const events = [1, 2, 3].map((n) => ({ records: records(n), continuationSequenceNumber: String(n), millisBehindLatest: 0 }));
    const { source, pulls, positions } = scriptedSource([events]);
    const { reader, queue, fatal } = readerFor(source);
    queue.close();
    reader.start();
    await reader.done;
    expect(pulls()).toBe(1);
    expect(positions).toHaveLength(1);
    expect(fatal).toEqual([]);
  });

  it("the lease ending stops the reader without a fatal error", async () => {
    const { source } = scriptedSource([]);
    const held = lease();
    const { reader, fatal } = readerFor(source, { lease: held });
    reader.start();
    await settle();
    held.end();
    await reader.done;
    expect(fatal).toEqual([]);
    expect(reader.stopped).toBe(true);
  });
});
