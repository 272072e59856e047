/**
 * A `fetch` wrapper for tests: counts requests per AWS operation (from `X-Amz-Target`) and can hold
 * every request while "paused" — the network view of a process that stopped (GC pause, SIGSTOP,
 * partition) — then let the held requests through late, exactly as a resumed process would send them.
 */
export interface FetchTap {
  fetch: typeof fetch;
  /** Requests sent per operation (held ones count when they are let through). */
  counts(): Record<string, number>;
  /** Writes sent (PutItem, UpdateItem, DeleteItem). */
  writes(): number;
  resetCounts(): void;
  pause(): void;
  /** Let held requests through, in order. */
  resume(): void;
  /** Requests waiting right now. */
  heldCount(): number;
  /** Bodies of requests that were held and then let through, in order. */
  delivered(): Array<{ operation: string; body: string }>;
}

const WRITE_OPERATIONS = new Set(["PutItem", "UpdateItem", "DeleteItem"]);

function operationOf(init: RequestInit | undefined): string {
  const headers = new Headers(init?.headers);
  const target = headers.get("x-amz-target") ?? "";
  return target.slice(target.lastIndexOf(".") + 1);
}

export function fetchTap(inner: typeof fetch = (input, init) => globalThis.fetch(input, init)): FetchTap {
  let counts: Record<string, number> = {};
  let paused = false;
  let held: Array<() => void> = [];
  const delivered: Array<{ operation: string; body: string }> = [];

  const tapped: typeof fetch = async (input, init) => {
    const operation = operationOf(init);
    if (paused) {
      await new Promise<void>((resolve, reject) => {
        const signal = init?.signal ?? undefined;
        const release = (): void => {
          signal?.removeEventListener("abort", onAbort);
          delivered.push({ operation, body: typeof init?.body === "string" ? init.body : "" });
          resolve();
        };
        const onAbort = (): void => {
          held = held.filter((h) => h !== release);
          reject(signal?.reason ?? new DOMException("aborted", "AbortError"));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        held.push(release);
      });
    }
    counts[operation] = (counts[operation] ?? 0) + 1;
    return inner(input, init);
  };

  return {
    fetch: tapped,
    counts: () => ({ ...counts }),
    writes: () => Object.entries(counts).reduce((sum, [op, n]) => sum + (WRITE_OPERATIONS.has(op) ? n : 0), 0),
    resetCounts: () => {
      counts = {};
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      const waiting = held;
      held = [];
      for (const release of waiting) release();
    },
    heldCount: () => held.length,
    delivered: () => [...delivered],
  };
}
