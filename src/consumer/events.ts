import type { Lease } from "../checkpointers/types.ts";
import { LeaseLostError } from "../errors.ts";
import type { QueueGauge } from "./record-queue.ts";

/**
 * Everything a consumer reports about itself. Delivered synchronously to `onEvent`; a listener that
 * throws is ignored (observability must never break consumption). A consumer given `streams` says on
 * every event which stream it is about (`streamName`); one given `streamName` leaves it out.
 */
export type ConsumerEvent = ConsumerEventBody & EventStream;

/** The stream an event is about, on the events of a consumer that reads several streams. */
export interface EventStream {
  /**
   * The stream, as named in the options (name or ARN): on every event of a consumer given `streams`
   * (`throttled` and `error` events of calls no one stream made excepted), and on `streamNotActive`.
   */
  streamName?: string;
}

/** The events themselves; see {@link ConsumerEvent}. */
export type ConsumerEventBody =
  /**
   * With `streams`: a stream is being read now (given at start, by `addStream()` or found by discovery).
   * Its shards are leased and read as the consumer's other streams' are.
   */
  | { type: "streamAdded"; streamName: string }
  /**
   * With `streams`: a stream is no longer read. `removed`: by `removeStream()` or because discovery stopped
   * naming it (what was committed is written and its leases are released); `deleted`: the stream no longer
   * exists (or is being deleted). Its queued records are dropped (`droppedRecords`); the other streams go on.
   */
  | { type: "streamRemoved"; streamName: string; reason: "removed" | "deleted"; message: string; droppedRecords: number }
  | { type: "shardStarted"; shardId: string; position: string }
  | { type: "shardEnded"; shardId: string; lastSequence: string | undefined }
  | { type: "leaseAcquired"; shardId: string; sequence: string | undefined }
  /**
   * The lease ended against this worker's will; records of the shard still queued are dropped
   * (`droppedRecords`) and the shard's next owner delivers them again. `reason`: see {@link LeaseLossReason};
   * `message` says what happened, for logs.
   */
  | { type: "leaseLost"; shardId: string; reason: LeaseLossReason; message: string; droppedRecords: number }
  /**
   * This worker gave the lease up on purpose: `handed-over` to another worker for fair balance, or
   * `released` (by `close()`, once per held shard, or after the shard ended). Not a failure.
   */
  | { type: "leaseReleased"; shardId: string; reason: "handed-over" | "released"; droppedRecords: number }
  | { type: "fetched"; shardId: string; records: number; bytes: number; millisBehindLatest: number | undefined }
  | { type: "throttled"; shardId: string | undefined; operation: string }
  | { type: "error"; shardId: string | undefined; errorName: string; message: string; willRetry: boolean }
  | { type: "iteratorExpired"; shardId: string; resumeAfter: string | undefined }
  | { type: "checkpointTrimmed"; shardId: string; sequence: string }
  | { type: "recordSkipped"; shardId: string; sequenceNumber: string; errorName: string }
  /**
   * A KPL aggregate held `count` sub-records whose hash key lies outside this shard's range: one
   * event per Kinesis record. Delivered by default; dropped with `kplHashRangeCheck: "drop"`.
   */
  | { type: "kplOutOfRange"; shardId: string; sequenceNumber: string; count: number; action: "delivered" | "dropped" }
  | { type: "checkpointMissing"; shardId: string; startingAt: string }
  /**
   * This shard alone could not be read any more (GetShardIterator or GetRecords answered
   * ResourceNotFoundException, e.g. it aged out of retention): its reader stopped and its lease was
   * released; the other shards go on. This consumer does not lease it again.
   */
  | { type: "shardStopped"; shardId: string; errorName: string; awsCode: string; message: string }
  /**
   * A stored row was not applied: it was written for another incarnation of the stream (deleted and
   * recreated under the same name since). The shard starts as configured; the row is replaced.
   */
  | { type: "checkpointIgnored"; shardId: string; reason: "stream-recreated"; rowStreamCreatedAt: number; streamCreatedAt: number }
  /**
   * At start the stream is still `CREATING`: the consumer waits, polling DescribeStreamSummary, and takes
   * no lease or iterator before it is ACTIVE. Once. (An `UPDATING` stream, resharding, is read at once.)
   */
  | { type: "streamNotActive"; streamName: string; status: "CREATING" }
  /**
   * A bounded step (`stopAfter`) ended iteration: which bound came first (`idle`: caught up, with
   * `idleTimeout`), the items yielded, the requests made and the time spent so far (close adds its writes).
   */
  | { type: "stepEnded"; reason: "records" | "seconds" | "requests" | "idle"; records: number; requests: number; elapsedMs: number }
  /** `handleSignals`: the process got SIGINT or SIGTERM and the consumer is closing (leases released), then re-raises it. */
  | { type: "signalReceived"; signal: "SIGINT" | "SIGTERM" };

