/**
 * A `fetch` a test can shut: while shut, requests are held (the network view of a paused process:
 * GC, SIGSTOP, a partition); on opening they are sent late, in order, exactly as the resumed process
 * would send them, and their answers are recorded, so a test can show what those late writes did.
 */
export interface LateAnswer {
  operation: string;
  status: number;
  /** The AWS error code (`__type` without its namespace), if the answer was an error. */
  errorCode: string | undefined;
}

export interface FetchGate {
  fetch: typeof fetch;
  shut(): void;
  /** Send the held requests; resolves with their answers once every one has come back. */
  open(): Promise<LateAnswer[]>;
  /** Resolves when no request sent through the gate is waiting for its answer (held ones do not count). */
  idle(): Promise<void>;
  held(): number;
}

function operationOf(init: RequestInit | undefined): string {
  const target = new Headers(init?.headers).get("x-amz-target") ?? "";
  return target.slice(target.lastIndexOf(".") + 1);
}

async function answerOf(operation: string, response: Response): Promise<LateAnswer> {
  if (response.ok) return { operation, status: response.status, errorCode: undefined };
  const text = await response.clone().text();
  let type: unknown;
  try {
    type = (JSON.parse(text) as { __type?: unknown }).__type;
  } catch {
    type = undefined;
  }
  const errorCode = typeof type === "string" ? type.slice(type.lastIndexOf("#") + 1) : undefined;
  return { operation, status: response.status, errorCode };
}

export function fetchGate(inner: typeof fetch = (input, init) => globalThis.fetch(input, init)): FetchGate {
  let isShut = false;
  let waiting: Array<{ release: () => void }> = [];
  let inFlight = 0;
  const idleWaiters: Array<() => void> = [];
  let late: Array<Promise<LateAnswer>> = [];

  const send = async (input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> => {
    inFlight++;
    try {
      return await inner(input, init);
    } finally {
      inFlight--;
      if (inFlight === 0) { for (const wake of idleWaiters.splice(0)) wake(); }
    }
  };

  const gated: typeof fetch = async (input, init) => {
    if (!isShut) return send(input, init);
    const signal = init?.signal ?? undefined;
    await new Promise<void>((resolve, reject) => {
      const entry = {
        release: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        waiting = waiting.filter((w) => w !== entry);
        reject(signal?.reason ?? new DOMException("aborted", "AbortError"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      waiting.push(entry);
    });
    const response = send(input, init);
    late.push(response.then((r) => answerOf(operationOf(init), r)));
    return response;
  };

  return {
    fetch: gated,
    shut: () => {
      isShut = true;
    },
    open: async () => {
      isShut = false;
      late = [];
      for (const entry of waiting.splice(0)) entry.release();
      // The released callers push their sends in the next microtasks.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return Promise.all(late);
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    held: () => waiting.length,
  };
}
