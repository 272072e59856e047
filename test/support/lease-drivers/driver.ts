import type { LeaseBackend } from "../../../src/checkpointers/lease/backend.ts";
import type { CheckPointer } from "../../../src/checkpointers/types.ts";
import type { Clock } from "../../../src/internal/clock.ts";

/**
 * What the shared lease behaviour suite (test/checkpointers/lease-suite.ts) needs from a store: how to make a
 * checkpointer with given timings, how to hold its traffic (a paused process), how to read a row as
 * stored, and how to write as another worker would. One driver per store (DynamoDB on dynalite and
 * on DynamoDB Local, Redis, memory); a new store plugs in by writing one.
 */
export interface LeaseDriver<Tap extends StoreTap = StoreTap> {
  /**
   * A checkpointer of `group` on the driver's shared store: checkpointers of one group are workers of
   * one fleet (other processes, in effect). Defaults: sessionTimeout 1.5 s, heartbeat 0.3 s,
   * checkpointInterval 0.1 s, autoCheckpoint on. The suite closes it after the test.
   */
  store(group: string, options?: SuiteStoreOptions<Tap>): CheckPointer;
  /** A fresh tap: pass it to `store` to see, hold or fail that checkpointer's calls to the store. */
  tap(): Tap;
  /**
   * Whether a call held by a tap is abandoned (no longer waited for) when the session gives up on it.
   * False where the store's client cannot cancel a sent command (Redis: the caller stops waiting, the
   * command stays queued in the paused client).
   */
  readonly abandonsHeldCalls: boolean;
  /** A shard's row as stored right now, read past the checkpointer (undefined: no row). */
  rawRow(group: string, stream: string, shardId: string): Promise<RawRow | undefined>;
  /** Another worker's takeover, as the store sees it: `owner` in the row and the counter bumped. */
  takeOver(group: string, stream: string, shardId: string, owner: string): Promise<void>;
  /** The store's own `LeaseBackend` for one group and stream (rows as a session of `group` writes them). */
  backend(group: string, stream: string): LeaseBackend;
}

export interface SuiteStoreOptions<Tap extends StoreTap = StoreTap> {
  autoCheckpoint?: boolean;
  sessionTimeout?: number;
  heartbeatFrequency?: number;
  checkpointInterval?: number;
  clock?: Clock;
  /** The jitter of a failed write's backoff, where the store takes one (DynamoDB, memory; Redis uses Math.random). */
  random?: () => number;
  tap?: Tap;
  /** A stable worker identity (`workerId`): checkpointers with the same one are restarts of one worker. */
  workerId?: string;
}

/**
 * A checkpointer's line to its store, seen from the test: like a fetch wrapper for DynamoDB, a
 * wrapping client for Redis, a wrapping backend for memory.
 */
export interface StoreTap {
  /** Hold every call from now on (the network view of a frozen process); they wait in order. */
  pause(): void;
  /** Let the held calls through, in order, late, as a resumed process would send them. */
  resume(): void;
  /** Calls held right now. */
  heldCount(): number;
  /** Whether a write carrying `sequence` was held and has reached the store since. */
  deliveredLate(sequence: string): boolean;
  /** Conditional writes (creates, takes, owner writes, handoff requests) sent to the store, failed ones included. */
  writes(): number;
  resetCounts(): void;
  /** Fail the next `count` writes (Infinity: every one until `failWrites(0)`), as a store that does not answer. */
  failWrites(count: number): void;
  /** Writes failed by `failWrites` so far. */
  failed(): number;
}

/** A row as stored, in the store-neutral terms of the lease protocol. */
export interface RawRow {
  /** `ref`. */
  owner: string | undefined;
  sequence: string | undefined;
  finished: boolean;
  /** `lease_counter`. */
  counter: number;
}
