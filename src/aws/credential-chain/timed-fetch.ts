/**
 * One HTTP exchange with a deadline: the metadata services and STS must not keep a caller waiting on
 * a host that never answers (a laptop has no 169.254.169.254). Resolves with the status and body.
 */
export async function timedFetch(
  fetchFn: typeof fetch,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetchFn(url, { ...init, signal: controller.signal });
    return { status: response.status, text: await response.text() };
  } catch (cause) {
    if (controller.signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`, { cause });
    throw cause;
  } finally {
    clearTimeout(timer);
  }
}

/** `timedFetch`, tried once more after a transport failure or timeout (never after an HTTP answer). */
export async function timedFetchWithRetry(
  fetchFn: typeof fetch,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
  retries: number,
): Promise<{ status: number; text: string }> {
  for (let attempt = 0;; attempt++) {
    try {
      return await timedFetch(fetchFn, url, init, timeoutMs);
    } catch (error) {
      if (attempt >= retries) throw error;
    }
  }
}

/** A failure's own words for an error message (a fetch error's detail is its `cause`). */
export function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
