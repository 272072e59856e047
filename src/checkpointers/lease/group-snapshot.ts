import { type Observation, observe } from "./lease-rules.ts";
import type { LeaseRow } from "./lease-row.ts";

/**
 * One worker's recent picture of its group's rows, and what it observed of each row's counter over
 * time (the basis of expiry). Refreshed at most once per `maxAgeMs`, so an allocate pass over every
 * shard costs one read of the group, not one per shard.
 */
export class GroupSnapshot {
  readonly observations = new Map<string, Observation>();
  #rows: LeaseRow[] = [];
  #takenAt: number | undefined;
  #pending: Promise<LeaseRow[]> | undefined;

  readonly #load: () => Promise<LeaseRow[]>;
  /** Monotonic milliseconds: observations measure how long a counter has stood still. */
  readonly #now: () => number;
  readonly #maxAgeMs: number;

  constructor(load: () => Promise<LeaseRow[]>, now: () => number, maxAgeMs: number) {
    this.#load = load;
    this.#now = now;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The rows, re-read if the snapshot is older than `maxAgeMs` (or `fresh` is asked for). */
  rows(fresh = false): Promise<LeaseRow[]> {
    const now = this.#now();
    if (!fresh && this.#takenAt !== undefined && now - this.#takenAt < this.#maxAgeMs) return Promise.resolve(this.#rows);
    // Concurrent callers share one read.
    this.#pending ??= this.#load().then(
      (rows) => {
        this.#pending = undefined;
        this.#record(rows, this.#now());
        return rows;
      },
      (error: unknown) => {
        this.#pending = undefined;
        throw error;
      },
    );
    return this.#pending;
  }

  /** Replace one row with what a write of ours returned, so the next decision sees it. */
  update(row: LeaseRow): void {
    const index = this.#rows.findIndex((r) => r.key === row.key);
    if (index >= 0) this.#rows[index] = row;
    else this.#rows.push(row);
    this.observations.set(row.key, observe(this.observations.get(row.key), row.counter, this.#now()));
  }

  /** Forget the cached rows (a write found the store different from what we thought). */
  invalidate(): void {
    this.#takenAt = undefined;
  }

  #record(rows: LeaseRow[], now: number): void {
    this.#rows = rows;
    this.#takenAt = now;
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.key);
      this.observations.set(row.key, observe(this.observations.get(row.key), row.counter, now));
    }
    for (const key of this.observations.keys()) if (!seen.has(key)) this.observations.delete(key);
  }
}
