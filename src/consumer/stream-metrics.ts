import type { Lease } from "../checkpointers/types.ts";
import { type ConsumerEvent, ConsumerMetrics, type ConsumerStats, type ShardStats, type StreamStats } from "./events.ts";
import type { QueueGauge } from "./record-queue.ts";

/**
 * One stream's counters in a consumer of several streams. Its readers and group report to it as a
 * single-stream consumer's do to its own metrics; each event then goes on to the consumer's metrics
 * with the stream's name on it.
 */
export class StreamMetrics extends ConsumerMetrics {
  /** The stream's session writes, while it has one: read at snapshot time. */
  checkpointWrites: () => number = () => 0;
  /** This consumer reads the stream now. */
  reading = true;

  constructor(readonly streamName: string, consumer: StreamSetMetrics, now: () => number) {
    super((event) => consumer.relay({ ...event, streamName }), now);
  }
}

/**
 * The consumer-wide counters of a consumer of several streams. Shard ids repeat across streams, so
 * per-shard counting happens in each stream's `StreamMetrics`; this keeps what belongs to the whole
 * consumer (deliveries, throttles, errors by class) and sums the streams in `snapshot()`.
 */
export class StreamSetMetrics extends ConsumerMetrics {
  readonly #listener: ((event: ConsumerEvent) => void) | undefined;
  readonly #now: () => number;
  /** Every stream this consumer has read, removed ones too (their counters stay in the totals). */
  readonly #streams = new Map<string, StreamMetrics>();
  /** The stream a lease is on, for items handed out (the delivery path knows only the entry's lease). */
  readonly #leaseStreams = new WeakMap<Lease, StreamMetrics>();

  constructor(listener: ((event: ConsumerEvent) => void) | undefined, now: () => number) {
    super(undefined, now);
    this.#listener = listener;
    this.#now = now;
  }

  /** The counters of `streamName` (as named in the options); a stream added again continues its counts. */
  stream(streamName: string): StreamMetrics {
    let metrics = this.#streams.get(streamName);
    if (metrics === undefined) {
      metrics = new StreamMetrics(streamName, this, this.#now);
      this.#streams.set(streamName, metrics);
    }
    return metrics;
  }

  /** Items handed out under `lease` count to `stream`. */
  leaseOn(lease: Lease, stream: StreamMetrics): void {
    this.#leaseStreams.set(lease, stream);
  }

  override emit(event: ConsumerEvent): void {
    super.emit(event);
    this.#tell(event);
  }

  /** An event of one stream: counted consumer-wide where it is not per shard, then told to the listener. */
  relay(event: ConsumerEvent): void {
    if (event.type === "throttled") this.throttles++;
    if (event.type === "error") this.errorsByName.set(event.errorName, (this.errorsByName.get(event.errorName) ?? 0) + 1);
    this.#tell(event);
  }

  #tell(event: ConsumerEvent): void {
    if (this.#listener === undefined) return;
    try {
      this.#listener(event);
    } catch {
      // A faulty listener must not stop consumption.
    }
  }

  override leasesEnded(): void {
    super.leasesEnded();
    for (const stream of this.#streams.values()) stream.leasesEnded();
  }

  override delivered(shardId: string, bytes: number, lease?: Lease): void {
    this.recordsDelivered++;
    this.bytesDelivered += bytes;
    const stream = lease === undefined ? undefined : this.#leaseStreams.get(lease);
    if (stream === undefined) return;
    stream.recordsDelivered++;
    stream.bytesDelivered += bytes;
    stream.shard(shardId).recordsDelivered++;
  }

  override snapshot(queue: QueueGauge): ConsumerStats {
    const shards: Record<string, ShardStats> = {};
    const streams: Record<string, StreamStats> = {};
    let recordsFetched = 0;
    let bytesFetched = 0;
    let leasesHeld = 0;
    let checkpointWrites = 0;
    let kplOutOfRange = this.kplOutOfRange;
    for (const [name, stream] of this.#streams) {
      const own = stream.snapshot(queue, stream.checkpointWrites());
      recordsFetched += own.recordsFetched;
      bytesFetched += own.bytesFetched;
      leasesHeld += own.leasesHeld;
      checkpointWrites += own.checkpointWrites;
      kplOutOfRange += own.kplOutOfRange;
      for (const [shardId, counts] of Object.entries(own.shards)) shards[`${name}/${shardId}`] = counts;
      streams[name] = {
        reading: stream.reading,
        recordsDelivered: own.recordsDelivered,
        bytesDelivered: own.bytesDelivered,
        recordsFetched: own.recordsFetched,
        bytesFetched: own.bytesFetched,
        leasesHeld: own.leasesHeld,
        checkpointWrites: own.checkpointWrites,
        shards: own.shards,
      };
    }
    return {
      recordsDelivered: this.recordsDelivered,
      bytesDelivered: this.bytesDelivered,
      recordsFetched,
      bytesFetched,
      leasesHeld,
      checkpointWrites,
      throttles: this.throttles,
      errorsByName: Object.fromEntries(this.errorsByName),
      kplOutOfRange,
      ...queue,
      shards,
      streams,
    };
  }
}
