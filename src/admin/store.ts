import type { LeaseRow } from "../checkpointers/lease/lease-row.ts";

/**
 * What the administration functions need from a checkpoint store (a DynamoDB table, a Redis server),
 * whatever it is: read a group's rows, and replace one row in one conditional step. The condition is
 * the lease protocol's fencing: the row is still the one that was read (same `lease_counter` and
 * owner, or still absent). A worker that wrote meanwhile bumped the counter, so the replacement fails
 * instead of overwriting it, and a worker that writes afterwards finds its counter stale and its
 * lease lost: it can neither undo the change nor carry on past it.
 */
export interface AdminStore {
  /** For messages: `DynamoDB table "t"`, `Redis (key prefix async-kinesis)`. */
  readonly description: string;
  /** Every row of `group` on `stream` (every stream of the group when undefined), possibly as of a moment ago (`readCurrent`). */
  list(group: string, stream: string | undefined, signal?: AbortSignal): Promise<AdminRow[]>;
  /**
   * Write `row` in place of `expected` (the row as read; undefined when there was none): fenced as
   * above, and owner-free (no `ref`, no `pending_owner`), so the next worker takes it as a free lease.
   * Resolves false, writing nothing, when the stored row is no longer `expected`.
   */
  replace(row: PositionRow, expected: AdminRow | undefined, signal?: AbortSignal): Promise<boolean>;
  /** Create the storage if it needs creating and does not exist (a DynamoDB table, as the checkpointer would). */
  prepare?(signal?: AbortSignal): Promise<void>;
  /**
   * The rows a write is decided on, as they are now (strongly consistent): `"every"` row of `group` on
   * `stream` (every stream when undefined), or at least those of `wanted` that exist. Only a store whose
   * `list` may answer from a moment ago (a DynamoDB group-index Query) has it; see `readForDecision`.
   */
  readCurrent?(group: string, stream: string | undefined, wanted: RowsWanted, signal?: AbortSignal): Promise<AdminRow[]>;
}

/** A row's place in a group: its stream and shard. */
export interface RowRef {
  stream: string;
  shardId: string;
}

/** What a decision reads: every row of the group (on the stream), or the rows of these shards. */
export type RowsWanted = "every" | readonly RowRef[];

/**
 * The rows to decide a write on (a live-lease refusal, the `expected` row a write is fenced on): read
 * consistently where the store's `list` may lag, else `list` itself (then consistent: Redis, a Scan).
 */
export function readForDecision(store: AdminStore, group: string, stream: string | undefined, wanted: RowsWanted, signal?: AbortSignal): Promise<AdminRow[]> {
  return store.readCurrent === undefined ? store.list(group, stream, signal) : store.readCurrent(group, stream, wanted, signal);
}

/** A stored row as the administration functions read it: the lease row and, where the store tells, when it expires. */
export interface AdminRow extends LeaseRow {
  /** Epoch ms after which the store deletes the row; undefined when it never does or does not say. */
  expiresAtMs?: number | undefined;
}

/** The owner-free row an administration write leaves: a position and nothing else of a lease. */
export interface PositionRow {
  group: string;
  stream: string;
  shardId: string;
  /** The new `lease_counter`: past the replaced row's, so that row's owner stays fenced. */
  counter: number;
  /** Resume strictly after this sequence. */
  sequence?: string | undefined;
  /** Without a sequence: start at this epoch ms (AT_TIMESTAMP). */
  startAt?: number | undefined;
  /** The shard was read to its end (SHARD_END): never read again; children may start. */
  finished: boolean;
  /** The stream incarnation (creation time, epoch ms as text) the position belongs to. */
  incarnation?: string | undefined;
  /** Wall time of the write, epoch ms (`ts`). */
  writtenAtMs: number;
  /** Epoch ms until which the row must live (`ttl`, or the Redis key's expiry). */
  expiresAtMs: number;
}

/** The counter a replacing row must carry: past the replaced row's. */
export function nextCounter(...rows: Array<Pick<LeaseRow, "counter"> | undefined>): number {
  return Math.max(0, ...rows.map((row) => row?.counter ?? 0)) + 1;
}
