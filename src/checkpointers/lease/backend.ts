import type { FencedWrite } from "./lease-rules.ts";
import type { LeaseRow } from "./lease-row.ts";

/**
 * What one conditional write found: it landed (the row after it), or its condition failed (the row
 * as it is, where the store tells it).
 */
export type ConditionalOutcome = { landed: true; row: LeaseRow | undefined } | { landed: false; current: LeaseRow | undefined };

/**
 * A store's side of a lease session, bound to one group and stream: read the rows, and make the
 * lease protocol's conditional writes, each one atomic step in the store (a DynamoDB UpdateItem, a
 * Redis Lua script). The conditions and stamps are the backend's; every decision is the session's
 * (lease-rules.ts). A failed condition is an outcome, never an error; anything else throws.
 *
 * Fencing: an owner write is conditional on `ref = me AND lease_counter = <the counter I last saw>`
 * and bumps the counter, so a paused ex-owner's late write can never land after a takeover. A take
 * is conditional on the counter the taker observed, so of two racing takers exactly one wins. The
 * handoff request alone leaves the counter alone: it must not break the owner's fencing.
 */
export interface LeaseBackend {
  /** The checkpointer's name for errors, e.g. "DynamoDBCheckPointer". */
  readonly storeName: string;
  /** The jitter source of a failed owner write's backoff. */
  readonly random: () => number;
  /** The `key` of a shard's row. */
  rowKey(shardId: string): string;
  /** Every row of the stream, as stored now. */
  listRows(signal: AbortSignal): Promise<LeaseRow[]>;
  /** One row, as stored now. */
  readRow(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined>;
  /**
   * The stream incarnation this backend's session is bound to (see `LeaseRow.incarnation`); `create`
   * writes it, and rows of another incarnation are replaced by `create`, never taken.
   */
  readonly incarnation: string | undefined;
  /**
   * Create the row of a shard nobody has written yet, owned by `me`, stamped `nowMs` (wall time) — or
   * replace a row of another incarnation (conditional on that): position, SHARD_END mark, start and
   * handoff request cleared, counter bumped past the old one so its owner's late writes stay fenced.
   */
  create(shardId: string, me: string, nowMs: number, signal: AbortSignal): Promise<ConditionalOutcome>;
  /**
   * Take a free, expired, reserved or own row, conditional on the counter and owner (none for a free
   * row) observed; clears any handoff request. A failed take tells the row as it is.
   */
  take(shardId: string, me: string, expected: { counter: number; owner?: string | undefined }, nowMs: number, signal: AbortSignal): Promise<ConditionalOutcome>;
  /** Ask `owner` to hand the shard to `me` (sets the pending owner only), unless someone asked first. */
  requestHandoff(shardId: string, me: string, owner: string, signal: AbortSignal): Promise<ConditionalOutcome>;
  /**
   * One attempt of an owner's renew, release or finish, fenced and stamped now. A carried sequence must
   * be later than the stored one (part of the condition: a checkpoint never moves backwards); a
   * carried `startAt` is stored only if the row has none. A failed one tells the row as it is.
   */
  ownerWrite(shardId: string, me: string, write: FencedWrite, signal: AbortSignal): Promise<ConditionalOutcome>;
  /** Withdraw `me`'s handoff request on a row (clear `pending_owner` if it is still `me`). */
  cancelHandoff(shardId: string, me: string, signal: AbortSignal): Promise<ConditionalOutcome>;
}
