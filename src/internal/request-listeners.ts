import { defaultFetch } from "./default-fetch.ts";

/**
 * Who wants to hear about each request a client sends (a bounded step counts them against its
 * `stopAfter.requests`). A listener that throws is ignored: counting must never break a request.
 */
export class RequestListeners {
  readonly #listeners = new Set<() => void>();

  /** Call `listener` once per request from now on; returns the undo. */
  add(listener: () => void): () => void {
    // A wrapper per call, so the same function added twice is counted twice and removed once each.
    const entry = (): void => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** One request is being sent. */
  notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch {
        // observation only
      }
    }
  }

  /** `fetch` (or the default one, looked up per call: workerd wants it called on globalThis) that notifies first. */
  countingFetch(given: typeof fetch | undefined): typeof fetch {
    return (input, init) => {
      this.notify();
      return given !== undefined ? given(input, init) : defaultFetch(input, init);
    };
  }
}
