/** A signal that follows several others until `dispose()` is called. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Abort the linked signal itself (e.g. on a timeout), as if an input had. */
  abort(reason?: unknown): void;
  /** Stop following the inputs: removes the listeners this link added to them. */
  dispose(): void;
}

/**
 * One real "abort" listener per input signal, however many links follow it; it fans out to them.
 * A consumer's stop signal is followed by every shard reader (and each reader's requests): one
 * listener each would pass Node's limit of ten (MaxListenersExceededWarning) beyond ten shards.
 */
interface FanOut {
  readonly links: Set<() => void>;
  readonly listener: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/** Call `onAbort` once when `input` aborts; returns the undo. */
function follow(input: AbortSignal, onAbort: () => void): () => void {
  let fan = fanOuts.get(input);
  if (fan === undefined) {
    const links = new Set<() => void>();
    const listener = (): void => {
      fanOuts.delete(input);
      // A link may dispose others while this runs (one link's abort undoing another): skip those.
      for (const link of [...links]) if (links.delete(link)) link();
    };
    fan = { links, listener };
    fanOuts.set(input, fan);
    input.addEventListener("abort", listener, { once: true });
  }
  const own = fan;
  own.links.add(onAbort);
  return () => {
    if (!own.links.delete(onAbort) || own.links.size > 0) return;
    // The last link left: the input keeps nothing of ours.
    input.removeEventListener("abort", own.listener);
    if (fanOuts.get(input) === own) fanOuts.delete(input);
  };
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
    cleanups.push(
      follow(input, () => {
        dispose();
        controller.abort(input.reason);
      }),
    );
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
