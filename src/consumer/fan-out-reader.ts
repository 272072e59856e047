import type { Lease } from "../checkpointers/types.ts";
import { AwsServiceError, isRetryable } from "../errors.ts";
import { ReaderRun } from "./reader-run.ts";
import type { Clock } from "../internal/clock.ts";
import { parsePosition } from "../internal/sequence.ts";
import { EXPIRED_TOKEN_CODES, type ShardSubscription, type SubscribeEvent, type SubscribePosition } from "../kinesis/subscribe.ts";
import type { HashKeyRange, WireKinesisRecord } from "../kinesis/types.ts";
import type { Processor } from "../processors/types.ts";
import { type DecodeContext, decodeWireRecord } from "./decode.ts";
import type { QueueEntry } from "./entries.ts";
import type { ConsumerMetrics } from "./events.ts";
import type { FanOutSource } from "./fan-out-source.ts";
import type { KplHashRangeCheck } from "./options.ts";
import { PageWriter } from "./page-writer.ts";
import type { RecordQueue } from "./record-queue.ts";
import { ReaderBackoff } from "./reader-backoff.ts";
import type { StartPosition } from "./shard-plan.ts";

export interface FanOutReaderDeps<T> {
  fanOut: FanOutSource;
  streamName: string;
  shardId: string;
  hashKeyRange: HashKeyRange | undefined;
  lease: Lease;
  /** Used when the lease has no checkpoint. */
  initialPosition: StartPosition;
  queue: RecordQueue<QueueEntry<T>>;
  processor: Processor<T>;
  metrics: ConsumerMetrics;
  clock: Clock;
  random: () => number;
  kplHashRangeCheck: KplHashRangeCheck;
  /** As in ShardReaderDeps: record where a lease without a checkpoint starts, before anything is read. */
  recordStart?: ((atMs: number) => Promise<void>) | undefined;
  stop: AbortSignal;
  /** Asked before each SubscribeToShard: false ends the reader (a bounded step spent its budget). */
  mayFetch?: (() => boolean) | undefined;
  onFatal(error: unknown): void;
  /**
   * Whether the last ListShards showed this shard closed (an ending sequence number). AWS ends a
   * closed shard's subscription with `ChildShards`; kinesis-local never does (its events go on
   * repeating the last continuation), so a closed shard whose event is empty and 0 ms behind is at
   * its end too.
   */
  shardClosed?: (() => boolean) | undefined;
}

/**
 * What SubscribeToShard answers while the previous subscription of this consumer to this shard is
 * still held (AWS: within 5 s of the last call): wait and subscribe again, never give up over it.
 */
const SUBSCRIPTION_BUSY = "ResourceInUseException";

/**
 * Reads one shard with enhanced fan-out for as long as its lease holds, in the role ShardReader has
 * for polling: one subscription at a time, renewed when it ends (AWS ends each after five minutes,
 * or on any failure) from the last `ContinuationSequenceNumber`; each event's records are queued in
 * the room the queue grants — while it grants none, the next event is not read, so the body is not
 * read and HTTP/2 flow control stops the sender; at the shard's end (no continuation, `ChildShards`)
 * an end marker is queued, after which the group starts the children as with polling.
 */
export class FanOutReader<T> {
  readonly shardId: string;
  readonly #deps: FanOutReaderDeps<T>;
  readonly #life: ReaderRun;
  readonly #signal: AbortSignal;
  readonly #hashRange: { start: bigint; end: bigint } | undefined;
  #resumeInside: { sequence: string; subSequence: number } | undefined;
  /** Where the next subscription starts. */
  #position: SubscribePosition;
  #lastQueued: string | undefined;
  #recordBytes: number | undefined;
  readonly #backoff: ReaderBackoff;

  constructor(deps: FanOutReaderDeps<T>) {
    this.#deps = deps;
    this.shardId = deps.shardId;
    this.#life = new ReaderRun(deps.lease.signal, deps.stop);
    this.#signal = this.#life.signal;
    this.#backoff = new ReaderBackoff({ ...deps, signal: this.#signal });
    this.#lastQueued = deps.lease.sequence;
    const range = deps.hashKeyRange;
    this.#hashRange = range === undefined ? undefined : { start: BigInt(range.startingHashKey), end: BigInt(range.endingHashKey) };
    this.#position = this.#firstPosition();
  }

