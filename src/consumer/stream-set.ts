import type { CheckPointer, CheckpointSession, Lease } from "../checkpointers/types.ts";
import { AwsServiceError, ClosedError, ConfigError } from "../errors.ts";
import { type LinkedSignal, linkSignals } from "../internal/abort.ts";
import type { Clock } from "../internal/clock.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { QueueEntry } from "./entries.ts";
import type { ConsumerGroup, ConsumerGroupHost } from "./group.ts";
import type { StreamMetrics, StreamSetMetrics } from "./stream-metrics.ts";
import { checkStreamList, checkStreamName, type StreamDiscovery, streamKey } from "./stream-list.ts";
import { untilActive } from "./stream-ready.ts";
import { untilDone } from "./until-done.ts";

/** What the stream set needs from the consumer that owns it. */
export interface StreamSetHost<T> {
  kinesis: KinesisClient;
  checkpointer: CheckPointer;
  metrics: StreamSetMetrics;
  clock: Clock;
  random: () => number;
  /** Aborted when the consumer closes. */
  stop: AbortSignal;
  /** A group for one stream, as the consumer makes its single group, with these parts its own. */
  createGroup(parts: Partial<ConsumerGroupHost<T>>): ConsumerGroup<T>;
  /** Drop what is queued (and the item in hand) of these leases; returns how many records were dropped. */
  dropEntries(belongs: (entry: QueueEntry<T>) => boolean, leases: Iterable<Lease>): number;
  /** Most shards the consumer reads at once, over every stream. */
  maxShardConsumers: number;
  /** A failure no retry can fix and no one stream explains: the consumer ends with it. */
  fail(error: unknown): void;
}

/** One stream of the set: its group (readers, allocation), its session, and a stop of its own. */
export interface StreamChannel<T> {
  /** As named in the options or `addStream()` (name or ARN). */
  readonly name: string;
  readonly metrics: StreamMetrics;
  readonly stop: LinkedSignal;
  readonly group: ConsumerGroup<T>;
  session: CheckpointSession | undefined;
  /** Leases this stream holds (or held, until their entries are gone). */
  readonly leases: Set<Lease>;
  /** Settles once the stream is read (its first allocation round ran), or failed to open. */
  opening: Promise<void>;
  /** Set once removal began; settles when it is done. */
  removing: Promise<void> | undefined;
}

/**
 * The streams of a consumer given `streams`: one `ConsumerGroup` per stream (the single-stream
 * consumer's own, unchanged), each with its own checkpointer session, all feeding the consumer's one
 * bounded queue. A stream is added or removed on its own: its leases, readers and queued records go
 * with it, and the others read on. A stream that no longer exists is dropped with a `streamRemoved` event.
 */
export class StreamSet<T> {
  readonly #host: StreamSetHost<T>;
  readonly #channels = new Map<string, StreamChannel<T>>();
  readonly #leaseChannels = new WeakMap<Lease, StreamChannel<T>>();
  /** Streams named before start, opened by `start()`. */
  readonly #initial: string[];
  readonly #discover: { discover: StreamDiscovery; intervalMs: number } | undefined;
  #started = false;
  /** Allocations in flight over every stream (see `#bounded`). */
  #allocating = 0;
  #discovery: Promise<void> | undefined;
  #wakeDiscovery: (() => void) | undefined;

  constructor(host: StreamSetHost<T>, streams: { names: readonly string[] } | { discover: StreamDiscovery; intervalMs: number }) {
    this.#host = host;
    this.#initial = "names" in streams ? [...streams.names] : [];
    this.#discover = "discover" in streams ? streams : undefined;
  }

  /** Where the delivery path commits: the session of the entry's stream. */
  readonly commits = {
    checkpoint: (shardId: string, sequence: string, lease: Lease): void => {
      this.#leaseChannels.get(lease)?.session?.checkpoint(shardId, sequence);
    },
  };

