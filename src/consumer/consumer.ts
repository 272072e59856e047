import { pickClientOptions } from "../aws/client-options.ts";
import { MemoryCheckPointer } from "../checkpointers/memory.ts";
import type { CheckPointer, CheckpointSession, Lease, ShardCheckpoint } from "../checkpointers/types.ts";
import { backoffDelay, defaultBackoff } from "../aws/retry.ts";
import { type AwsServiceError, ClosedError, ConfigError, isRetryable, isThrottling, LeaseLostError } from "../errors.ts";
import { linkSignals, type LinkedSignal } from "../internal/abort.ts";
import { systemClock, type Clock } from "../internal/clock.ts";
import { KinesisClient } from "../kinesis/client.ts";
import type { Shard } from "../kinesis/types.ts";
import { JsonProcessor } from "../processors/index.ts";
import type { Processor } from "../processors/types.ts";
import type { ConsumerRecord, QueueEntry } from "./entries.ts";
import { Delivery, type DeliveryHost, type EndEntry } from "./delivery.ts";
import { ConsumerMetrics, type ConsumerStats } from "./events.ts";
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from "./options.ts";
import { RecordQueue } from "./record-queue.ts";
import { planShards } from "./shard-plan.ts";
import { processSignalWatch } from "./signals.ts";
import { untilActive } from "./stream-ready.ts";
import { ShardReader, type StartPosition } from "./shard-reader.ts";
import { BoundedStep } from "./bounded-step.ts";

/**
 * Reads every shard of a stream and yields decoded items with `for await`. One reader per leased
 * shard feeds a bounded queue; a record's checkpoint is committed only once the caller has taken it
 * and asked for the next one, so a crash replays records and never loses them.
 */
