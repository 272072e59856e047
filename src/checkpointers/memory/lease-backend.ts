import type { Clock } from "../../internal/clock.ts";
import { compareSequence } from "../../internal/sequence.ts";
import type { ConditionalOutcome, LeaseBackend } from "../lease/backend.ts";
import type { FencedWrite } from "../lease/lease-rules.ts";
import { isForeignIncarnation, type LeaseRow } from "../lease/lease-row.ts";

/** The rows of one MemoryCheckPointer: every group, stream and shard, by key. */
export type MemoryRows = Map<string, LeaseRow>;

export interface MemoryLeaseTarget {
  rows: MemoryRows;
  group: string;
  /** Stream name (not ARN): part of every row key. */
  stream: string;
  incarnation: string | undefined;
  clock: Clock;
}

/**
 * A lease session's store in this process's memory: the same conditional writes as the DynamoDB
 * and Redis backends (fenced on owner and counter, one winner per race), each one synchronous step
 * on a shared map, so in-process workers coordinate by exactly the rules a fleet uses. Rows are
 * copied in and out, as a remote store's would be.
 */
export class MemoryLeaseBackend implements LeaseBackend {
  readonly storeName = "MemoryCheckPointer";
  readonly random = Math.random;
  readonly incarnation: string | undefined;
  readonly #rows: MemoryRows;
  readonly #group: string;
  readonly #stream: string;
  readonly #clock: Clock;

  constructor(target: MemoryLeaseTarget) {
    this.#rows = target.rows;
    this.#group = target.group;
    this.#stream = target.stream;
    this.incarnation = target.incarnation;
    this.#clock = target.clock;
  }

  rowKey(shardId: string): string {
    return `${this.#group}#${this.#stream}#${shardId}`;
  }

  async listRows(): Promise<LeaseRow[]> {
    const rows: LeaseRow[] = [];
    for (const row of this.#rows.values()) if (row.group === this.#group && row.stream === this.#stream) rows.push({ ...row });
    return rows;
  }

  async readRow(shardId: string): Promise<LeaseRow | undefined> {
    const row = this.#rows.get(this.rowKey(shardId));
    return row === undefined ? undefined : { ...row };
  }

  async create(shardId: string, me: string, nowMs: number): Promise<ConditionalOutcome> {
    const key = this.rowKey(shardId);
    const old = this.#rows.get(key);
    if (old !== undefined && !isForeignIncarnation(old, this.incarnation)) return failed(old);
    return this.#store({
      key,
      group: this.#group,
      stream: this.#stream,
      shardId,
      owner: me,
      counter: (old?.counter ?? 0) + 1,
      finished: false,
      updatedAtSeconds: nowMs / 1000,
      incarnation: this.incarnation,
    });
  }

  async take(shardId: string, me: string, expected: { counter: number; owner?: string | undefined }, nowMs: number): Promise<ConditionalOutcome> {
    const row = this.#rows.get(this.rowKey(shardId));
    if (row === undefined || row.counter !== expected.counter || row.owner !== expected.owner || row.finished) return failed(row);
    return this.#store({ ...row, owner: me, counter: row.counter + 1, pendingOwner: undefined, updatedAtSeconds: nowMs / 1000 });
  }

  async requestHandoff(shardId: string, me: string, owner: string): Promise<ConditionalOutcome> {
    const row = this.#rows.get(this.rowKey(shardId));
    if (row === undefined || row.owner !== owner || row.pendingOwner !== undefined) return failed(row);
    return this.#store({ ...row, pendingOwner: me });
  }

  async cancelHandoff(shardId: string, me: string): Promise<ConditionalOutcome> {
    const row = this.#rows.get(this.rowKey(shardId));
    if (row === undefined || row.pendingOwner !== me) return failed(row);
    return this.#store({ ...row, pendingOwner: undefined });
  }

  async ownerWrite(shardId: string, me: string, write: FencedWrite): Promise<ConditionalOutcome> {
    const row = this.#rows.get(this.rowKey(shardId));
    if (row === undefined || row.owner !== me || row.counter !== write.counter) return failed(row);
    if (write.sequence !== undefined && row.sequence !== undefined && compareSequence(write.sequence, row.sequence) <= 0) return failed(row);
    const next: LeaseRow = { ...row, counter: row.counter + 1, updatedAtSeconds: this.#clock.now() / 1000 };
    if (write.sequence !== undefined) next.sequence = write.sequence;
    if (write.startAt !== undefined && next.startAt === undefined) next.startAt = write.startAt;
    if (write.kind === "release") next.owner = undefined;
    if (write.kind === "finish") {
      next.finished = true;
      next.owner = undefined;
      next.pendingOwner = undefined;
    }
    return this.#store(next);
  }

  #store(row: LeaseRow): ConditionalOutcome {
    this.#rows.set(row.key, row);
    return { landed: true, row: { ...row } };
  }
}

function failed(row: LeaseRow | undefined): ConditionalOutcome {
  return { landed: false, current: row === undefined ? undefined : { ...row } };
}
