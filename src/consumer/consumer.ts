import { pickClientOptions } from "../aws/client-options.ts";
import { MemoryCheckPointer } from "../checkpointers/memory.ts";
import type { CheckPointer, CheckpointSession } from "../checkpointers/types.ts";
import { ClosedError, ConfigError, isThrottling, LeaseLostError } from "../errors.ts";
import { type WaitOptions, waitSignal } from "../config/validate.ts";
import { type LinkedSignal, linkSignals } from "../internal/abort.ts";
import { untilAborted } from "../internal/until-aborted.ts";
import { type Clock, systemClock } from "../internal/clock.ts";
import type { AttemptObserver } from "../aws/json-client.ts";
import { KinesisClient } from "../kinesis/client.ts";
import { JsonProcessor } from "../processors/index.ts";
import type { Processor } from "../processors/types.ts";
import { type ConsumerRecord, type QueueEntry, toConsumerRecord } from "./entries.ts";
import { type EndEntry, ItemDelivery, type ItemDeliveryHost } from "./delivery.ts";
import { ConsumerMetrics, type ConsumerStats } from "./events.ts";
import { type ConsumerOptions, resolveConsumerOptions, type ResolvedConsumerOptions } from "./options.ts";
import { RecordQueue } from "./record-queue.ts";
import { ConsumerGroup, type ConsumerGroupHost } from "./group.ts";
import { resolveStreams } from "./stream-list.ts";
import { StreamSetMetrics } from "./stream-metrics.ts";
import { StreamSet, type StreamSetHost } from "./stream-set.ts";
import { processSignalWatch } from "./signals.ts";
import { untilActive } from "./stream-ready.ts";
import { BoundedStep } from "./bounded-step.ts";
import { untilDone } from "./until-done.ts";
import { FanOutSource } from "./fan-out-source.ts";

/**
 * Reads every shard of a stream and yields decoded items with `for await`. One reader per leased
 * shard feeds a bounded queue; a record's checkpoint is committed only once the caller has taken it
 * and asked for the next one, so a crash replays records and never loses them.
 */
