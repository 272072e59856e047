import { type Clock, sleep } from "../../src/internal/clock.ts";

/**
 * Real time, with two ways to move it the way hosts see it move: `stepWall` moves only the wall clock
 * (an NTP correction), `freezeFor` moves both (a process frozen by a GC pause, SIGSTOP or a laptop lid:
 * time passed, but no timer fired meanwhile). Sleeps are real.
 */
export class SteppableClock implements Clock {
  #wallOffset = 0;
  #monotonicOffset = 0;

  now(): number {
    return Date.now() + this.#wallOffset;
  }

  monotonic(): number {
    return performance.now() + this.#monotonicOffset;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleep(ms, signal);
  }

  stepWall(ms: number): void {
    this.#wallOffset += ms;
  }

  freezeFor(ms: number): void {
    this.#wallOffset += ms;
    this.#monotonicOffset += ms;
  }
}
