/** A signal that follows several others until `dispose()` is called. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Abort the linked signal itself (e.g. on a timeout), as if an input had. */
  abort(reason?: unknown): void;
  /** Stop following the inputs: removes the listeners this link added to them. */
  dispose(): void;
}

/**
 * Combine several optional signals into one that aborts when any of them does, with the first
 * one's reason. Unlike `AbortSignal.any`, the link can be undone: on Node 20 every `AbortSignal.any`
 * over a long-lived signal stays referenced by it (nodejs/node#55351), which leaks one object per
 * request when a consumer's lifetime signal is combined with each attempt's timeout.
 */
export function linkSignals(signals: ReadonlyArray<AbortSignal | undefined>): LinkedSignal {
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  const dispose = (): void => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  for (const input of signals) {
    if (input === undefined) continue;
    if (input.aborted) {
      dispose();
      controller.abort(input.reason);
      break;
    }
    const onAbort = (): void => {
      dispose();
      controller.abort(input.reason);
    };
    input.addEventListener("abort", onAbort, { once: true });
    cleanups.push(() => input.removeEventListener("abort", onAbort));
  }
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => {
      dispose();
      controller.abort(reason);
    },
    dispose,
  };
}
