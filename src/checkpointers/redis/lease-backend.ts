import type { ConditionalOutcome, LeaseBackend } from "../lease/backend.ts";
import type { FencedWrite, OwnerWriteKind } from "../lease/lease-rules.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import type { LeaseRows, RedisStamp, ScriptOutcome } from "./lease-rows.ts";
import type { ResolvedOptions } from "./options.ts";

export interface RedisLeaseTarget {
  rows: LeaseRows;
  options: Pick<ResolvedOptions, "ttlMs" | "clock">;
  /** Stream name (not ARN): part of every key. */
  stream: string;
  /** The stream's retention: a finished shard's key must outlive the shard. */
  retentionHours: number;
  /** The stream incarnation rows are written for (see `LeaseRow.incarnation`). */
  incarnation: string | undefined;
}

/**
 * A lease session's store in Redis: one group and stream. Every write is one atomic Lua script
 * (lua.ts) that answers a failed condition with the row as it is, in the same step, so no extra read.
 */
export class RedisLeaseBackend implements LeaseBackend {
  readonly storeName = "RedisCheckPointer";
  readonly random = Math.random;
  readonly incarnation: string | undefined;
  readonly #rows: LeaseRows;
  readonly #options: RedisLeaseTarget["options"];
  readonly #stream: string;
  readonly #retentionHours: number;

  constructor(target: RedisLeaseTarget) {
    this.#rows = target.rows;
    this.#options = target.options;
    this.#stream = target.stream;
    this.#retentionHours = target.retentionHours;
    this.incarnation = target.incarnation;
  }

  rowKey(shardId: string): string {
    return this.#rows.keys.row(this.#stream, shardId);
  }

  listRows(signal: AbortSignal): Promise<LeaseRow[]> {
    return this.#rows.list(this.#stream, signal);
  }

  readRow(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> {
    return this.#rows.read(this.#stream, shardId, signal);
  }

  async create(shardId: string, me: string, nowMs: number, signal: AbortSignal): Promise<ConditionalOutcome> {
    return outcomeOf(await this.#rows.create(this.#stream, shardId, me, this.incarnation, this.#stamp(nowMs, "renew"), signal));
  }

  async take(
    shardId: string,
    me: string,
    expected: { counter: number; owner?: string | undefined },
    nowMs: number,
    signal: AbortSignal,
  ): Promise<ConditionalOutcome> {
    return outcomeOf(await this.#rows.take(this.#stream, shardId, me, expected, this.#stamp(nowMs, "renew"), signal));
  }

  async requestHandoff(shardId: string, me: string, owner: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    return outcomeOf(await this.#rows.requestHandoff(this.#stream, shardId, me, owner, signal));
  }

  async ownerWrite(shardId: string, me: string, write: FencedWrite, signal: AbortSignal): Promise<ConditionalOutcome> {
    const fenced = {
      me,
      counter: write.counter,
      sequence: write.sequence,
      startAt: write.startAt,
      bytesPerSecond: write.bytesPerSecond,
      stamp: this.#stamp(this.#options.clock.now(), write.kind),
    };
    return outcomeOf(await this.#rows.ownerWrite(write.kind, this.#stream, shardId, fenced, signal));
  }

  async cancelHandoff(shardId: string, me: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    return outcomeOf(await this.#rows.cancelHandoff(this.#stream, shardId, me, signal));
  }

  #stamp(nowMs: number, kind: OwnerWriteKind): RedisStamp {
    // A finished shard's key must outlive the shard in ListShards, or a restart would replay it.
    const extraMs = kind === "finish" ? this.#retentionHours * 3_600_000 : 0;
    return { nowMs, ttlMs: this.#options.ttlMs + extraMs };
  }
}

/** A script answers with the row after it when its condition held, and the row as found when not. */
function outcomeOf(script: ScriptOutcome): ConditionalOutcome {
  return script.ok ? { landed: true, row: script.row } : { landed: false, current: script.row };
}
