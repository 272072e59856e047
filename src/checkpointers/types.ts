/**
 * The contract every checkpointer (memory, DynamoDB, Redis) fulfils. The consumer drives it; one
 * shared test suite (test/checkpointers/contract.ts) pins it for every implementation.
 */

/** Where a shard's processing stands, as stored by the checkpointer. */
export interface ShardCheckpoint {
  /** The shard this row is for. */
  shardId: string;
  /** Last committed sequence number (records up to and including it are done). */
  sequence?: string | undefined;
  /** The shard reached SHARD_END and every record in it was committed. */
  finished: boolean;
  /** Current lease owner (`<name>/<worker id>`), if any. */
  owner?: string | undefined;
  /** A worker that asked the owner to hand the shard over (fair balance), if any. */
  pendingOwner?: string | undefined;
  /** Last write, epoch milliseconds. */
  updatedAt?: number | undefined;
  /** The stream incarnation (creation time, epoch ms as text) the row was written for, if recorded. */
  incarnation?: string | undefined;
  /** Epoch ms where a lease without a checkpoint started (a `LATEST` / `AT_TIMESTAMP` start), if recorded. */
  startAt?: number | undefined;
  /** The shard's recent throughput as its owner delivered it (bytes per second), if recorded (load balance). */
  bytesPerSecond?: number | undefined;
}

/** A shard this worker holds. `signal` aborts when the lease is lost or handed to another worker. */
export interface Lease {
  /** The shard this lease is for. */
  shardId: string;
  /** Resume strictly after this sequence; undefined means start as the consumer is configured. */
  sequence?: string | undefined;
  /** Without a sequence: epoch ms where an earlier owner started reading; start there (AT_TIMESTAMP). */
  startAt?: number | undefined;
  /** Aborts, with a `LeaseLostError` as its reason, when the lease is lost, handed over or released. */
  signal: AbortSignal;
  /**
   * Whether the lease may still be used to hand out records: not ended, and its last successful
   * renewal is less than `sessionTimeout` ago on the monotonic clock. A lease past that deadline is
   * ended on the spot (another worker may already have taken it), so nothing is handed out past it.
   */
  usable(): boolean;
  /**
   * The consumer handed out `bytes` of this shard's records: the lease's throughput, written on the
   * row with its next heartbeat or checkpoint, is what balance by load reads. O(1); optional for
   * checkpointers that do not balance by load.
   */
  delivered?(bytes: number): void;
}

/** The stream-level identity a checkpointer is bound to before use (namespaces the rows). */
export interface CheckpointScope {
  /** The stream's name (not ARN); namespaces the rows so groups can read several streams from one table. */
  streamName: string;
  /**
   * The stream's creation time (epoch ms): rows written for another incarnation of a stream with the
   * same name (deleted and recreated) are ignored and replaced, never applied.
   */
  streamCreatedAt?: number | undefined;
  /** The stream's retention; a finished shard's row must outlive the shard (default 24). */
  retentionHours?: number | undefined;
}

/**
 * A checkpointer is a store of leases and checkpoints. Each consumer opens its own session on it
 * (`start`), so one instance can be shared by several consumers, each a separate worker.
 */
export interface CheckPointer {
  /** Open a worker session bound to a stream: create storage if configured, start heartbeats. */
  start(scope: CheckpointScope): Promise<CheckpointSession>;
  /** Write every buffered checkpoint of every session now (for `autoCheckpoint: false`). */
  manualCheckpoint(): Promise<void>;
  /** Close every session (flush, release leases, stop timers). */
  close(): Promise<void>;
  /**
   * Call `listener` once for every request this checkpointer sends (an HTTP request to DynamoDB, a
   * command to Redis), whichever consumer it is for, until the returned undo is called. A bounded step
   * (`stopAfter.requests`) counts them. Stores that send no requests (memory) leave it out.
   */
  observeRequests?(listener: () => void): () => void;
}

/** What the consumer tells a session about itself when it offers a shard. */
export interface AllocationContext {
  /** Shards the consumer may read (its plan): the basis of fair share. */
  totalShards: number;
  /** The consumer's `maxShardConsumers`: the session asks for no handoff that would take it past this. */
  maxShards?: number | undefined;
  /**
   * The consumer's `maxBytesPerSecond`: the session takes no shard whose recorded rate would take it
   * past this, unless no other live worker could take it within the same budget; asks for no handoff past it.
   */
  maxBytesPerSecond?: number | undefined;
}

/** One worker's view of the store. */
export interface CheckpointSession {
  /** `<name>/<worker id>`: who this worker is in lease rows. */
  readonly ref: string;
  /**
   * How often, in seconds, the consumer should offer this session free or expired shards (its
   * allocate loop). Lease stores tie it to their heartbeat so handoffs and takeovers are seen quickly.
   */
  readonly allocateIntervalSeconds: number;
  /**
   * Try to take the lease on `shardId`. Resolves with the lease when this worker now holds it, or
   * undefined when another live worker does (or fair balance says leave it to another worker).
   */
  allocate(shardId: string, context: AllocationContext): Promise<Lease | undefined>;
  /**
   * Record that everything up to `sequence` is done. Synchronous, because the consumer calls it for
   * every record: it only records the position. With `autoCheckpoint` the store writes it (at once
   * or coalesced, in the background); without, it is only an offer that `manualCheckpoint()`
   * confirms: nothing unconfirmed is ever written, not on release, handoff, shard end or close. Never
   * moves backwards; a call for a shard this session no longer holds records nothing. Write failures
   * surface through the lease (lost) or from `manualCheckpoint()`, `release()` and `close()`.
   */
  checkpoint(shardId: string, sequence: string): void;
  /**
   * The shard is fully read and committed (SHARD_END): mark it so children may start, then release.
   * Without `autoCheckpoint` the mark waits for the `manualCheckpoint()` that confirms `lastSequence`;
   * the promise settles when it is written. Rejects (`LeaseLostError`) when the lease ended first.
   */
  finish(shardId: string, lastSequence?: string): Promise<void>;
  /**
   * Record where a lease without a checkpoint started reading (epoch ms), so the next owner starts
   * there and records that arrived meanwhile are not skipped. Written at once (fenced).
   */
  recordStart(shardId: string, atMs: number): Promise<void>;
  /** Flush this shard's pending checkpoint, then give the lease up so another worker can take it. */
  release(shardId: string): Promise<void>;
  /** Confirm and write this session's buffered checkpoints now (and deferred shard ends). */
  manualCheckpoint(): Promise<void>;
  /** What is stored for this shard (any owner), for parent/child ordering. */
  get(shardId: string): Promise<ShardCheckpoint | undefined>;
  /** Everything stored for the bound stream (monitoring, balancing). */
  list(): Promise<ShardCheckpoint[]>;
  /** Flush, release every lease this session holds, stop its timers. */
  close(): Promise<void>;
  /** Writes that landed carrying a checkpoint, for `Consumer.stats()`; stores that do not count leave it out (0). */
  readonly checkpointWrites?: number;
}
