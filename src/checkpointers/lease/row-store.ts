import type { Clock } from "../../internal/clock.ts";
import type { ConditionalOutcome, LeaseBackend } from "./backend.ts";
import type { FencedWrite } from "./lease-rules.ts";
import type { LeaseRow } from "./lease-row.ts";
import { cancelHandoffRow, createRow, ownerWriteRow, requestHandoffRow, type RowIdentity, takeRow } from "./row-transitions.ts";

/** A change to one row: the row to write, given the row as stored, or undefined when the write's condition fails. */
export type RowTransition = (row: LeaseRow | undefined) => LeaseRow | undefined;

/**
 * A key-value store's rows of one group and stream (a Durable Object's storage, Deno KV): read them,
 * and apply a transition to one row as ONE atomic read-and-write, so that no other write to that row
 * can land between the read the transition sees and the write it makes. That is all the lease
 * protocol needs from such a store; the conditions themselves are row-transitions.ts.
 */
export interface RowStore {
  /** The row's key as text (for `LeaseRow.key`, error messages and people). */
  rowKey(shardId: string): string;
  list(signal: AbortSignal): Promise<LeaseRow[]>;
  read(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined>;
  /** Apply `transition` atomically; a refused one answers the row as it is. */
  change(shardId: string, transition: RowTransition, signal: AbortSignal): Promise<ConditionalOutcome>;
}

export interface RowStoreLeaseTarget {
  storeName: string;
  rows: RowStore;
  group: string;
  stream: string;
  incarnation: string | undefined;
  /** Wall time for `ts` and `ttl` stamps. */
  clock: Clock;
  /** How long a row lives after its last write, in seconds; undefined where the store cannot expire rows. */
  ttlSeconds: number | undefined;
  /** A finished shard's row must outlive the shard in ListShards (the stream's retention). */
  retentionHours: number;
}

/**
 * The `LeaseBackend` of every store reached through a `RowStore`: each protocol write is one
 * transition from row-transitions.ts, stamped with `ts` and `ttl` here.
 */
export class RowStoreLeaseBackend implements LeaseBackend {
  readonly storeName: string;
  readonly random = Math.random;
  readonly incarnation: string | undefined;
  readonly #target: RowStoreLeaseTarget;
  readonly #rows: RowStore;

  constructor(target: RowStoreLeaseTarget) {
    this.storeName = target.storeName;
    this.incarnation = target.incarnation;
    this.#target = target;
    this.#rows = target.rows;
  }

  rowKey(shardId: string): string {
    return this.#rows.rowKey(shardId);
  }

  listRows(signal: AbortSignal): Promise<LeaseRow[]> {
    return this.#rows.list(signal);
  }

  readRow(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> {
    return this.#rows.read(shardId, signal);
  }

  create(shardId: string, me: string, nowMs: number, signal: AbortSignal): Promise<ConditionalOutcome> {
    const id: RowIdentity = { key: this.rowKey(shardId), group: this.#target.group, stream: this.#target.stream, shardId, incarnation: this.incarnation };
    return this.#rows.change(shardId, (row) => this.#stamped(createRow(row, id, me, nowMs), nowMs), signal);
  }

  take(
    shardId: string,
    me: string,
    expected: { counter: number; owner?: string | undefined },
    nowMs: number,
    signal: AbortSignal,
  ): Promise<ConditionalOutcome> {
    return this.#rows.change(shardId, (row) => this.#stamped(takeRow(row, me, expected, nowMs), nowMs), signal);
  }

  requestHandoff(shardId: string, me: string, owner: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    // No stamp: `ts` tells the owner's last write, and the row's life is the owner's to extend.
    return this.#rows.change(shardId, (row) => requestHandoffRow(row, me, owner), signal);
  }

  cancelHandoff(shardId: string, me: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    return this.#rows.change(shardId, (row) => cancelHandoffRow(row, me), signal);
  }

  ownerWrite(shardId: string, me: string, write: FencedWrite, signal: AbortSignal): Promise<ConditionalOutcome> {
    const nowMs = this.#target.clock.now();
    return this.#rows.change(shardId, (row) => this.#stamped(ownerWriteRow(row, me, write, nowMs), nowMs), signal);
  }

  #stamped(row: LeaseRow | undefined, nowMs: number): LeaseRow | undefined {
    const ttlSeconds = this.#target.ttlSeconds;
    if (row === undefined || ttlSeconds === undefined) return row;
    const extra = row.finished ? this.#target.retentionHours * 3600 : 0;
    return { ...row, ttl: Math.ceil(nowMs / 1000 + ttlSeconds + extra) };
  }
}
