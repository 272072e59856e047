import { AbortedError } from "../errors.ts";
import type { Clock } from "../internal/clock.ts";

/**
 * The reason a replaced wake-up is aborted with. Made once: without a reason, every abort would build
 * a DOMException and the clock an AbortedError around it, each with a stack, for a rejection nobody reads.
 */
let replaced: AbortedError | undefined;

/**
 * A wake-up less than this much earlier than the one pending keeps the pending one. Wake times are
 * whole milliseconds of budget or buffer time counted from a fractional `now`, so the same moment
 * worked out twice can come out a fraction of a millisecond apart; replacing the timer for that cost
 * an AbortController, an abort and a new timer on about every other request at the rate limit.
 */
const WAKE_TOLERANCE_MS = 1;

/**
 * One pending wake-up at a time, through the injected clock. Setting a later time than the one
 * pending keeps the earlier; setting one at least WAKE_TOLERANCE_MS earlier replaces it. Cancelled
 * timers leave nothing behind, so an idle or closed producer holds no timer that keeps a process alive.
 */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #pending: { at: number; cancel: AbortController } | undefined;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  /** When the pending wake-up fires, or undefined. */
  get at(): number | undefined {
    return this.#pending?.at;
  }

  /** Wake at `at` (ms since epoch); undefined cancels. Never sooner than 1 ms, so nothing spins. */
  set(at: number | undefined, now: number): void {
    if (at === undefined) {
      this.cancel();
      return;
    }
    if (this.#pending !== undefined && this.#pending.at < at + WAKE_TOLERANCE_MS) return;
    this.cancel();
    const pending = { at, cancel: new AbortController() };
    this.#pending = pending;
    this.#clock.sleep(Math.max(1, at - now), pending.cancel.signal).then(
      () => {
        if (this.#pending === pending) this.#pending = undefined;
        this.#onWake();
      },
      // Cancelled: a newer wake-up (or none) replaced this one.
      () => undefined,
    );
  }

  cancel(): void {
    if (this.#pending === undefined) return;
    this.#pending.cancel.abort(replaced ??= new AbortedError("wake-up replaced"));
    this.#pending = undefined;
  }
}
