import { abortReason, type Clock } from "../internal/clock.ts";

/**
 * A `Clock` that moves only when told to. Hand the same instance to the fake (arrival timestamps,
 * iterator expiry) and to a Consumer / Producer / checkpointer (their sleeps and lease timing), then
 * `advance()` through minutes of heartbeats in a few milliseconds of real time.
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Array<{ due: number; wake: () => void }> = [];

  /** `start`: epoch milliseconds (default 2024-01-01T00:00:00Z). */
  constructor(start: number = Date.UTC(2024, 0, 1)) {
    this.#now = start;
  }

  /** The current fake time, epoch milliseconds; moves only with `advance()`. */
  now(): number {
    return this.#now;
  }

  /** The same as `now()`: fake time never goes backwards. */
  monotonic(): number {
    return this.#now;
  }

  /** Resolves once `advance()` reaches `ms` milliseconds from now; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const sleeper = {
        due: this.#now + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** How many sleepers are waiting (a test can wait until the code under test has gone to sleep). */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /**
   * Move time forward by `ms`, waking each sleeper at its due time, in order. Between wake-ups the
   * event loop gets a real macrotask turn so the woken code can run (and go back to sleep) first;
   * `settleMs` makes each turn that much real time, for code that waits on real I/O (a local server).
   */
  async advance(ms: number, settleMs = 0): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      await macrotask(settleMs);
      let next: { due: number; wake: () => void } | undefined;
      for (const s of this.#sleepers) if (s.due <= target && (next === undefined || s.due < next.due)) next = s;
      if (next === undefined) break;
      this.#now = Math.max(this.#now, next.due);
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      next.wake();
    }
    this.#now = target;
    await macrotask(settleMs);
  }
}

/** One macrotask turn, or `ms` of real time for real I/O (a local server) to answer between wake-ups. */
function macrotask(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
