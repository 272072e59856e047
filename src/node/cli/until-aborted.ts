/**
 * The items of `source` until `signal` aborts: then the iteration ends at once (and the source is
 * closed), even while it is waiting, e.g. for the next line a user types. Without this, Ctrl-C during
 * `put` from a terminal would wait for one more line before stopping.
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  if (signal.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    for (;;) {
      const pending = iterator.next();
      const next = await Promise.race([pending, aborted]);
      if (next === "aborted") {
        // The abandoned read may still fail (the source is being closed): that is no longer anyone's concern.
        pending.catch(() => undefined);
        return;
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Closing may wait on the source (e.g. a readline interface); nothing more is read from it either way.
    void iterator.return?.()?.catch(() => undefined);
  }
}
