import type { Clock } from "../../internal/clock.ts";
import type { ConditionalOutcome } from "../lease/backend.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import { type RowStore, RowStoreLeaseBackend, type RowTransition } from "../lease/row-store.ts";

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
 * A lease session's store in this process's memory: the protocol's row transitions (the same ones
 * Durable Objects and Deno KV apply) on a shared map, each one synchronous step, so in-process workers
 * coordinate by exactly the rules a fleet uses. Rows never expire.
 */
export class MemoryLeaseBackend extends RowStoreLeaseBackend {
  constructor(target: MemoryLeaseTarget) {
    super({
      storeName: "MemoryCheckPointer",
      rows: new MapRowStore(target.rows, target.group, target.stream),
      group: target.group,
      stream: target.stream,
      incarnation: target.incarnation,
      clock: target.clock,
      ttlSeconds: undefined,
      retentionHours: 0,
    });
  }
}

/** One group and stream of a shared map. Rows are copied in and out, as a remote store's would be. */
class MapRowStore implements RowStore {
  readonly #rows: MemoryRows;
  readonly #group: string;
  readonly #stream: string;

  constructor(rows: MemoryRows, group: string, stream: string) {
    this.#rows = rows;
    this.#group = group;
    this.#stream = stream;
  }

  rowKey(shardId: string): string {
    return `${this.#group}#${this.#stream}#${shardId}`;
  }

  async list(): Promise<LeaseRow[]> {
    const rows: LeaseRow[] = [];
    for (const row of this.#rows.values()) if (row.group === this.#group && row.stream === this.#stream) rows.push({ ...row });
    return rows;
  }

  async read(shardId: string): Promise<LeaseRow | undefined> {
    const row = this.#rows.get(this.rowKey(shardId));
    return row === undefined ? undefined : { ...row };
  }

  async change(shardId: string, transition: RowTransition): Promise<ConditionalOutcome> {
    const key = this.rowKey(shardId);
    const current = this.#rows.get(key);
    const next = transition(current === undefined ? undefined : { ...current });
    if (next === undefined) return { landed: false, current: current === undefined ? undefined : { ...current } };
    this.#rows.set(key, next);
    return { landed: true, row: { ...next } };
  }
}