  /** The streams read now (and being opened), as named. */
  get names(): string[] {
    if (!this.#started) return [...this.#initial];
    return [...this.#channels.values()].filter((c) => c.removing === undefined).map((c) => c.name);
  }

  /** The stream a lease belongs to (undefined once the stream was removed). */
  channelOf(lease: Lease): StreamChannel<T> | undefined {
    return this.#leaseChannels.get(lease);
  }

  /** Every stream's group (for readiness, idleness, shutdown). */
  groups(): ConsumerGroup<T>[] {
    return [...this.#channels.values()].map((c) => c.group);
  }

  /** The streams read now (and being opened or removed). */
  channels(): StreamChannel<T>[] {
    return [...this.#channels.values()];
  }

  /** Every open session (manualCheckpoint). */
  sessions(): CheckpointSession[] {
    return [...this.#channels.values()].flatMap((c) => (c.session === undefined || c.removing !== undefined ? [] : [c.session]));
  }

  /** Shards read now, over every stream, and leases being taken (each may become one). */
  heldShards(): number {
    let held = this.#allocating;
    for (const channel of this.#channels.values()) held += channel.group.readers.size;
    return held;
  }

  /**
   * The session as a stream's group sees it: an allocation first takes a slot of `maxShardConsumers`,
   * kept until its reader starts (`onLease`) or it comes back empty. Streams allocate concurrently, so
   * each group's own check (readers before the call) would let two of them pass the bound together.
   */
  #bounded(session: CheckpointSession, group: ConsumerGroup<T>): CheckpointSession {
    const allocate: CheckpointSession["allocate"] = async (shardId, context) => {
      const held = this.heldShards();
      if (held >= this.#host.maxShardConsumers) return undefined;
      // The session sees only this stream's leases: what the other streams hold leaves this one less room (for its handoff requests).
      const maxShards = context.maxShards === undefined ? undefined : Math.max(1, context.maxShards - (held - group.readers.size));
      this.#allocating++;
      let lease: Lease | undefined;
      try {
        lease = await session.allocate(shardId, { ...context, maxShards });
      } finally {
        if (lease === undefined) this.#allocating--;
      }
      return lease;
    };
    return new Proxy(session, {
      get: (target, property) => {
        if (property === "allocate") return allocate;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  /** Opens the streams named at start (all of them, or the consumer fails), then keeps discovering if `streams` is a function. */
  async start(): Promise<void> {
    this.#started = true;
    if (this.#discover !== undefined) {
      await this.#discoverOnce(true);
      this.#discovery = this.#discoveryLoop(this.#discover.intervalMs);
      return;
    }
    await Promise.all(this.#initial.map((name) => this.#add(name).opening));
  }

  /** `addStream()`: read one more stream; resolves once it is read, rejects if it cannot be (the others go on). */
  async add(name: unknown): Promise<void> {
    this.#assertMutable("addStream");
    checkStreamName(name, "addStream");
    const key = streamKey(name);
    if (!this.#started) {
      checkStreamList([...this.#initial, name], "addStream");
      this.#initial.push(name);
      return;
    }
    const current = this.#channels.get(key);
    if (current !== undefined) {
      if (current.removing === undefined) throw new ConfigError("addStream", `stream "${key}" is read already`);
      await current.removing;
      if (this.#channels.has(key)) throw new ConfigError("addStream", `stream "${key}" is read already`);
    }
    await this.#add(name).opening;
  }

  /** `removeStream()`: stop reading a stream; true when it was read. */
  async remove(name: unknown): Promise<boolean> {
    this.#assertMutable("removeStream");
    checkStreamName(name, "removeStream");
    const key = streamKey(name);
    if (!this.#started) {
      const index = this.#initial.findIndex((n) => streamKey(n) === key);
      if (index >= 0) this.#initial.splice(index, 1);
      return index >= 0;
    }
    const channel = this.#channels.get(key);
    if (channel === undefined) return false;
    if (channel.removing !== undefined) {
      await channel.removing;
      return false;
    }
    await this.#remove(channel, "removed", "removed by removeStream()");
    return true;
  }

  #assertMutable(method: string): void {
    if (this.#host.stop.aborted) throw new ClosedError("consumer");
    if (this.#discover !== undefined) throw new ConfigError(method, "streams is a function here: it decides which streams are read");
  }

  #add(name: string): StreamChannel<T> {
    const host = this.#host;
    const stop = linkSignals([host.stop]);
    const metrics = host.metrics.stream(name);
    metrics.reading = true;
    const context = { stop: stop.signal, clock: host.clock, random: host.random, metrics };
    const leases = new Set<Lease>();
    // deno-lint-ignore prefer-const
    let channel: StreamChannel<T>;
    const group = host.createGroup({
      streamName: name,
      metrics,
      stop: stop.signal,
      untilDone: (attempt) => untilDone(context, attempt),
      fail: (error) => void this.#failed(channel, error),
      heldShards: () => this.heldShards(),
      onLease: (lease) => {
        this.#allocating--; // its reader starts now, and counts from here
        leases.add(lease);
        // Once it ends, its group drops its entries (or removal already did): nothing more to find by it here.
        lease.signal.addEventListener("abort", () => leases.delete(lease), { once: true });
        this.#leaseChannels.set(lease, channel);
        host.metrics.leaseOn(lease, metrics);
      },
    });
    channel = { name, metrics, stop, group, session: undefined, leases, opening: Promise.resolve(), removing: undefined };
    this.#channels.set(streamKey(name), channel);
    channel.opening = this.#open(channel, context).catch((error: unknown) => {
      // A stream that could not be opened is not read: forget it (the caller hears why).
      if (channel.removing === undefined) channel.removing = this.#discard(channel).then(() => undefined);
      throw error;
    });
    return channel;
  }

  async #open(channel: StreamChannel<T>, context: Parameters<typeof untilDone>[0]): Promise<void> {
    const { kinesis, checkpointer, clock } = this.#host;
    const stop = channel.stop.signal;
    const describe = () => untilDone(context, () => kinesis.describeStreamSummary(channel.name, { signal: stop }));
    const summary = await untilActive(await describe(), describe, {
      clock,
      stop,
      onWaiting: (status) => channel.metrics.emit({ type: "streamNotActive", streamName: channel.name, status }),
    });
    const session = await checkpointer.start({
      streamName: summary.streamName,
      retentionHours: summary.retentionPeriodHours,
      streamCreatedAt: summary.streamCreatedAt,
    });
    channel.session = session;
    channel.metrics.checkpointWrites = () => session.checkpointWrites ?? 0;
    if (stop.aborted) throw stop.reason;
    const incarnation = summary.streamCreatedAt === undefined ? undefined : String(summary.streamCreatedAt);
    await channel.group.start(this.#bounded(session, channel.group), incarnation);
    channel.metrics.emit({ type: "streamAdded", streamName: channel.name });
  }

  /** A stream's group or reader failed for good: the stream is gone (drop it), or the consumer ends. */
  async #failed(channel: StreamChannel<T>, error: unknown): Promise<void> {
    if (channel.removing !== undefined || this.#host.stop.aborted) return;
    const gone = await this.#goneReason(channel, error);
    if (channel.removing !== undefined || this.#host.stop.aborted) return;
    if (gone === undefined) this.#host.fail(error);
    else await this.#remove(channel, "deleted", gone);
  }

  /** Why the stream counts as gone (deleted, or being deleted), or undefined when it is not. */
  async #goneReason(channel: StreamChannel<T>, error: unknown): Promise<string | undefined> {
    if (isNotFound(error)) return error instanceof Error ? error.message : String(error);
    try {
      const summary = await this.#host.kinesis.describeStreamSummary(channel.name, { signal: this.#host.stop });
      return summary.streamStatus === "DELETING" ? `stream ${channel.name} is being deleted` : undefined;
    } catch (describeError) {
      return isNotFound(describeError) ? (describeError as Error).message : undefined;
    }
  }

  #remove(channel: StreamChannel<T>, reason: "removed" | "deleted", message: string): Promise<void> {
    channel.removing ??= this.#discard(channel).then((dropped) => {
      channel.metrics.emit({ type: "streamRemoved", streamName: channel.name, reason, message, droppedRecords: dropped });
    });
    return channel.removing;
  }

  /** Stop the stream's readers, drop its queued records, write what was committed, release its leases, forget it. */
  async #discard(channel: StreamChannel<T>): Promise<number> {
    channel.stop.abort(new ClosedError(`stream ${channel.name}`));
    const group = channel.group;
    group.wake();
    await group.readersSettled();
    await channel.opening.catch(() => undefined);
    await group.stopped();
    const dropped = this.#host.dropEntries((entry) => this.#leaseChannels.get(entry.lease) === channel, channel.leases);
    try {
      await channel.session?.close();
    } catch (error) {
      channel.metrics.failed(undefined, error, false);
    }
    channel.stop.dispose();
    channel.metrics.reading = false;
    if (this.#channels.get(streamKey(channel.name)) === channel) this.#channels.delete(streamKey(channel.name));
    return dropped;
  }

  // --- discovery (`streams` given as a function) -------------------------------------------------

  async #discoveryLoop(intervalMs: number): Promise<void> {
    const host = this.#host;
    while (!host.stop.aborted) {
      await new Promise<void>((resolve) => {
        this.#wakeDiscovery = resolve;
        host.clock.sleep(intervalMs, host.stop).then(resolve, resolve);
      });
      this.#wakeDiscovery = undefined;
      if (host.stop.aborted) return;
      await this.#discoverOnce(false);
    }
  }

  /**
   * Ask the function, then add the streams it names that are not read and remove those it no longer
   * names. A failing function, or a stream that cannot be opened, is reported and tried again next time.
   */
  async #discoverOnce(first: boolean): Promise<void> {
    const host = this.#host;
    let names: string[];
    try {
      const found = await this.#discover!.discover();
      names = found.length === 0 ? [] : checkStreamList(found, "streams()");
    } catch (error) {
      if (first) throw error;
      host.metrics.failed(undefined, error, true);
      return;
    }
    const wanted = new Map(names.map((name) => [streamKey(name), name]));
    const changes: Array<Promise<unknown>> = [];
    for (const [key, channel] of this.#channels) {
      if (!wanted.has(key) && channel.removing === undefined) changes.push(this.#remove(channel, "removed", "streams() no longer names it"));
    }
    for (const [key, name] of wanted) {
      if (this.#channels.has(key)) continue;
      changes.push(this.#add(name).opening.catch((error: unknown) => host.metrics.failed(undefined, error, true)));
    }
    await Promise.all(changes);
  }

  /** Wakes the discovery loop and every group so they see the stop signal. */
  wake(): void {
    this.#wakeDiscovery?.();
    for (const channel of this.#channels.values()) channel.group.wake();
  }

  /** After the stop signal: every reader ended, removals and discovery done, every session closed. */
  async stopped(): Promise<void> {
    const channels = [...this.#channels.values()];
    await Promise.allSettled(channels.map((c) => c.group.readersSettled()));
    await this.#discovery;
    await Promise.allSettled(channels.map((c) => c.opening));
    await Promise.allSettled(channels.map((c) => c.group.stopped()));
    await Promise.allSettled(channels.map((c) => c.removing));
  }

  /** Close every stream's session (releasing its leases); the first failure is thrown after all were tried. */
  async closeSessions(): Promise<void> {
    const channels = [...this.#channels.values()].filter((c) => c.removing === undefined);
    const results = await Promise.allSettled(channels.map((c) => c.session?.close()));
    for (const channel of channels) channel.stop.dispose();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException";
}
