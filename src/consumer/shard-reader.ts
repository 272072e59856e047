import type { Lease } from "../checkpointers/types.ts";
import { AwsServiceError, isRetryable } from "../errors.ts";
import { linkSignals } from "../internal/abort.ts";
import { ReaderRun } from "./reader-run.ts";
import { type Clock, monotonicOf } from "../internal/clock.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { GetRecordsPage, HashKeyRange, WireKinesisRecord } from "../kinesis/types.ts";
import type { Processor } from "../processors/types.ts";
import { type DecodeContext, decodeWireRecord } from "./decode.ts";
import type { ConsumerMetrics } from "./events.ts";
import type { KplHashRangeCheck } from "./options.ts";
import type { QueueEntry } from "./entries.ts";
import { PageWriter } from "./page-writer.ts";
import type { RecordQueue, Reservation } from "./record-queue.ts";
import { CallPace } from "./call-pace.ts";
import { ReaderBackoff } from "./reader-backoff.ts";
import { isShardGone } from "./shard-failure.ts";
import type { StartPosition } from "./shard-plan.ts";
import { parsePosition } from "../internal/sequence.ts";

export interface ShardReaderDeps<T> {
  kinesis: KinesisClient;
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
  fetchIntervalMs: number;
  idleSleepMs: number;
  recordLimit: number;
  /** KPL sub-records outside this shard's hash range: deliver or drop (counted and announced either way). */
  kplHashRangeCheck: KplHashRangeCheck;
  /**
   * Record where a lease without a checkpoint starts (epoch ms), before anything is read; given only
   * for such a lease. Rejects when the lease ended (the reader stops).
   */
  recordStart?: ((atMs: number) => Promise<void>) | undefined;
  /** The consumer's own stop signal (close, user abort). */
  stop: AbortSignal;
  /** Asked before each GetShardIterator and GetRecords: false ends the reader (a bounded step spent its budget). */
  mayFetch?: (() => boolean) | undefined;
  /** A failure no retry can fix: the consumer surfaces it to the iterator. */
  onFatal(error: unknown): void;
  /** This shard alone cannot be read any more (see `isShardGone`): the reader has stopped; the others go on. */
  onShardGone(error: AwsServiceError): void;
}

/**
 * Reads one shard for as long as its lease holds: paces GetRecords to `shardFetchRate`, reserves
 * room in the queue before each call and asks for no more records than it reserved (so readers of
 * many shards together never overfill it; a full queue pauses the reader, and the iterator does not
 * advance, so nothing is skipped), re-creates expired iterators after the last record it queued, and
 * queues an end marker at SHARD_END.
 */
export class ShardReader<T> {
  readonly shardId: string;
  readonly #deps: ShardReaderDeps<T>;
  readonly #life: ReaderRun;
  readonly #signal: AbortSignal;
  readonly #hashRange: { start: bigint; end: bigint } | undefined;
  #iterator: string | undefined;
  /** The lease's checkpoint lies inside a KPL aggregate: skip that record's consumed sub-records. */
  #resumeInside: { sequence: string; subSequence: number } | undefined;
  /** The last sequence number handed to the queue; where to resume if the iterator expires. */
  #lastQueued: string | undefined;
  /** With nothing queued yet: the first record a peek saw (not queued), to resume AT it. */
  #firstUnqueued: string | undefined;
  /** With nothing queued or seen yet: where the iterator started (the checkpoint fallback may differ from the configured one). */
  #restartPosition: StartPosition;
  /** When the next GetRecords may start: `shardFetchRate` a second, never more than 5 in any second (see CallPace). */
  readonly #pace: CallPace;
  readonly #monotonic: () => number;
  /** The service's clock (its `Date` header) when it made the last iterator from a position. */
  #serverTimeAtStart: number | undefined;
  /** The largest record of this shard's last non-empty page: what the next fetch reserves bytes by. */
  #recordBytes: number | undefined;
  readonly #backoff: ReaderBackoff;

