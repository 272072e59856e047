import type { CheckpointSession, Lease, ShardCheckpoint } from "../checkpointers/types.ts";
import { type AwsServiceError, isRetryable, LeaseLostError } from "../errors.ts";
import type { Clock } from "../internal/clock.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { Shard } from "../kinesis/types.ts";
import type { Processor } from "../processors/types.ts";
import type { BoundedStep } from "./bounded-step.ts";
import type { QueueEntry } from "./entries.ts";
import { type ConsumerMetrics, leaseLossOf } from "./events.ts";
import type { ResolvedConsumerOptions } from "./options.ts";
import type { RecordQueue } from "./record-queue.ts";
import { planShards, type StartPosition } from "./shard-plan.ts";
import { ShardReader, type ShardReaderDeps } from "./shard-reader.ts";
import { FanOutReader } from "./fan-out-reader.ts";
import type { FanOutSource } from "./fan-out-source.ts";

/** What the group needs from the consumer that owns it. */
export interface ConsumerGroupHost<T> {
  streamName: string;
  kinesis: KinesisClient;
  options: ResolvedConsumerOptions;
  processor: Processor<T>;
  queue: RecordQueue<QueueEntry<T>>;
  metrics: ConsumerMetrics;
  clock: Clock;
  random: () => number;
  step: BoundedStep | undefined;
  /** Aborted when the consumer closes. */
  stop: AbortSignal;
  /** When the consumer was created: rows updated before it are an earlier run's progress. */
  createdAt: number;
  /** Retries transient failures until done (or the consumer stops). */
  untilDone<R>(attempt: () => Promise<R>): Promise<R>;
  /** A failure no retry can fix: the consumer ends with it. */
  fail(error: unknown): void;
  /** Drop what was queued or handed out under a lease that ended; returns how many records were dropped. */
  dropLease(lease: Lease): number;
  /** With several streams: every shard the consumer reads, over all its streams (`maxShardConsumers` bounds the whole consumer). */
  heldShards?: (() => number) | undefined;
  /** Told of each lease this group takes, before its reader starts (a consumer of several streams maps it to its stream). */
  onLease?: ((lease: Lease) => void) | undefined;
  /** Set with the `fanOut` option: shards are read with SubscribeToShard (FanOutReader) instead of polling. */
  fanOut?: FanOutSource | undefined;
}

/**
 * The consumer's part in its group: allocation rounds (list shards, plan, lease), the discovery loop
 * between them, and what happens when a lease ends or a shard is gone. One reader runs per shard
 * leased here; delivery and the consumer's lifecycle live in the consumer.
 */
export class ConsumerGroup<T> {
  readonly #host: ConsumerGroupHost<T>;
  readonly readers = new Map<string, ShardReader<T> | FanOutReader<T>>();
  /** Shards that answered ResourceNotFoundException: never leased again by this consumer. */
  readonly #goneShards = new Set<string>();
  /** Shards whose rows of another stream incarnation were reported (once each). */
  readonly #reportedForeign = new Set<string>();
  #incarnation: string | undefined;
  #session: CheckpointSession | undefined;
  #discovery: Promise<void> | undefined;
  #wakeDiscovery: (() => void) | undefined;
  /** A round was asked for while one was running: run the next at once instead of after the interval. */
  #discoveryWanted = false;
  #shards: Shard[] = [];
  #shardsListedAt = Number.NEGATIVE_INFINITY;

  constructor(host: ConsumerGroupHost<T>) {
    this.#host = host;
  }

