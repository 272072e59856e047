import { afterEach } from "vitest";

/** Settles with the outcome (`"resolved"` or the rejection), or with `"hung"` when `promise` has not settled within `ms`. */
export async function outcomeWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("hung"), ms);
  });
  try {
    return await Promise.race([promise.then(() => "resolved", (error: unknown) => error), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closers a test registers as it opens things; each runs after the test, newest first, errors ignored. */
export function closeAfterEach(): Array<() => Promise<unknown>> {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  return closers;
}