  constructor(deps: ShardReaderDeps<T>) {
    this.#deps = deps;
    this.#monotonic = monotonicOf(deps.clock);
    this.#pace = new CallPace(deps.fetchIntervalMs);
    this.shardId = deps.shardId;
    this.#life = new ReaderRun(deps.lease.signal, deps.stop);
    this.#signal = this.#life.signal;
    this.#backoff = new ReaderBackoff({ ...deps, signal: this.#signal });
    this.#lastQueued = deps.lease.sequence;
    const checkpoint = deps.lease.sequence === undefined ? undefined : parsePosition(deps.lease.sequence);
    if (checkpoint?.subSequence !== undefined) this.#resumeInside = { sequence: checkpoint.sequence, subSequence: checkpoint.subSequence };
    this.#restartPosition = deps.initialPosition;
    const range = deps.hashKeyRange;
    this.#hashRange = range === undefined ? undefined : { start: BigInt(range.startingHashKey), end: BigInt(range.endingHashKey) };
  }

  start(): void {
    this.#life.start(() => this.#run());
  }

  /** Resolves once the reader holds an iterator (or has stopped). */
  get ready(): Promise<void> {
    return this.#life.ready;
  }

  /** Resolves when the reader has stopped, for whatever reason. */
  get done(): Promise<void> {
    return this.#life.done;
  }

  /**
   * The last GetRecords succeeded and found nothing new (or the reader has stopped). An idle
   * timeout only counts while every reader is caught up: a shard in error backoff is not idle.
   */
  get caughtUp(): boolean {
    return this.#life.idle;
  }

  get stopped(): boolean {
    return this.#life.stopped;
  }

  async #run(): Promise<void> {
    const { queue } = this.#deps;
    try {
      if (this.#deps.mayFetch?.() === false) return;
      this.#iterator = await this.#backoff.retrying(() => this.#firstIterator());
      await this.#recordStart();
      this.#life.markReady();
      while (!this.#signal.aborted) {
        await this.#waitForPace();
        const room = await this.#reserve();
        if (room === undefined || room === "ended") return;
        if (this.#deps.mayFetch?.() === false) {
          queue.release(room);
          return;
        }
        let page: GetRecordsPage<WireKinesisRecord> | undefined;
        try {
          page = await this.#fetch(room.records);
        } finally {
          if (page === undefined) queue.release(room);
        }
        if (page === undefined) continue;
        const ended = this.#enqueue(page, room);
        if (ended) return;
        // An empty page: the idle sleep replaces the interval (the pace, not on top of it).
        if (page.records.length === 0) this.#pace.delay(this.#deps.idleSleepMs - this.#deps.fetchIntervalMs);
      }
    } catch (error) {
      if (this.#signal.aborted) return;
      this.#report(error, false);
      if (isShardGone(error)) this.#deps.onShardGone(error);
      else this.#deps.onFatal(error);
    }
  }

  /**
   * Run `attempt` until it succeeds, backing off after failures the client's own retries did not
   * fix (throttling, 5xx, network): getting an iterator must not kill the consumer over them.
   */
  #report(error: unknown, willRetry: boolean): void {
    this.#deps.metrics.failed(this.shardId, error, willRetry);
  }

