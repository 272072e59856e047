import { type Clock, sleep } from "../../src/internal/clock.ts";

/**
 * Real time, except that the monotonic reading (what lease expiry is measured on) can be held still
 * for one round of calls. Sessions sharing this clock that first see a row in the same round, and
 * decide in the same round, make the same decision: racing takers then really race, every one of
 * them with a write, instead of one of them being a few milliseconds short of sessionTimeout.
 */
export class RoundClock implements Clock {
  #held: number | undefined;

  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleep(ms, signal);
  }

  monotonic(): number {
    return this.#held ?? performance.now();
  }

  /** Run `work` with the monotonic reading held at its value now. */
  async round<T>(work: () => Promise<T>): Promise<T> {
    this.#held = performance.now();
    try {
      return await work();
    } finally {
      this.#held = undefined;
    }
  }
}