/**
 * Why a `leaseLost` event happened:
 * - `taken`: another worker owns the lease now (its conditional write won; this worker found out on its next write).
 * - `expired`: this worker's renewals failed for `sessionTimeout`, so it stopped before others take over.
 * - `fenced`: the store refused this worker's write to the lease row for another cause (its owner or
 *   counter fence no longer matched in a way that names no new owner, or the store failed it for good).
 */
export type LeaseLossReason = "taken" | "expired" | "fenced";

/** The typed reason and the message of a lease signal's abort cause. */
export function leaseLossOf(cause: unknown): { reason: LeaseLossReason; message: string } {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof LeaseLostError && (cause.reason === "taken" || cause.reason === "expired")) return { reason: cause.reason, message };
  return { reason: "fenced", message };
}

/** Counters of one shard, as read by this worker. */
export interface ShardStats {
  /**
   * The lag the shard's last page reported, in milliseconds; undefined before the first page says.
   * Kept while reads fail (see `erroring`): the last known lag, observed at `millisBehindLatestAt`.
   */
  millisBehindLatest: number | undefined;
  /** When (epoch ms, the consumer's clock) the page that reported `millisBehindLatest` arrived. */
  millisBehindLatestAt: number | undefined;
  /** Reads of this shard are failing and being retried now; the next page read clears it. */
  erroring: boolean;
  /** This worker holds the shard's lease now (taken, and not yet lost, released or finished). */
  leased: boolean;
  /** Kinesis records read from this shard (an aggregate counts once). */
  recordsFetched: number;
  /** Payload bytes of those records. */
  bytesFetched: number;
  /** Items from this shard handed to the caller. */
  recordsDelivered: number;
  /** KPL sub-records read from this shard whose hash key lies outside it (delivered or dropped, per `kplHashRangeCheck`). */
  kplOutOfRange: number;
}

/** A snapshot of the counters behind the events, for metrics scrapers. */
export interface ConsumerStats {
  /** Items handed to the caller since the consumer started (a KPL aggregate counts each sub-record). */
  recordsDelivered: number;
  /** Payload bytes of the delivered items, before decoding. */
  bytesDelivered: number;
  /** Kinesis records read by GetRecords (an aggregate counts once), delivered or not yet. */
  recordsFetched: number;
  /** Payload bytes of those records. */
  bytesFetched: number;
  /** Shard leases this worker holds now. */
  leasesHeld: number;
  /** Checkpoint writes that landed in the store (each write that carried a new position; heartbeats alone are not counted). */
  checkpointWrites: number;
  /** Throttled Kinesis calls (each also emitted as a `throttled` event). */
  throttles: number;
  /** Count of `error` events per error class name, e.g. `{ NetworkError: 2 }`. */
  errorsByName: Record<string, number>;
  /** KPL sub-records outside their shard's hash range, over all shards (see `kplOutOfRange` events). */
  kplOutOfRange: number;
  /** Kinesis records held between the readers and the iterator now (bounded by `maxQueueSize`). */
  queuedRecords: number;
  /** Payload bytes held now (bounded by `maxQueueBytes`, see the README). */
  queuedBytes: number;
  /** The most Kinesis records the queue has held at once. */
  queueHighWater: number;
  /** The most payload bytes the queue has held at once. */
  queueBytesHighWater: number;
  /**
   * Per-shard counters, keyed by shard id, for every shard this worker has read. With `streams`, keyed
   * `<stream>/<shard id>` (shard ids repeat across streams); `streams` has them by stream.
   */
  shards: Record<string, ShardStats>;
  /** With `streams`: each stream's counters, keyed by the stream as named in the options (streams removed since included). */
  streams?: Record<string, StreamStats>;
}

/** One stream's counters, in the `stats()` of a consumer given `streams`. */
export interface StreamStats {
  /** This consumer reads the stream now (false once it was removed or deleted). */
  reading: boolean;
  /** Items from this stream handed to the caller. */
  recordsDelivered: number;
  /** Payload bytes of those items. */
  bytesDelivered: number;
  /** Kinesis records read from this stream. */
  recordsFetched: number;
  /** Payload bytes of those records. */
  bytesFetched: number;
  /** Leases on this stream's shards this worker holds now. */
  leasesHeld: number;
  /** Checkpoint writes for this stream that landed in the store. */
  checkpointWrites: number;
  /** Per-shard counters of this stream, keyed by shard id. */
  shards: Record<string, ShardStats>;
}

