import { AbortedError } from "../errors.ts";

/**
 * Time comes in through this interface so tests can drive it and so lease timing never depends on a
 * runtime's quirks (on workerd `Date.now()` only advances across I/O).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with `AbortedError` as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Milliseconds on a clock that never steps (an NTP correction moves `now()`, not this): what lease
   * durations are measured with. Optional for injected clocks; `now()` stands in when absent.
   */
  monotonic?(): number;
}

/** The clock's monotonic reading, or its wall time when it has none (an injected test clock). */
export function monotonicOf(clock: Clock): () => number {
  const monotonic = clock.monotonic;
  return monotonic === undefined ? () => clock.now() : () => monotonic.call(clock);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
  monotonic: () => performance.now(),
};

/** The error to reject with when `signal` aborts: the caller's own reason if it gave an error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortedError) return reason;
  return new AbortedError("the operation was aborted", { cause: reason });
}