  start(): void {
    this.#life.start(() => this.#run());
  }

  /** Resolves once the reader holds a subscription (or has stopped). */
  get ready(): Promise<void> {
    return this.#life.ready;
  }

  /** Resolves when the reader has stopped, for whatever reason. */
  get done(): Promise<void> {
    return this.#life.done;
  }

  /** The last event had no records (or the reader has stopped): this shard is caught up. */
  get caughtUp(): boolean {
    return this.#life.idle;
  }

  get stopped(): boolean {
    return this.#life.stopped;
  }

  #firstPosition(): SubscribePosition {
    const { lease, initialPosition } = this.#deps;
    if (lease.sequence !== undefined) {
      const { sequence, subSequence } = parsePosition(lease.sequence);
      if (subSequence === undefined) return { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: sequence };
      // Inside a KPL aggregate: start at its record and skip the sub-records already consumed.
      this.#resumeInside = { sequence, subSequence };
      return { type: "AT_SEQUENCE_NUMBER", sequenceNumber: sequence };
    }
    if (initialPosition.type === "AT_TIMESTAMP" && initialPosition.timestamp !== undefined) {
      return { type: "AT_TIMESTAMP", timestamp: initialPosition.timestamp };
    }
    return { type: initialPosition.type === "LATEST" ? "LATEST" : "TRIM_HORIZON" };
  }

  async #run(): Promise<void> {
    try {
      const consumerArn = await this.#backoff.retrying(() => this.#deps.fanOut.consumerArn(this.#deps.streamName, this.#signal));
      await this.#recordStart();
      this.#started();
      while (!this.#signal.aborted) {
        if (this.#deps.mayFetch?.() === false) return;
        let subscription: ShardSubscription<WireKinesisRecord>;
        const position = this.#position;
        // A LATEST start not yet anchored by any event resumes where it was recorded, not at a later LATEST.
        if (position.type === "LATEST" && this.#latestFallback !== undefined) this.#position = this.#latestFallback;
        try {
          subscription = await this.#deps.fanOut.client.subscribeRaw(consumerArn, this.shardId, position, { signal: this.#signal });
        } catch (error) {
          await this.#recover(error);
          continue;
        }
        this.#life.markReady();
        try {
          if (await this.#drain(subscription)) return;
        } catch (error) {
          await subscription.close();
          await this.#recover(error);
        }
        // The subscription ended (five minutes are up, or it failed): subscribe again from the last continuation.
      }
    } catch (error) {
      if (this.#signal.aborted) return;
      this.#deps.metrics.failed(this.shardId, error, false);
      this.#deps.onFatal(error);
    }
  }

  /** Queue every event of one subscription; true when reading is over (the shard ended, or the queue or the reader stopped). */
  async #drain(subscription: ShardSubscription<WireKinesisRecord>): Promise<boolean> {
    for (;;) {
      const next = await subscription.next();
      if (next.done === true) return false;
      this.#backoff.succeeded();
      const outcome = await this.#enqueue(next.value);
      if (outcome !== "more" || this.#signal.aborted) {
        await subscription.close();
        return outcome !== "more" || this.#signal.aborted;
      }
    }
  }

  /** A failure of one subscription: back off and go on if it is retryable (or the subscription slot is still busy), else rethrow. */
  async #recover(error: unknown): Promise<void> {
    if (this.#signal.aborted) throw error;
    const busy = error instanceof AwsServiceError && error.awsCode === SUBSCRIPTION_BUSY;
    // Expired session credentials: the client forgot them; a provider that can renew them gets asked again.
    const renewed = error instanceof AwsServiceError && EXPIRED_TOKEN_CODES.has(error.awsCode) && this.#deps.fanOut.client.credentialsRenewable;
    if (!busy && !renewed && !isRetryable(error)) throw error;
    // Not caught up while failing: an idle timeout must not count a shard in error as idle.
    this.#life.caughtUp = false;
    await this.#backoff.sleepAfter(error);
  }

  /**
   * A LATEST start is recorded (a second early) before the first subscription, and a re-subscription
   * before anything arrived starts AT_TIMESTAMP there: LATEST again would skip what came meanwhile.
   */
  async #recordStart(): Promise<void> {
    const { recordStart, clock } = this.#deps;
    const position = this.#position;
    if (position.type === "LATEST") {
      const startAt = clock.now() - 1000;
      if (recordStart !== undefined) await recordStart(startAt);
      this.#latestFallback = { type: "AT_TIMESTAMP", timestamp: new Date(startAt) };
    } else if (position.type === "AT_TIMESTAMP" && recordStart !== undefined) {
      await recordStart(position.timestamp.getTime());
    }
  }

  /** Where a LATEST start resumes when its subscription ended before any continuation came. */
  #latestFallback: SubscribePosition | undefined;

  #started(): void {
    const position = this.#position;
    const where = "sequenceNumber" in position ? `${position.type} ${position.sequenceNumber}` : position.type;
    this.#deps.metrics.emit({ type: "shardStarted", shardId: this.shardId, position: `${where} (enhanced fan-out)` });
  }

  /**
   * Queue one event's records, as room is granted: "ended" at the shard's end, "stopped" when the
   * queue (a closing consumer, a spent bounded step) or this reader stopped, else "more".
   */
  async #enqueue(event: SubscribeEvent<WireKinesisRecord>): Promise<"more" | "ended" | "stopped"> {
    const { queue, lease, metrics } = this.#deps;
    const records = event.records;
    let bytes = 0;
    let at = 0;
    if (records.length > 0) this.#recordBytes = Math.max(1, largestPayload(records));
    while (at < records.length) {
      const room = await queue.reserve(records.length - at, this.#recordBytes, this.#signal);
      if (room === undefined) return "stopped"; // the lease, the consumer or its queue ended
      const portion = records.slice(at, at + room.records);
      const entries = new PageWriter<T>(this.shardId, lease, event.millisBehindLatest, portion.length);
      const context = this.#context(event.millisBehindLatest);
      let largest = 0;
      for (const record of portion) {
        const size = decodeWireRecord(record, context, entries);
        bytes += size;
        if (size > largest) largest = size;
      }
      this.#resumeInside = undefined;
      queue.noteRecordBytes(largest);
      this.#lastQueued = portion[portion.length - 1]!.SequenceNumber;
      queue.push(entries.entries(), room);
      at += portion.length;
    }
    this.#life.caughtUp = records.length === 0;
    metrics.emit({ type: "fetched", shardId: this.shardId, records: records.length, bytes, millisBehindLatest: event.millisBehindLatest });
    const drained = records.length === 0 && event.millisBehindLatest === 0 && this.#deps.shardClosed?.() === true;
    if (event.continuationSequenceNumber !== undefined && event.childShards === undefined && !drained) {
      this.#position = { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: event.continuationSequenceNumber };
      return "more";
    }
    // No continuation: the shard is closed and everything in it was delivered (ChildShards name its children).
    queue.push([{ kind: "end", shardId: this.shardId, lease, weight: 0, commit: undefined, lastSequence: this.#lastQueued }]);
    return "ended";
  }

  #context(millisBehindLatest: number | undefined): DecodeContext<T> {
    const { lease, processor, kplHashRangeCheck, metrics } = this.#deps;
    return {
      shardId: this.shardId,
      lease,
      processor,
      hashRange: this.#hashRange,
      kplHashRangeCheck,
      onOutOfRange: (sequenceNumber, count) => {
        const action = kplHashRangeCheck === "drop" ? "dropped" : "delivered";
        metrics.emit({ type: "kplOutOfRange", shardId: this.shardId, sequenceNumber, count, action });
      },
      millisBehindLatest,
      resumeInside: this.#resumeInside,
    };
  }
}

/** The largest payload of an event, from its base64 length: what the queue's byte bound reserves by. */
function largestPayload(records: readonly WireKinesisRecord[]): number {
  let largest = 0;
  for (const record of records) largest = Math.max(largest, Math.ceil((record.Data.length * 3) / 4));
  return largest;
}