export class Consumer<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  /** The stream's name or ARN, as given in the options; the empty string for a consumer given `streams` (see `streams`). */
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
  /** Allocation rounds, discovery and lease ends: the shard readers this consumer runs. */
  readonly #group: ConsumerGroup<T> | undefined;
  /** With `streams`: one group per stream, each with its own session, all feeding the one queue. */
  readonly #streams: StreamSet<T> | undefined;
  #session: CheckpointSession | undefined;
  #retentionHours = 24;
  #starting: Promise<void> | undefined;
  readonly #delivery: ItemDelivery<T>;
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
  /** With `fanOut`: the SubscribeToShard client and the registered stream consumer, shared by the readers. */
  readonly #fanOut: FanOutSource | undefined;

  constructor(options: ConsumerOptions<T>) {
    this.#options = resolveConsumerOptions(options as ConsumerOptions<unknown>);
    const selection = resolveStreams(options);
    if (selection.kind !== "one" && options.fanOut !== undefined) {
      throw new ConfigError("fanOut", "applies to a consumer of one stream (streamName), not to one given streams");
    }
    this.streamName = selection.kind === "one" ? selection.streamName : "";
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#createdAt = this.#clock.now();
    const stopAfter = this.#options.stopAfter;
    this.#step = stopAfter === undefined ? undefined : new BoundedStep(stopAfter, this.#clock, () => this.#queue.close());
    const clientOptions = pickClientOptions(options);
    const onAttempt: AttemptObserver = (attempt) => {
      if (attempt.error !== undefined && isThrottling(attempt.error)) {
        this.#metrics.emit({ type: "throttled", shardId: undefined, operation: attempt.operation });
      }
    };
    this.#kinesis = new KinesisClient(this.#step === undefined ? clientOptions : { ...clientOptions, fetch: this.#step.kinesisFetch(clientOptions.fetch) }, {
      onAttempt,
    });
    const step = this.#step;
    const countRequests = step === undefined ? undefined : (transport: typeof fetch) => step.kinesisFetch(transport);
    this.#fanOut = options.fanOut === undefined ? undefined : new FanOutSource(options.fanOut, clientOptions, this.#kinesis, countRequests);
    this.#ownsCheckpointer = options.checkpointer === undefined;
    this.#checkpointer = options.checkpointer ?? new MemoryCheckPointer();
    this.#step?.watch(this.#checkpointer);
    this.#processor = options.processor ?? (new JsonProcessor() as unknown as Processor<T>);
    const streamMetrics = selection.kind === "one" ? undefined : new StreamSetMetrics(options.onEvent, () => this.#clock.now());
    this.#metrics = streamMetrics ?? new ConsumerMetrics(options.onEvent, () => this.#clock.now());
    this.#queue = new RecordQueue({ maxRecords: this.#options.maxQueueSize, maxBytes: this.#options.maxQueueBytes });
    this.#delivery = new ItemDelivery<T>(this.#deliveryHost(), this.#queue, this.#metrics, this.#options, this.#step?.budget);
    this.#stopLink = linkSignals([this.#stopController.signal, options.signal]);
    this.#stop = this.#stopLink.signal;
    this.#group = selection.kind === "one" ? this.#createGroup() : undefined;
    this.#streams = streamMetrics === undefined || selection.kind === "one" ? undefined : new StreamSet<T>(this.#streamSetHost(streamMetrics), selection);
    // The user's signal closes the consumer; the link is undone on close, so a long-lived signal
    // does not keep closed consumers alive.
    this.#stop.addEventListener("abort", () => void this.close().catch(() => undefined), { once: true });
    // A signal aborted before construction never fires "abort" again: close now, as if it had just aborted.
    if (this.#stop.aborted) void this.close().catch(() => undefined);
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
    return this.#delivery.iterator((page, at) => page.data[at]!);
  }

  /** Yields each item with its metadata: partition key, sequence numbers, shard, arrival time, lag. */
  records(): AsyncIterableIterator<ConsumerRecord<T>, undefined> {
    const streams = this.#streams;
    if (streams !== undefined) return this.#delivery.iterator((page, at) => toConsumerRecord(page, at, streams.channelOf(page.lease)?.name ?? ""));
    const streamName = this.streamName;
    return this.#delivery.iterator((page, at) => toConsumerRecord(page, at, streamName));
  }

  /**
   * Resolves once every shard this consumer holds has an iterator (start a LATEST consumer, then produce).
   * Rejects with `ClosedError` once the consumer is closing (also when its own `signal` was aborted
   * before it was created). Aborting `options.signal` rejects with its reason (an `AbortedError`) and
   * abandons only this wait: the consumer keeps starting.
   */
  async waitReady(options?: WaitOptions): Promise<void> {
    const signal = waitSignal(options, "waitReady");
    await untilAborted(this.#untilReady(), signal);
  }

  async #untilReady(): Promise<void> {
    await this.#start();
    await Promise.all(this.#groups().flatMap((group) => [...group.readers.values()].map((reader) => reader.ready)));
  }

  /**
   * Everything handed out so far is done: commit it, including the item in hand, and write every
   * buffered checkpoint now (for `autoCheckpoint: false` checkpointers, e.g. batch jobs that commit
   * after their own writes are durable).
   */
  async manualCheckpoint(): Promise<void> {
    this.#delivery.commitHandedOut();
    if (this.#streams === undefined) await this.#session?.manualCheckpoint();
    else await Promise.all(this.#streams.sessions().map((session) => session.manualCheckpoint()));
  }

  /**
   * Counters behind the events: records and bytes fetched and delivered, lag per shard (kept, with
   * an `erroring` flag, while a shard's reads fail), throttles, errors by class, leases held and
   * checkpoint writes. `toPrometheus(consumer.stats())` renders them as OpenMetrics text.
   */
  stats(): ConsumerStats {
    return this.#metrics.snapshot(this.#queue.gauge(), this.#session?.checkpointWrites ?? 0);
  }

  /**
   * The streams this consumer reads, as named: `[streamName]`, or with `streams` those read now (and
   * being opened), which `addStream()`, `removeStream()`, discovery and stream deletion change.
   */
  get streams(): string[] {
    return this.#streams?.names ?? [this.streamName];
  }

  /**
   * Read one more stream (a consumer given `streams` as a list): its shards are leased and balanced
   * like the others', from `iteratorType` where it has no checkpoint, and its records carry its
   * `streamName`. Resolves once it is read (a `streamAdded` event); rejects if it cannot be (e.g.
   * `AwsServiceError` ResourceNotFoundException), and the other streams go on. Before the consumer
   * starts, the stream simply joins those it starts with. `ConfigError` when the stream is read already,
   * or the consumer was given `streamName` or a discovery function; `ClosedError` once closing.
   */
  async addStream(streamName: string): Promise<void> {
    await this.#streamSet("addStream").add(streamName);
  }

  /**
   * Stop reading a stream: its readers stop, its queued records are dropped (the item in hand is not
   * committed), what was committed is written and its leases are released, so another worker (or this
   * one, after `addStream()`) resumes after the last committed record. A `streamRemoved` event with
   * reason `removed`. Resolves `true` once done, `false` if the stream was not read.
   */
  async removeStream(streamName: string): Promise<boolean> {
    return await this.#streamSet("removeStream").remove(streamName);
  }

  #streamSet(method: string): StreamSet<T> {
    if (this.#streams === undefined) {
      throw new ConfigError(method, "this consumer reads one stream (streamName): give streams: [...] to add and remove streams at run time");
    }
    if (this.#closing !== undefined) throw new ClosedError("consumer");
    return this.#streams;
  }

  /** Shards this consumer is reading now; with `streams`, as `<stream>/<shard id>`. */
  get shards(): string[] {
    if (this.#streams === undefined) return [...this.#group!.readers.keys()];
    return this.#streams.channels().flatMap((channel) => [...channel.group.readers.keys()].map((shardId) => `${channel.name}/${shardId}`));
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

  /** `close()`, for `await using`: leaving the scope commits what was consumed and releases the leases. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The single stream's group, or (with `parts`) one stream's of several. */
  #createGroup(parts: Partial<ConsumerGroupHost<T>> = {}): ConsumerGroup<T> {
    return new ConsumerGroup<T>({
      streamName: this.streamName,
      kinesis: this.#kinesis,
      options: this.#options,
      processor: this.#processor,
      queue: this.#queue,
      metrics: this.#metrics,
      clock: this.#clock,
      random: this.#random,
      step: this.#step,
      stop: this.#stop,
      createdAt: this.#createdAt,
      untilDone: (attempt) => this.#untilDone(attempt),
      fail: (error) => this.#fail(error),
      dropLease: (lease) => {
        const dropped = this.#queue.purge((entry) => entry.lease === lease);
        this.#delivery.dropPending(lease);
        return dropped;
      },
      fanOut: this.#fanOut,
      ...parts,
    });
  }

  /** Every group: the one stream's, or each stream's. */
  #groups(): ConsumerGroup<T>[] {
    return this.#streams?.groups() ?? [this.#group!];
  }

  #streamSetHost(metrics: StreamSetMetrics): StreamSetHost<T> {
    return {
      kinesis: this.#kinesis,
      checkpointer: this.#checkpointer,
      metrics,
      clock: this.#clock,
      random: this.#random,
      stop: this.#stop,
      createGroup: (parts) => this.#createGroup(parts),
      maxShardConsumers: this.#options.maxShardConsumers,
      dropEntries: (belongs, leases) => {
        const dropped = this.#queue.purge(belongs);
        for (const lease of leases) this.#delivery.dropPending(lease);
        return dropped;
      },
      fail: (error) => this.#fail(error),
    };
  }

  #deliveryHost(): ItemDeliveryHost<T> {
    // Getters, so the delivery side always sees the consumer's current state; inside them `this` is the
    // host object, hence the name for the consumer.
    // deno-lint-ignore no-this-alias
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
        return consumer.#streams?.commits ?? consumer.#session;
      },
      finishShard: (entry) => consumer.#finishInBackground(entry),
      idle: () => {
        for (const group of consumer.#groups()) for (const reader of group.readers.values()) if (!reader.caughtUp) return false;
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
    const channel = this.#streams?.channelOf(entry.lease);
    try {
      // Transient failures are retried here: a lost SHARD_END would keep the children waiting.
      await this.#untilDone(() => (channel?.session ?? this.#session)!.finish(entry.shardId, entry.lastSequence));
    } catch (error) {
      // The lease ended under us (its abort reports leaseLost): the new owner finishes the shard. Or its stream was removed.
      if (error instanceof LeaseLostError || this.#stop.aborted || channel?.removing !== undefined) return;
      this.#fail(error);
      return;
    }
    (channel?.group ?? this.#group)!.shardFinished(entry.shardId, entry.lastSequence);
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
    if (this.#streams !== undefined) {
      await this.#streams.start();
      this.#started = true;
      return;
    }
    const describe = () => this.#untilDone(() => this.#kinesis.describeStreamSummary(this.streamName, { signal: this.#stop }));
    const summary = await untilActive(await describe(), describe, {
      clock: this.#clock,
      stop: this.#stop,
      onWaiting: (status) => this.#metrics.emit({ type: "streamNotActive", streamName: this.streamName, status }),
    });
    this.#retentionHours = summary.retentionPeriodHours;
    const incarnation = summary.streamCreatedAt === undefined ? undefined : String(summary.streamCreatedAt);
    this.#session = await this.#checkpointer.start({
      streamName: summary.streamName,
      retentionHours: this.#retentionHours,
      streamCreatedAt: summary.streamCreatedAt,
    });
    await this.#group!.start(this.#session, incarnation);
    this.#started = true;
  }

  #untilDone<R>(attempt: () => Promise<R>): Promise<R> {
    return untilDone({ stop: this.#stop, clock: this.#clock, random: this.#random, metrics: this.#metrics }, attempt);
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
    this.#group?.wake();
    this.#streams?.wake();
    await this.#group?.readersSettled();
    await this.#starting?.catch(() => undefined);
    await this.#group?.stopped();
    await this.#streams?.stopped();
    this.#queue.close();
    this.#queue.clear();
    try {
      // Releasing the leases settles SHARD_END writes still waiting (a deferred one fails as released);
      // one stuck in a store that never answers is not waited for: its outcome no longer matters.
      await (this.#streams === undefined ? this.#session?.close() : this.#streams.closeSessions());
    } finally {
      try {
        if (this.#ownsCheckpointer) await this.#checkpointer.close();
      } finally {
        this.#unwatchSignals?.();
        this.#metrics.leasesEnded();
        // Counted to the end of close(): the checkpointer's last writes are in by now.
        await this.#stepTimer;
        this.#step?.dispose();
      }
    }
  }
}
