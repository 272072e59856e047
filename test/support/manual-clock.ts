import { abortReason, type Clock } from "../../src/internal/clock.ts";

/**
 * A `Clock` whose time moves only when the test says so. Sleepers wake in order as time is advanced,
 * and real I/O (a local server) gets a moment to finish between wake-ups, so minutes of heartbeats
 * run in a fraction of a second without any code under test knowing.
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Array<{ due: number; wake: () => void }> = [];

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

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

  /** Move time forward by `ms`, waking each sleeper at its due time and letting I/O settle after each. */
  async advance(ms: number, settleMs = 15): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle(settleMs);
      const next = this.#sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.#now = Math.max(this.#now, next.due);
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      next.wake();
    }
    this.#now = target;
    await settle(settleMs);
  }

  /** Sleepers waiting right now (a closed component should leave none). */
  pending(): number {
    return this.#sleepers.length;
  }
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
