import { ConfigError } from "../errors.ts";

/**
 * What a failed `fetch` says about why it failed. Runtimes wrap the real reason: Node's undici throws
 * `TypeError("fetch failed")` whose `cause` is `Error("connect ECONNREFUSED 127.0.0.1:4567")` with
 * `code: "ECONNREFUSED"` (or an `AggregateError` of one per address); Deno and Bun put more in the
 * message itself. The user needs the innermost reason, so walk the chain and keep every distinct part.
 */
export function describeTransportFailure(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  // A few levels are enough; a cycle or a pathological chain must not loop.
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const text = describeOne(current);
    if (text !== "" && !parts.some((part) => part.includes(text))) parts.push(text);
    current = next(current);
  }
  return parts.length === 0 ? "unknown failure" : parts.join(": ");
}

function describeOne(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === "string" ? error : "";
  const code = (error as { code?: unknown }).code;
  const message = error.message;
  // Name the system code when the message does not already (e.g. an AggregateError's empty message).
  if (typeof code === "string" && code !== "" && !message.includes(code)) return message === "" ? code : `${message} (${code})`;
  return message;
}

function next(error: unknown): unknown {
  if (!(error instanceof Error)) return undefined;
  if (error.cause !== undefined) return error.cause;
  // Node tries each address of a host name; the first refusal stands for all of them.
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors[0];
  return undefined;
}

/**
 * Deno refused the request itself (no `--allow-net` for this host): a fatal configuration error
 * naming the flag to add, never a retryable network failure. `option` is the flag, e.g.
 * `--allow-net=kinesis.us-east-1.amazonaws.com` or `--allow-net=127.0.0.1:4567`.
 */
export function netPermissionError(endpoint: string, where: string, cause: unknown): ConfigError {
  const host = hostOf(endpoint);
  const flag = `--allow-net=${host}`;
  const error = new ConfigError(flag, `Deno denied network access for ${where}: run with ${flag} (or --allow-net)`);
  // Keep Deno's own error for whoever debugs it; ConfigError takes no options, so attach it here.
  Object.defineProperty(error, "cause", { value: cause, enumerable: false, configurable: true, writable: true });
  return error;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
