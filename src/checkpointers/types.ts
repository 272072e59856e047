/**
 * The contract every checkpointer (memory, DynamoDB, Redis) fulfils. The consumer drives it; one
 * shared test suite (test/checkpointers/contract.ts) pins it for every implementation.
 */

/** Where a shard's processing stands, as stored by the checkpointer. */
export interface ShardCheckpoint {
  shardId: string;
  /** Last committed sequence number (records up to and including it are done). */
  sequence?: string | undefined;
  /** The shard reached SHARD_END and every record in it was committed. */
  finished: boolean;
  /** Current lease owner (`<name>/<worker id>`), if any. */
  owner?: string | undefined;
  /** Last write, epoch milliseconds. */
  updatedAt?: number | undefined;
}

/** A shard this worker holds. `signal` aborts when the lease is lost or handed to another worker. */
export interface Lease {
  shardId: string;
  /** Resume strictly after this sequence; undefined means start as the consumer is configured. */
  sequence?: string | undefined;
  signal: AbortSignal;
}

/** The stream-level identity a checkpointer is bound to before use (namespaces the rows). */
export interface CheckpointScope {
  streamName: string;
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
  allocate(shardId: string, context: { totalShards: number }): Promise<Lease | undefined>;
  /**
   * Record that everything up to `sequence` is done. Synchronous, because the consumer calls it for
   * every record: it only records the position. With `autoCheckpoint` the store writes it (at once
   * or coalesced, in the background); without, it waits for `manualCheckpoint()`. Never moves
   * backwards; a call for a shard this session no longer holds records nothing. Write failures
   * surface through the lease (lost) or from `manualCheckpoint()`, `release()` and `close()`.
   */
  checkpoint(shardId: string, sequence: string): void;
  /** The shard is fully read and committed (SHARD_END): mark it so children may start, then release. */
  finish(shardId: string, lastSequence?: string): Promise<void>;
  /** Flush this shard's pending checkpoint, then give the lease up so another worker can take it. */
  release(shardId: string): Promise<void>;
  /** Write this session's buffered checkpoints now. */
  manualCheckpoint(): Promise<void>;
  /** What is stored for this shard (any owner), for parent/child ordering. */
  get(shardId: string): Promise<ShardCheckpoint | undefined>;
  /** Everything stored for the bound stream (monitoring, balancing). */
  list(): Promise<ShardCheckpoint[]>;
  /** Flush, release every lease this session holds, stop its timers. */
  close(): Promise<void>;
}