  /** Shards the consumer reads now: this group's, or every stream's when it reads several. */
  #held(): number {
    return this.#host.heldShards?.() ?? this.readers.size;
  }

  /** Runs the first round (retrying transient failures), then keeps discovering in the background. */
  async start(session: CheckpointSession, incarnation: string | undefined): Promise<void> {
    this.#session = session;
    this.#incarnation = incarnation;
    await this.#host.untilDone(() => this.#allocateRound());
    this.#discovery = this.#discoveryLoop();
  }

  /** A shard was finished (SHARD_END written): its children may start now, so look again at once. */
  shardFinished(shardId: string, lastSequence: string | undefined): void {
    this.readers.delete(shardId);
    this.#host.metrics.emit({ type: "shardEnded", shardId, lastSequence });
    this.#shardsListedAt = Number.NEGATIVE_INFINITY;
    this.requestDiscovery();
  }

  requestDiscovery(): void {
    this.#discoveryWanted = true;
    this.#wakeDiscovery?.();
  }

  /** Wakes a sleeping discovery loop so it sees the stop signal. */
  wake(): void {
    this.#wakeDiscovery?.();
  }

  /** Every reader has ended. */
  async readersSettled(): Promise<void> {
    await Promise.allSettled([...this.readers.values()].map((reader) => reader.done));
  }

  /** Waits out the discovery loop (after the stop signal) and forgets the readers. */
  async stopped(): Promise<void> {
    await this.#discovery;
    this.readers.clear();
  }

  async #discoveryLoop(): Promise<void> {
    const host = this.#host;
    const intervalMs = Math.min(host.options.shardRefreshMs, this.#session!.allocateIntervalSeconds * 1000);
    while (!host.stop.aborted) {
      if (!this.#discoveryWanted) {
        await new Promise<void>((resolve) => {
          this.#wakeDiscovery = resolve;
          host.clock.sleep(intervalMs, host.stop).then(resolve, resolve);
        });
      }
      this.#wakeDiscovery = undefined;
      this.#discoveryWanted = false;
      if (host.stop.aborted) return;
      try {
        await this.#allocateRound();
      } catch (error) {
        if (host.stop.aborted) return;
        this.#reportRoundFailure(error);
      }
    }
  }

  #reportRoundFailure(error: unknown): void {
    const retryable = isRetryable(error);
    this.#host.metrics.failed(undefined, error, retryable);
    // Discovery keeps going after transient failures; anything else must reach the iterator.
    if (!retryable) this.#host.fail(error);
  }

  /** List shards when due, work out which may start, and try to lease the ones not being read here. */
  async #allocateRound(): Promise<void> {
    const host = this.#host;
    const session = this.#session!;
    if (host.step?.mayList(this.#held()) === false) return;
    if (host.clock.now() - this.#shardsListedAt >= host.options.shardRefreshMs) {
      this.#shards = await host.kinesis.listShards(host.streamName, { signal: host.stop });
      this.#shardsListedAt = host.clock.now();
    }
    const rows = new Map<string, ShardCheckpoint>();
    for (const row of await session.list()) {
      if (this.#isForeign(row)) this.#reportForeign(row);
      else rows.set(row.shardId, row);
    }
    const plan = planShards(this.#shards, rows, host.options.iteratorType, host.options.timestamp);
    for (const { shard, position, childOfReadParent } of plan) {
      if (host.stop.aborted) return;
      if (this.readers.has(shard.shardId) || this.#goneShards.has(shard.shardId)) continue;
      if (this.#held() >= host.options.maxShardConsumers) break;
      if (host.step?.mayTake(this.#held()) === false) break;
      const lease = await session.allocate(shard.shardId, {
        totalShards: plan.length,
        maxShards: host.options.maxShardConsumers,
        maxBytesPerSecond: host.options.maxBytesPerSecond,
      });
      if (lease === undefined) continue;
      host.onLease?.(lease);
      host.metrics.emit({ type: "leaseAcquired", shardId: shard.shardId, sequence: lease.sequence });
      if (lease.sequence === undefined && !childOfReadParent && this.#groupRanBefore(rows)) {
        host.metrics.emit({ type: "checkpointMissing", shardId: shard.shardId, startingAt: position.type });
      }
      this.#startReader(shard, lease, this.#startPosition(lease, position));
    }
  }

  /** A row written for another incarnation of the stream (deleted and recreated under this name). */
  #isForeign(row: ShardCheckpoint): boolean {
    return this.#incarnation !== undefined && row.incarnation !== undefined && row.incarnation !== this.#incarnation;
  }

  #reportForeign(row: ShardCheckpoint): void {
    if (this.#reportedForeign.has(row.shardId)) return;
    this.#reportedForeign.add(row.shardId);
    this.#host.metrics.emit({
      type: "checkpointIgnored",
      shardId: row.shardId,
      reason: "stream-recreated",
      rowStreamCreatedAt: Number(row.incarnation),
      streamCreatedAt: Number(this.#incarnation),
    });
  }

  /**
   * Where a leased shard starts when it has no checkpoint: where an earlier owner's `LATEST` or
   * `AT_TIMESTAMP` start was recorded, if it was (not at a later `LATEST`), else as planned.
   */
  #startPosition(lease: Lease, planned: StartPosition): StartPosition {
    if (lease.sequence === undefined && lease.startAt !== undefined) return { type: "AT_TIMESTAMP", timestamp: new Date(lease.startAt) };
    return planned;
  }

  /**
   * Whether this group had progress on the stream before this consumer started: then a shard with
   * no checkpoint is one whose row expired (or was deleted), not simply a shard nobody read yet.
   */
  #groupRanBefore(rows: ReadonlyMap<string, ShardCheckpoint>): boolean {
    for (const row of rows.values()) {
      const progressed = row.sequence !== undefined || row.finished;
      if (progressed && row.updatedAt !== undefined && row.updatedAt < this.#host.createdAt) return true;
    }
    return false;
  }

  #startReader(shard: Shard, lease: Lease, position: StartPosition): void {
    const host = this.#host;
    const options = host.options;
    const step = host.step;
    const deps: ShardReaderDeps<T> = {
      kinesis: host.kinesis,
      streamName: host.streamName,
      shardId: shard.shardId,
      hashKeyRange: shard.hashKeyRange,
      lease,
      initialPosition: position,
      queue: host.queue,
      processor: host.processor,
      metrics: host.metrics,
      clock: host.clock,
      random: host.random,
      fetchIntervalMs: options.fetchIntervalMs,
      idleSleepMs: options.idleSleepMs,
      // A step that may yield only so many items needs no more records than that from one shard.
      recordLimit: Math.min(options.recordLimit, options.stopAfter?.records ?? Number.POSITIVE_INFINITY),
      kplHashRangeCheck: options.kplHashRangeCheck,
      // A fresh LATEST / AT_TIMESTAMP start is recorded before anything is read, so a next owner starts there too.
      recordStart: lease.sequence === undefined && lease.startAt === undefined
        ? (atMs) => host.untilDone(() => this.#session!.recordStart(shard.shardId, atMs))
        : undefined,
      stop: step?.readerStop(host.stop) ?? host.stop,
      mayFetch: step === undefined ? undefined : () => step.mayFetch(this.#held()),
      onFatal: (error) => host.fail(error),
      onShardGone: (error) => this.#stopShard(shard.shardId, error),
    };
    const shardClosed = (): boolean => this.#shards.find((s) => s.shardId === shard.shardId)?.sequenceNumberRange.endingSequenceNumber !== undefined;
    const reader = host.fanOut === undefined ? new ShardReader<T>(deps) : new FanOutReader<T>({ ...deps, fanOut: host.fanOut, shardClosed });
    this.readers.set(shard.shardId, reader);
    if (lease.signal.aborted) {
      // Ended before its reader started (an aborted signal never fires "abort" again): report it, lease the shard anew.
      this.#onLeaseEnded(shard.shardId, lease, reader);
      return;
    }
    lease.signal.addEventListener("abort", () => this.#onLeaseEnded(shard.shardId, lease, reader), { once: true });
    reader.start();
  }

  /** A lease ended: lost, handed over, or released (by close too); every end is reported, so `stats()` stops counting it. */
  #onLeaseEnded(shardId: string, lease: Lease, reader: ShardReader<T> | FanOutReader<T>): void {
    if (this.readers.get(shardId) === reader) this.readers.delete(shardId);
    const cause: unknown = lease.signal.reason;
    const closing = this.#host.stop.aborted;
    // Closing: close() drops the whole queue itself, so no records are counted to this lease.
    const dropped = closing ? 0 : this.#host.dropLease(lease);
    // A handoff or release is this worker's own choice; only a lease taken away (or expired) is a loss.
    if (cause instanceof LeaseLostError && (cause.reason === "handed-over" || cause.reason === "released")) {
      this.#host.metrics.emit({ type: "leaseReleased", shardId, reason: cause.reason, droppedRecords: dropped });
    } else {
      this.#host.metrics.emit({ type: "leaseLost", shardId, ...leaseLossOf(cause), droppedRecords: dropped });
    }
    if (!closing) this.requestDiscovery();
  }

  /**
   * One shard cannot be read any more (it aged out, say): stop only it, say so, give its lease up, and
   * list shards again at once. If the whole stream is gone, that listing fails and ends the consumer.
   */
  #stopShard(shardId: string, error: AwsServiceError): void {
    this.#goneShards.add(shardId);
    this.#host.metrics.emit({ type: "shardStopped", shardId, errorName: error.name, awsCode: error.awsCode, message: error.message });
    this.#shardsListedAt = Number.NEGATIVE_INFINITY;
    this.#session?.release(shardId).catch((releaseError: unknown) => this.#host.metrics.failed(shardId, releaseError, false));
    this.requestDiscovery();
  }
}