/**
 * The counters behind `stats()`. Updated per event (a page, a lease change, an error), never per
 * record, except `delivered`, which the delivery path calls once per item handed out.
 */
export class ConsumerMetrics {
  recordsDelivered = 0;
  bytesDelivered = 0;
  recordsFetched = 0;
  bytesFetched = 0;
  throttles = 0;
  kplOutOfRange = 0;
  leasesHeld = 0;
  readonly errorsByName = new Map<string, number>();
  readonly shards = new Map<string, ShardStats>();
  readonly #listener: ((event: ConsumerEvent) => void) | undefined;
  readonly #now: () => number;

  constructor(listener: ((event: ConsumerEvent) => void) | undefined, now: () => number = Date.now) {
    this.#listener = listener;
    this.#now = now;
  }

  emit(event: ConsumerEvent): void {
    switch (event.type) {
      case "throttled":
        this.throttles++;
        break;
      case "error":
        this.errorsByName.set(event.errorName, (this.errorsByName.get(event.errorName) ?? 0) + 1);
        // A read the reader retries: the shard is erroring, and its last known lag stays reported.
        if (event.shardId !== undefined && event.willRetry) this.shard(event.shardId).erroring = true;
        break;
      case "fetched":
        this.#fetched(event);
        break;
      case "leaseAcquired":
        this.#setLeased(event.shardId, true);
        break;
      case "leaseLost":
      case "leaseReleased":
      case "shardEnded":
      case "shardStopped":
        this.#setLeased(event.shardId, false);
        break;
      case "kplOutOfRange":
        this.kplOutOfRange += event.count;
        this.shard(event.shardId).kplOutOfRange += event.count;
        break;
      default:
        break;
    }
    if (this.#listener === undefined) return;
    try {
      this.#listener(event);
    } catch {
      // A faulty listener must not stop consumption.
    }
  }

  /** Report a failure as an `error` event (and count it by class). */
  failed(shardId: string | undefined, error: unknown, willRetry: boolean): void {
    const errorName = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    this.emit({ type: "error", shardId, errorName, message, willRetry });
  }

  #fetched(event: Extract<ConsumerEvent, { type: "fetched" }>): void {
    const shard = this.shard(event.shardId);
    this.recordsFetched += event.records;
    this.bytesFetched += event.bytes;
    shard.recordsFetched += event.records;
    shard.bytesFetched += event.bytes;
    shard.erroring = false;
    // A page without the field says nothing new: the last known lag stays.
    if (event.millisBehindLatest !== undefined) {
      shard.millisBehindLatest = event.millisBehindLatest;
      shard.millisBehindLatestAt = this.#now();
    }
  }

  #setLeased(shardId: string, leased: boolean): void {
    const shard = this.shard(shardId);
    if (shard.leased === leased) return;
    shard.leased = leased;
    this.leasesHeld += leased ? 1 : -1;
  }

  /**
   * The consumer has closed: it holds no lease, whatever its checkpointer reported (a lease whose signal
   * never aborted, or whose release is still unanswered, is no longer read by this worker).
   */
  leasesEnded(): void {
    for (const shard of this.shards.values()) shard.leased = false;
    this.leasesHeld = 0;
  }

  /** One item handed out; `lease` (the entry's) tells a consumer of several streams which stream it came from. */
  delivered(shardId: string, bytes: number, _lease?: Lease): void {
    this.recordsDelivered++;
    this.bytesDelivered += bytes;
    this.shard(shardId).recordsDelivered++;
  }

  shard(shardId: string): ShardStats {
    let stats = this.shards.get(shardId);
    if (stats === undefined) {
      stats = {
        millisBehindLatest: undefined,
        millisBehindLatestAt: undefined,
        erroring: false,
        leased: false,
        recordsFetched: 0,
        bytesFetched: 0,
        recordsDelivered: 0,
        kplOutOfRange: 0,
      };
      this.shards.set(shardId, stats);
    }
    return stats;
  }

  /** `checkpointWrites` comes from the checkpointer session (it knows which writes carried a position). */
  snapshot(queue: QueueGauge, checkpointWrites: number): ConsumerStats {
    return {
      recordsDelivered: this.recordsDelivered,
      bytesDelivered: this.bytesDelivered,
      recordsFetched: this.recordsFetched,
      bytesFetched: this.bytesFetched,
      leasesHeld: this.leasesHeld,
      checkpointWrites,
      throttles: this.throttles,
      errorsByName: Object.fromEntries(this.errorsByName),
      kplOutOfRange: this.kplOutOfRange,
      ...queue,
      shards: Object.fromEntries([...this.shards].map(([id, s]) => [id, { ...s }])),
    };
  }
}
