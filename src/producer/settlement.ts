import { type FailedRecord, PutFailedError } from "../errors.ts";
import { abortReason } from "../internal/clock.ts";

interface FlushWaiter {
  generation: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Knows which accepted items are still on their way, per flush generation, so `flush()` can wait for
 * exactly the items accepted before it (items put while it waits belong to the next generation) and
 * report exactly those of them that failed. Pure bookkeeping: no timers, no I/O.
 *
 * At most `maxRetainedFailures` failures wait for a flush: a producer that is never flushed must not
 * grow without bound. Past that the oldest are dropped and only counted, per generation, so the flush
 * that covers them still says how many there were.
 */
export class Settlement {
  readonly #streamName: string;
  readonly #maxRetainedFailures: number;
  #generation = 0;
  /** Generation → items not yet delivered or failed. Keys are inserted in increasing order. */
  readonly #outstanding = new Map<number, number>();
  /** Oldest first. */
  #failures: Array<{ generation: number; failure: FailedRecord }> = [];
  /** Generation → failures dropped unreported over the bound. */
  #dropped = new Map<number, number>();
  #waiters: FlushWaiter[] = [];
  #total = 0;
  /** Items settled as failed, and failures dropped over the bound, since the start. */
  failedTotal = 0;
  droppedTotal = 0;

  constructor(streamName: string, maxRetainedFailures = Number.POSITIVE_INFINITY) {
    this.#streamName = streamName;
    this.#maxRetainedFailures = maxRetainedFailures;
  }

  /** Failures waiting for a flush to report them. */
  get retainedFailures(): number {
    return this.#failures.length;
  }

  /** The generation items accepted now belong to. */
  get generation(): number {
    return this.#generation;
  }

  /** Items accepted and not yet settled, over all generations. */
  get outstanding(): number {
    return this.#total;
  }

  accept(count: number): void {
    const generation = this.#generation;
    this.#outstanding.set(generation, (this.#outstanding.get(generation) ?? 0) + count);
    this.#total += count;
  }

  /** `count` items of `generation` are done; `failures` lists those that were not delivered. */
  settle(generation: number, count: number, failures?: readonly FailedRecord[]): void {
    if (failures !== undefined && failures.length > 0) this.#retain(generation, failures);
    const left = (this.#outstanding.get(generation) ?? 0) - count;
    this.#total -= count;
    if (left > 0) {
      this.#outstanding.set(generation, left);
      return;
    }
    this.#outstanding.delete(generation);
    this.#release();
  }

  /** Close the current generation and return it; items accepted from now on belong to the next. */
  cut(): number {
    return this.#generation++;
  }

  /**
   * Resolves once every item of generations up to `generation` has settled; rejects with
   * `PutFailedError` listing those of them (not reported before) that failed. When `signal` aborts
   * first, the waiter leaves without taking any failure (a later waiter reports them).
   */
  waitFor(generation: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) return reject(abortReason(signal));
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((entry) => entry !== waiter);
        reject(abortReason(signal));
      };
      const done = (): void => signal?.removeEventListener("abort", onAbort);
      const waiter: FlushWaiter = {
        generation,
        resolve: () => (done(), resolve()),
        reject: (error) => (done(), reject(error)),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#release();
    });
  }

  #retain(generation: number, failures: readonly FailedRecord[]): void {
    this.failedTotal += failures.length;
    for (const failure of failures) this.#failures.push({ generation, failure });
    const excess = this.#failures.length - this.#maxRetainedFailures;
    if (excess <= 0) return;
    for (const { generation: old } of this.#failures.splice(0, excess)) this.#dropped.set(old, (this.#dropped.get(old) ?? 0) + 1);
    this.droppedTotal += excess;
  }

  /** Take (once) the failures dropped unreported in generations up to `generation`. */
  #takeDropped(generation: number): number {
    let count = 0;
    for (const [old, dropped] of this.#dropped) {
      if (old > generation) continue;
      count += dropped;
      this.#dropped.delete(old);
    }
    return count;
  }

  #oldestOutstanding(): number {
    for (const generation of this.#outstanding.keys()) return generation;
    return Number.POSITIVE_INFINITY;
  }

  #release(): void {
    if (this.#waiters.length === 0) return;
    const oldest = this.#oldestOutstanding();
    const ready = this.#waiters.filter((waiter) => waiter.generation < oldest);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => waiter.generation >= oldest);
    ready.sort((a, b) => a.generation - b.generation);
    for (const waiter of ready) {
      const mine = this.#failures.filter((entry) => entry.generation <= waiter.generation);
      const droppedFailures = this.#dropped.size === 0 ? 0 : this.#takeDropped(waiter.generation);
      if (mine.length === 0 && droppedFailures === 0) {
        waiter.resolve();
        continue;
      }
      if (mine.length > 0) this.#failures = this.#failures.filter((entry) => entry.generation > waiter.generation);
      const failures = mine.map((entry) => entry.failure);
      waiter.reject(new PutFailedError(this.#streamName, failures, { droppedFailures }));
    }
  }
}