  async #firstIterator(): Promise<string> {
    const { lease, initialPosition } = this.#deps;
    if (lease.sequence !== undefined) {
      try {
        const iterator = await this.#iteratorAfter(lease.sequence);
        this.#started(`AFTER_SEQUENCE_NUMBER ${lease.sequence}`);
        return iterator;
      } catch (error) {
        // A checkpoint older than the trim horizon no longer names a record the service keeps.
        if (!(error instanceof AwsServiceError && error.awsCode === "InvalidArgumentException")) throw error;
        this.#deps.metrics.emit({ type: "checkpointTrimmed", shardId: this.shardId, sequence: lease.sequence });
        this.#lastQueued = undefined;
        this.#restartPosition = { type: "TRIM_HORIZON" };
        const iterator = await this.#iteratorAt({ type: "TRIM_HORIZON" });
        this.#started("TRIM_HORIZON (checkpoint past the trim horizon)");
        return iterator;
      }
    }
    const iterator = await this.#iteratorAt(initialPosition);
    this.#started(initialPosition.type);
    return iterator;
  }

  /**
   * A LATEST start is recorded as the service's time when it made the iterator, less a second (the
   * `Date` header has whole seconds): a later owner's AT_TIMESTAMP then covers everything this LATEST
   * iterator could return, at worst a second's records more. AT_TIMESTAMP records its own timestamp.
   */
  async #recordStart(): Promise<void> {
    const { recordStart, initialPosition, clock } = this.#deps;
    if (recordStart === undefined || this.#restartPosition !== initialPosition) return;
    if (initialPosition.type === "AT_TIMESTAMP" && initialPosition.timestamp !== undefined) return recordStart(initialPosition.timestamp.getTime());
    if (initialPosition.type === "LATEST") {
      const startAt = (this.#serverTimeAtStart ?? clock.now()) - 1000;
      await recordStart(startAt);
      // Should this iterator expire before anything is read, re-create it where the start was recorded,
      // not at a later LATEST that would skip what arrived meanwhile.
      this.#restartPosition = { type: "AT_TIMESTAMP", timestamp: new Date(startAt) };
    }
  }

  #started(position: string): void {
    this.#deps.metrics.emit({ type: "shardStarted", shardId: this.shardId, position });
  }

  /** After a checkpoint; one inside a KPL aggregate (`<sequence>:<sub>`) starts at its record, whose consumed sub-records are skipped. */
  #iteratorAfter(checkpoint: string): Promise<string> {
    const { kinesis, streamName } = this.#deps;
    const { sequence, subSequence } = parsePosition(checkpoint);
    const type = subSequence === undefined ? "AFTER_SEQUENCE_NUMBER" : "AT_SEQUENCE_NUMBER";
    return kinesis.getShardIterator(streamName, this.shardId, type, { sequenceNumber: sequence }, { signal: this.#signal });
  }

  #iteratorAt(position: StartPosition): Promise<string> {
    const { kinesis, streamName } = this.#deps;
    const where = position.timestamp === undefined ? {} : { timestamp: position.timestamp };
    const onServerTime = (epochMs: number): void => {
      this.#serverTimeAtStart = epochMs;
    };
    return kinesis.getShardIterator(streamName, this.shardId, position.type, where, { signal: this.#signal, onServerTime });
  }

  /**
   * Room in the queue for the next fetch; undefined when the reader is stopping (or the queue is),
   * "ended" when the shard turned out to have ended while waiting.
   *
   * A LATEST iterator that has queued nothing cannot be re-created where it stands once it expires
   * (LATEST again would skip whatever arrived meanwhile). So while the queue is full, such a reader
   * keeps polling with Limit 1, as it would anyway on an idle shard: an empty page refreshes the
   * iterator; the first record seen anchors the position (AT_SEQUENCE_NUMBER) without being queued.
   */
  async #reserve(): Promise<Reservation | "ended" | undefined> {
    const { queue, clock, idleSleepMs, recordLimit } = this.#deps;
    if (!this.#unanchored()) return queue.reserve(recordLimit, this.#recordBytes, this.#signal);
    while (!this.#signal.aborted && queue.open) {
      // Whichever comes first, room in the queue or the poll interval, ends the wait for both.
      const wait = linkSignals([this.#signal]);
      void clock.sleep(idleSleepMs, wait.signal).then(
        () => wait.abort(),
        () => undefined,
      );
      const room = await queue.reserve(recordLimit, this.#recordBytes, wait.signal);
      wait.abort();
      if (room !== undefined || this.#signal.aborted) return room;
      await this.#waitForPace();
      if (this.#deps.mayFetch?.() === false) return undefined;
      const page = await this.#fetch(1);
      if (page === undefined) continue;
      const first = page.records[0];
      if (first !== undefined) {
        this.#firstUnqueued = first.SequenceNumber;
        return queue.reserve(recordLimit, this.#recordBytes, this.#signal);
      }
      if (this.#enqueue(page, undefined)) return "ended";
    }
    return undefined;
  }

  #unanchored(): boolean {
    return this.#lastQueued === undefined && this.#firstUnqueued === undefined && this.#restartPosition.type === "LATEST";
  }

  /** A fresh iterator where this reader stands: after the last queued record, at the first one seen, or where it started. */
  #resumeIterator(): Promise<string> {
    const { kinesis, streamName } = this.#deps;
    if (this.#lastQueued !== undefined) return this.#iteratorAfter(this.#lastQueued);
    if (this.#firstUnqueued !== undefined) {
      return kinesis.getShardIterator(streamName, this.shardId, "AT_SEQUENCE_NUMBER", { sequenceNumber: this.#firstUnqueued }, { signal: this.#signal });
    }
    return this.#iteratorAt(this.#restartPosition);
  }

  async #waitForPace(): Promise<void> {
    const wait = this.#pace.nextAt - this.#monotonic();
    if (wait > 0) await this.#deps.clock.sleep(wait, this.#signal);
  }

  /** One GetRecords of at most `limit` records; undefined when it failed in a way this loop recovers from by itself. */
  async #fetch(limit: number): Promise<GetRecordsPage<WireKinesisRecord> | undefined> {
    const { kinesis, metrics } = this.#deps;
    try {
      // The client's retries are GetRecords too: they keep the pace (full jitter alone may retry at once).
      const paced = { signal: this.#signal, minRetryDelayMs: this.#pace.retryDelayMs };
      this.#pace.started(this.#monotonic());
      const page = await kinesis.getRecordsRaw(this.#iterator!, limit, paced).finally(() => {
        this.#pace.ended(this.#monotonic());
      });
      this.#backoff.succeeded();
      this.#life.caughtUp = page.records.length === 0;
      return page;
    } catch (error) {
      this.#life.caughtUp = false;
      if (this.#signal.aborted) throw error;
      if (error instanceof AwsServiceError && error.awsCode === "ExpiredIteratorException") {
        metrics.emit({ type: "iteratorExpired", shardId: this.shardId, resumeAfter: this.#lastQueued });
        this.#iterator = await this.#backoff.retrying(() => this.#resumeIterator());
        return undefined;
      }
      if (!isRetryable(error)) throw error;
      // The client already retried with backoff; keep the shard alive and try again later.
      await this.#backoff.sleepAfter(error);
      return undefined;
    }
  }

  /** Queue a page's records in the room reserved for them; true when the shard has ended. */
  #enqueue(page: GetRecordsPage<WireKinesisRecord>, room: Reservation | undefined): boolean {
    const { queue, processor, lease, metrics, kplHashRangeCheck } = this.#deps;
    const entries = new PageWriter<T>(this.shardId, lease, page.millisBehindLatest, page.records.length);
    let bytes = 0;
    let largest = 0;
    const context: DecodeContext<T> = {
      shardId: this.shardId,
      lease,
      processor,
      hashRange: this.#hashRange,
      kplHashRangeCheck,
      onOutOfRange: (sequenceNumber, count) => this.#outOfRange(sequenceNumber, count),
      millisBehindLatest: page.millisBehindLatest,
      resumeInside: this.#resumeInside,
    };
    // The first record after an AT_SEQUENCE_NUMBER start is the one the checkpoint is inside of.
    if (page.records.length > 0) this.#resumeInside = undefined;
    for (const record of page.records) {
      const size = decodeWireRecord(record, context, entries);
      bytes += size;
      if (size > largest) largest = size;
    }
    if (page.records.length > 0) {
      this.#recordBytes = Math.max(1, largest);
      queue.noteRecordBytes(largest);
    }
    const last = page.records[page.records.length - 1];
    if (last !== undefined) this.#lastQueued = last.SequenceNumber;
    metrics.emit({ type: "fetched", shardId: this.shardId, records: page.records.length, bytes, millisBehindLatest: page.millisBehindLatest });
    const ended = page.nextShardIterator === undefined;
    if (ended) {
      entries.marker({ kind: "end", shardId: this.shardId, lease, weight: 0, commit: undefined, lastSequence: this.#lastQueued });
    } else {
      this.#iterator = page.nextShardIterator;
    }
    const queued = entries.entries();
    if (queued.length > 0 || room !== undefined) queue.push(queued, room);
    return ended;
  }

  #outOfRange(sequenceNumber: string, count: number): void {
    const action = this.#deps.kplHashRangeCheck === "drop" ? "dropped" : "delivered";
    this.#deps.metrics.emit({ type: "kplOutOfRange", shardId: this.shardId, sequenceNumber, count, action });
  }
}
