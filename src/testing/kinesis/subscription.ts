import type { Clock } from "../../internal/clock.ts";
import { encodeEventStreamMessage } from "../../kinesis/eventstream/encoder.ts";
import type { Json } from "../wire.ts";
import type { FakeStreamConsumer } from "./stream-consumers.ts";
import type { FakeShard, StreamState } from "./stream-state.ts";

/** AWS ends every subscription five minutes after it began; the consumer subscribes again from the continuation. */
export const SUBSCRIPTION_LIFETIME_MS = 5 * 60 * 1000;
/** AWS sends an event at least every 5 s, records or not. */
const HEARTBEAT_MS = 5000;
/** Records per SubscribeToShardEvent at most (AWS sends what fits in about 1 MB; a count keeps the fake simple). */
const MAX_EVENT_RECORDS = 1000;

const utf8 = new TextEncoder();
const EVENT_HEADERS = { ":event-type": "SubscribeToShardEvent", ":content-type": "application/json", ":message-type": "event" };
const INITIAL_RESPONSE = encodeEventStreamMessage(
  { ":event-type": "initial-response", ":content-type": "application/json", ":message-type": "event" },
  utf8.encode("{}"),
);

/**
 * One SubscribeToShard answer of the in-memory Kinesis: an `application/vnd.amazon.eventstream`
 * body that starts with `initial-response`, then sends a SubscribeToShardEvent at once (what is there
 * from the starting position, possibly nothing), then one as soon as records are put (the stream
 * tells it: no timer, no polling), an empty one right after the last records (so the reader knows it
 * caught up) and after 5 s of the clock without any, and ends after
 * five minutes of the clock. At a closed shard's end the last event has `ChildShards` and no
 * `ContinuationSequenceNumber`, and the body ends.
 *
 * The body is pulled: an event is made only when the reader asks for one, so a reader that stops
 * reading holds the subscription where it is (as HTTP/2 flow control would).
 */
export class FakeSubscription {
  readonly body: ReadableStream<Uint8Array>;
  readonly #consumer: FakeStreamConsumer;
  readonly #stream: StreamState;
  readonly #shard: FakeShard;
  readonly #clock: Clock;
  readonly #life = new AbortController();
  #index: number;
  #sentFirst = false;
  /** The last event carried records: the next one goes at once (empty when caught up), so the reader learns it is caught up. */
  #lastHadRecords = false;
  #expired = false;
  #finished = false;
  #wake: (() => void) | undefined;
  readonly #onChange = (): void => this.#wake?.();

  constructor(consumer: FakeStreamConsumer, shard: FakeShard, startIndex: number, clock: Clock, signal: AbortSignal) {
    this.#consumer = consumer;
    this.#stream = consumer.stream;
    this.#shard = shard;
    this.#index = startIndex;
    this.#clock = clock;
    consumer.subscriptions.add(this);
    this.#stream.listeners.add(this.#onChange);
    clock.sleep(SUBSCRIPTION_LIFETIME_MS, this.#life.signal).then(() => {
      this.#expired = true;
      this.#wake?.();
    }, () => undefined);
    signal.addEventListener("abort", () => this.end(), { once: true, signal: this.#life.signal });
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => controller.enqueue(INITIAL_RESPONSE),
        pull: (controller) => this.#pull(controller),
        cancel: () => this.end(),
      },
      { highWaterMark: 0 },
    );
  }

  /** Stop: the reader's next read ends the body. */
  end(): void {
    if (this.#life.signal.aborted) return;
    this.#life.abort();
    this.#stream.listeners.delete(this.#onChange);
    this.#consumer.subscriptions.delete(this);
    this.#wake?.();
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#finished || this.#expired || this.#life.signal.aborted) {
        this.end();
        try {
          controller.close();
        } catch {
          // Cancelled by the reader: already closed.
        }
        return;
      }
      const shard = this.#shard;
      const due = !this.#sentFirst || this.#lastHadRecords || this.#index < shard.records.length || shard.endingSequenceNumber !== undefined;
      if (due || (await this.#waitForChange()) === "heartbeat") {
        this.#sentFirst = true;
        controller.enqueue(encodeEventStreamMessage(EVENT_HEADERS, utf8.encode(JSON.stringify(this.#nextEvent()))));
        return;
      }
    }
  }

  /** Until a record is put or the shard closed ("change"), the subscription ended, or 5 s of the clock passed ("heartbeat"). */
  async #waitForChange(): Promise<"change" | "heartbeat"> {
    const wait = new AbortController();
    try {
      return await new Promise<"change" | "heartbeat">((resolve) => {
        this.#wake = () => resolve("change");
        if (this.#life.signal.aborted || this.#expired) resolve("change");
        this.#clock.sleep(HEARTBEAT_MS, wait.signal).then(() => resolve("heartbeat"), () => undefined);
      });
    } finally {
      this.#wake = undefined;
      wait.abort();
    }
  }

  #nextEvent(): Json {
    const shard = this.#shard;
    const records = shard.records.slice(this.#index, this.#index + MAX_EVENT_RECORDS);
    this.#index += records.length;
    this.#lastHadRecords = records.length > 0;
    const next = shard.records[this.#index];
    const event: Json = {
      Records: records.map((r) => ({
        SequenceNumber: r.sequenceNumber,
        ApproximateArrivalTimestamp: r.arrivedAt / 1000,
        Data: r.data,
        PartitionKey: r.partitionKey,
      })),
      MillisBehindLatest: next === undefined ? 0 : Math.max(0, this.#clock.now() - next.arrivedAt),
    };
    if (next === undefined && shard.endingSequenceNumber !== undefined) {
      // The shard's end: no continuation; its children continue it.
      this.#finished = true;
      event["ChildShards"] = this.#stream.shards
        .filter((s) => s.parentShardId === shard.shardId || s.adjacentParentShardId === shard.shardId)
        .map((c) => ({
          ShardId: c.shardId,
          ParentShards: [c.parentShardId, c.adjacentParentShardId].filter((p) => p !== undefined),
          HashKeyRange: { StartingHashKey: String(c.startingHashKey), EndingHashKey: String(c.endingHashKey) },
        }));
    } else {
      // After the last record sent, or (nothing sent yet) just before the first one this subscription could send.
      event["ContinuationSequenceNumber"] = shard.records[this.#index - 1]?.sequenceNumber ?? shard.startingSequenceNumber;
    }
    return event;
  }
}