export class Consumer<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  readonly streamName: string;
  readonly #options: ResolvedConsumerOptions;
  readonly #kinesis: KinesisClient;
  readonly #checkpointer: CheckPointer;
  readonly #ownsCheckpointer: boolean;
  readonly #processor: Processor<T>;
  readonly #metrics: ConsumerMetrics;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #queue: RecordQueue<QueueEntry<T>>;
  readonly #stopController = new AbortController();
  readonly #stopLink: LinkedSignal;
  readonly #stop: AbortSignal;
  readonly #readers = new Map<string, ShardReader<T>>();
  /** Shards that answered ResourceNotFoundException: never leased again by this consumer. */
  readonly #goneShards = new Set<string>();
  /** Shards whose rows of another stream incarnation were reported (once each). */
  readonly #reportedForeign = new Set<string>();
  #incarnation: string | undefined;
  #session: CheckpointSession | undefined;
  #retentionHours = 24;
  #starting: Promise<void> | undefined;
  #discovery: Promise<void> | undefined;
  #wakeDiscovery: (() => void) | undefined;
  /** A round was asked for while one was running: run the next at once instead of after the interval. */
  #discoveryWanted = false;
  #shards: Shard[] = [];
  #shardsListedAt = Number.NEGATIVE_INFINITY;
  readonly #delivery: Delivery<T>;
  readonly #createdAt: number;
  #started = false;
  #closing: Promise<void> | undefined;
  /** A failure no retry can fix; every later `next()` rejects with it, even once closing has begun. */
  #fatal: { error: unknown } | undefined;
  /** A bounded step's budget and controls (`stopAfter`), if this consumer runs one. */
  readonly #step: BoundedStep | undefined;
  #stepTimer: Promise<void> | undefined;
  /** Stops `handleSignals` watching for this consumer; called once it has closed. */
  #unwatchSignals: (() => void) | undefined;

  constructor(options: ConsumerOptions<T>) {
    this.#options = resolveConsumerOptions(options as ConsumerOptions<unknown>);
    this.streamName = options.streamName;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#createdAt = this.#clock.now();
    const stopAfter = this.#options.stopAfter;
    this.#step = stopAfter === undefined ? undefined : new BoundedStep(stopAfter, this.#clock, () => this.#queue.close());
    const clientOptions = pickClientOptions(options);
    this.#kinesis = new KinesisClient(this.#step === undefined ? clientOptions : { ...clientOptions, fetch: this.#step.kinesisFetch(clientOptions.fetch) });
    this.#ownsCheckpointer = options.checkpointer === undefined;
    this.#checkpointer = options.checkpointer ?? new MemoryCheckPointer();
    this.#step?.watch(this.#checkpointer);
    this.#processor = options.processor ?? (new JsonProcessor() as unknown as Processor<T>);
    this.#metrics = new ConsumerMetrics(options.onEvent);
    this.#queue = new RecordQueue({ maxRecords: this.#options.maxQueueSize, maxBytes: this.#options.maxQueueBytes });
    this.#delivery = new Delivery<T>(this.#deliveryHost(), this.#queue, this.#metrics, this.#options, this.#step?.budget);
    this.#stopLink = linkSignals([this.#stopController.signal, options.signal]);
    this.#stop = this.#stopLink.signal;
    // The user's signal closes the consumer; the link is undone on close, so a long-lived signal
    // does not keep closed consumers alive.
    this.#stop.addEventListener("abort", () => void this.close().catch(() => undefined), { once: true });
    this.#kinesis.http.onAttempt = (attempt) => {
      if (attempt.error !== undefined && isThrottling(attempt.error)) {
        this.#metrics.emit({ type: "throttled", shardId: undefined, operation: attempt.operation });
      }
    };
    if (options.handleSignals === true) this.#unwatchSignals = this.#watchSignals();
  }

  /** `handleSignals`: SIGINT / SIGTERM close this consumer (releasing its leases), then the signal proceeds. */
  #watchSignals(): () => void {
    const watch = processSignalWatch();
    if (watch === undefined) {
      this.#stopLink.dispose();
      throw new ConfigError("handleSignals", "this runtime has no process signals (workerd, browsers): close the consumer yourself");
    }
    return watch.register({
      onSignal: (signal) => {
        this.#metrics.emit({ type: "signalReceived", signal });
        return this.close();
      },
    });
  }

  /** Yields decoded items (what the processor produced), as the Python library does. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return this.#delivery.iterator((entry) => entry.record.data);
  }

  /** Yields each item with its metadata: partition key, sequence numbers, shard, arrival time, lag. */
  records(): AsyncIterableIterator<ConsumerRecord<T>, undefined> {
    return this.#delivery.iterator((entry) => entry.record);
  }

  /** Resolves once every shard this consumer holds has an iterator (start a LATEST consumer, then produce). */
  async waitReady(): Promise<void> {
    await this.#start();
    await Promise.all([...this.#readers.values()].map((reader) => reader.ready));
  }

  /**
   * Everything handed out so far is done: commit it, including the item in hand, and write every
   * buffered checkpoint now (for `autoCheckpoint: false` checkpointers, e.g. batch jobs that commit
   * after their own writes are durable).
   */
  async manualCheckpoint(): Promise<void> {
    this.#delivery.commitHandedOut();
    await this.#session?.manualCheckpoint();
  }

  /** Counters behind the events: records and bytes delivered, lag per shard, throttles, errors. */
  stats(): ConsumerStats {
    return this.#metrics.snapshot(this.#queue.gauge());
  }

  /** Shards this consumer is reading now. */
  get shards(): string[] {
    return [...this.#readers.keys()];
  }

  /**
   * Stop reading, write what has been committed, release every lease (so another worker resumes
   * within one allocation round) and end iteration. The last item handed out is not committed unless
   * the caller asked for the next one: it will be delivered again.
   */
  close(): Promise<void> {
    // Deferred a tick so `#closing` is set before shutdown aborts the stop signal, whose listener
    // calls close() again.
    this.#closing ??= Promise.resolve().then(() => this.#shutdown());
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #deliveryHost(): DeliveryHost<T> {
    // Getters, so the delivery side always sees the consumer's current state.
    const consumer = this;
    return {
      start: () => consumer.#start(),
      get started() {
        return consumer.#started;
      },
      get closing() {
        return consumer.#closing !== undefined;
      },
      get fatal() {
        return consumer.#fatal;
      },
      get stepFetchingOver() {
        return consumer.#step?.fetchingOver === true;
      },
      endStep: () => consumer.#endStep(),
      get session() {
        return consumer.#session;
      },
      finishShard: (entry) => consumer.#finishInBackground(entry),
      idle: () => {
        for (const reader of consumer.#readers.values()) if (!reader.caughtUp) return false;
        return true;
      },
    };
  }

  /**
   * The SHARD_END write runs beside delivery, never inside the caller's `next()`: its retries must not
   * stall the other shards, and without autoCheckpoint it waits for the caller's manualCheckpoint().
   */
  #finishInBackground(entry: EndEntry<T>): void {
    void this.#finishShard(entry); // settles on its own: failures end in #fail or a lost lease
  }

  async #finishShard(entry: EndEntry<T>): Promise<void> {
    try {
      // Transient failures are retried here: a lost SHARD_END would keep the children waiting.
      await this.#untilDone(() => this.#session!.finish(entry.shardId, entry.lastSequence));
    } catch (error) {
      // The lease ended under us (its abort reports leaseLost): the new owner finishes the shard.
      if (error instanceof LeaseLostError || this.#stop.aborted) return;
      this.#fail(error);
      return;
    }
    this.#readers.delete(entry.shardId);
    this.#metrics.emit({ type: "shardEnded", shardId: entry.shardId, lastSequence: entry.lastSequence });
    // Its children may start now: look again at once instead of at the next refresh.
    this.#shardsListedAt = Number.NEGATIVE_INFINITY;
    this.#requestDiscovery();
  }

  #requestDiscovery(): void {
    this.#discoveryWanted = true;
    this.#wakeDiscovery?.();
  }

  #start(): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError("consumer"));
    this.#starting ??= this.#startOnce();
    return this.#starting;
  }

  async #startOnce(): Promise<void> {
    try {
      await this.#startSteps();
    } catch (error) {
      // Close what did start (the session's heartbeats), so a failed start leaves nothing running.
      if (!this.#stop.aborted) this.#fail(error);
      throw error;
    }
  }

  async #startSteps(): Promise<void> {
    if (this.#step !== undefined) this.#stepTimer = this.#step.runTimer(this.#step.readerStop(this.#stop));
    const describe = () => this.#untilDone(() => this.#kinesis.describeStreamSummary(this.streamName, { signal: this.#stop }));
    const summary = await untilActive(await describe(), describe, {
      clock: this.#clock,
      stop: this.#stop,
      onWaiting: (status) => this.#metrics.emit({ type: "streamNotActive", streamName: this.streamName, status }),
    });
    this.#retentionHours = summary.retentionPeriodHours;
    this.#incarnation = summary.streamCreatedAt === undefined ? undefined : String(summary.streamCreatedAt);
    this.#session = await this.#checkpointer.start({
      streamName: summary.streamName,
      retentionHours: this.#retentionHours,
      streamCreatedAt: summary.streamCreatedAt,
    });
    await this.#untilDone(() => this.#allocateRound());
    this.#discovery = this.#discoveryLoop();
    this.#started = true;
  }

  /**
   * Starting must outlast throttling and 5xx that the client's own retries did not fix: a transient
   * failure here would otherwise end the consumer for good. Anything else is thrown.
   */
  async #untilDone<R>(attempt: () => Promise<R>): Promise<R> {
    for (let failures = 0; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        if (this.#stop.aborted || !isRetryable(error)) throw error;
        this.#metrics.failed(undefined, error, true);
        await this.#clock.sleep(Math.min(10_000, backoffDelay(defaultBackoff, failures, true, this.#random) + 100), this.#stop);
      }
    }
  }

  async #discoveryLoop(): Promise<void> {
    const intervalMs = Math.min(this.#options.shardRefreshMs, this.#session!.allocateIntervalSeconds * 1000);
    while (!this.#stop.aborted) {
      if (!this.#discoveryWanted) {
        await new Promise<void>((resolve) => {
          this.#wakeDiscovery = resolve;
          this.#clock.sleep(intervalMs, this.#stop).then(resolve, resolve);
        });
      }
      this.#wakeDiscovery = undefined;
      this.#discoveryWanted = false;
      if (this.#stop.aborted) return;
      try {
        await this.#allocateRound();
      } catch (error) {
        if (this.#stop.aborted) return;
        this.#reportRoundFailure(error);
      }
    }
  }

  #reportRoundFailure(error: unknown): void {
    const retryable = isRetryable(error);
    this.#metrics.failed(undefined, error, retryable);
    // Discovery keeps going after transient failures; anything else must reach the iterator.
    if (!retryable) this.#fail(error);
  }

  /** List shards when due, work out which may start, and try to lease the ones not being read here. */
  async #allocateRound(): Promise<void> {
    const session = this.#session!;
    if (this.#step?.mayList(this.#readers.size) === false) return;
    if (this.#clock.now() - this.#shardsListedAt >= this.#options.shardRefreshMs) {
      this.#shards = await this.#kinesis.listShards(this.streamName, { signal: this.#stop });
      this.#shardsListedAt = this.#clock.now();
    }
    const rows = new Map<string, ShardCheckpoint>();
    for (const row of await session.list()) {
      if (this.#isForeign(row)) this.#reportForeign(row);
      else rows.set(row.shardId, row);
    }
    const plan = planShards(this.#shards, rows, this.#options.iteratorType, this.#options.timestamp);
    for (const { shard, position, childOfReadParent } of plan) {
      if (this.#stop.aborted) return;
      if (this.#readers.has(shard.shardId) || this.#goneShards.has(shard.shardId)) continue;
      if (this.#readers.size >= this.#options.maxShardConsumers) break;
      if (this.#step?.mayTake(this.#readers.size) === false) break;
      const lease = await session.allocate(shard.shardId, { totalShards: plan.length });
      if (lease === undefined) continue;
      this.#metrics.emit({ type: "leaseAcquired", shardId: shard.shardId, sequence: lease.sequence });
      if (lease.sequence === undefined && !childOfReadParent && this.#groupRanBefore(rows)) {
        this.#metrics.emit({ type: "checkpointMissing", shardId: shard.shardId, startingAt: position.type });
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
    this.#metrics.emit({
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
      if (progressed && row.updatedAt !== undefined && row.updatedAt < this.#createdAt) return true;
    }
    return false;
  }

  #startReader(shard: Shard, lease: Lease, position: StartPosition): void {
    const reader = new ShardReader<T>({
      kinesis: this.#kinesis,
      streamName: this.streamName,
      shardId: shard.shardId,
      hashKeyRange: shard.hashKeyRange,
      lease,
      initialPosition: position,
      queue: this.#queue,
      processor: this.#processor,
      metrics: this.#metrics,
      clock: this.#clock,
      random: this.#random,
      fetchIntervalMs: this.#options.fetchIntervalMs,
      idleSleepMs: this.#options.idleSleepMs,
      // A step that may yield only so many items needs no more records than that from one shard.
      recordLimit: Math.min(this.#options.recordLimit, this.#options.stopAfter?.records ?? Number.POSITIVE_INFINITY),
      kplHashRangeCheck: this.#options.kplHashRangeCheck,
      // A fresh LATEST / AT_TIMESTAMP start is recorded before anything is read, so a next owner starts there too.
      recordStart: lease.sequence === undefined && lease.startAt === undefined ? (atMs) => this.#untilDone(() => this.#session!.recordStart(shard.shardId, atMs)) : undefined,
      stop: this.#step?.readerStop(this.#stop) ?? this.#stop,
      mayFetch: this.#step === undefined ? undefined : () => this.#step!.mayFetch(this.#readers.size),
      onFatal: (error) => this.#fail(error),
      onShardGone: (error) => this.#stopShard(shard.shardId, error),
    });
    this.#readers.set(shard.shardId, reader);
    lease.signal.addEventListener("abort", () => this.#onLeaseEnded(shard.shardId, lease, reader), { once: true });
    reader.start();
  }

  /** A lease ended under a running reader: lost, handed over, or released by close. */
  #onLeaseEnded(shardId: string, lease: Lease, reader: ShardReader<T>): void {
    if (this.#readers.get(shardId) === reader) this.#readers.delete(shardId);
    if (this.#stop.aborted) return;
    const dropped = this.#queue.purge((entry) => entry.lease === lease);
    this.#delivery.dropPending(lease);
    const cause: unknown = lease.signal.reason;
    // A handoff or release is this worker's own choice; only a lease taken away (or expired) is a loss.
    if (cause instanceof LeaseLostError && (cause.reason === "handed-over" || cause.reason === "released")) {
      this.#metrics.emit({ type: "leaseReleased", shardId, reason: cause.reason, droppedRecords: dropped });
    } else {
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.#metrics.emit({ type: "leaseLost", shardId, reason, droppedRecords: dropped });
    }
    this.#requestDiscovery();
  }

  /**
   * One shard cannot be read any more (it aged out, say): stop only it, say so, give its lease up, and
   * list shards again at once. If the whole stream is gone, that listing fails and ends the consumer.
   */
  #stopShard(shardId: string, error: AwsServiceError): void {
    this.#goneShards.add(shardId);
    this.#metrics.emit({ type: "shardStopped", shardId, errorName: error.name, awsCode: error.awsCode, message: error.message });
    this.#shardsListedAt = Number.NEGATIVE_INFINITY;
    this.#session?.release(shardId).catch((releaseError: unknown) => this.#metrics.failed(shardId, releaseError, false));
    this.#requestDiscovery();
  }

  /** A bounded step's iteration ended: fetching stops (if it has not yet), and the event says why and what it spent. */
  #endStep(): void {
    const step = this.#step;
    if (step === undefined) return;
    const budget = step.budget;
    const reason = step.reason ?? budget.reason(false) ?? "idle";
    step.stop(reason);
    this.#metrics.emit({ type: "stepEnded", reason, records: budget.itemsYielded, requests: budget.requestsMade, elapsedMs: budget.elapsedMs });
  }

  #fail(error: unknown): void {
    this.#fatal ??= { error };
    this.#queue.fail(error);
    void this.close().catch(() => undefined);
  }

  async #shutdown(): Promise<void> {
    this.#stopController.abort(new ClosedError("consumer"));
    this.#wakeDiscovery?.();
    await Promise.allSettled([...this.#readers.values()].map((reader) => reader.done));
    await this.#starting?.catch(() => undefined);
    await this.#discovery;
    this.#readers.clear();
    this.#queue.close();
    this.#queue.clear();
    try {
      // Releasing the leases settles SHARD_END writes still waiting (a deferred one fails as released);
      // one stuck in a store that never answers is not waited for: its outcome no longer matters.
      await this.#session?.close();
    } finally {
      try {
        if (this.#ownsCheckpointer) await this.#checkpointer.close();
      } finally {
        this.#unwatchSignals?.();
        // Counted to the end of close(): the checkpointer's last writes are in by now.
        await this.#stepTimer;
        this.#step?.dispose();
      }
    }
  }
}

