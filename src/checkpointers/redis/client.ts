import { AbortedError, RedisCommandError } from "../../errors.ts";
import { abortReason } from "../../internal/clock.ts";

/** node-redis v4 and later: `createClient()` returns a client with `sendCommand(["CMD", ...args])`. */
export interface SendCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** ioredis: `new Redis()` returns a client with `call("CMD", ...args)`. */
export interface CallClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** Any Redis client of one of the two common shapes; this library never imports a client itself. */
export type RedisClientLike = SendCommandClient | CallClient;

/** One command, as the checkpointer sends it: `["EVALSHA", sha, ...]`; abandoned (not cancelled) on abort. */
export type RedisCall = (args: readonly string[], signal?: AbortSignal) => Promise<unknown>;

export function isRedisClientLike(value: unknown): value is RedisClientLike {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<SendCommandClient & CallClient>;
  return typeof candidate.call === "function" || typeof candidate.sendCommand === "function";
}

/**
 * Normalise a client to one `call(args)`. `call` wins when both exist: ioredis also has a
 * `sendCommand`, but it takes a Command object, not an argument list.
 */
export function redisCaller(client: RedisClientLike): RedisCall {
  const send: (args: string[]) => Promise<unknown> =
    "call" in client && typeof client.call === "function"
      ? (args) => (client as CallClient).call(args[0]!, ...args.slice(1))
      : (args) => (client as SendCommandClient).sendCommand(args);
  return async (args, signal) => {
    if (signal?.aborted) throw abortReason(signal);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(send([...args]));
    } catch (error) {
      throw asRedisError(args[0] ?? "", error);
    }
    try {
      return await abandonOnAbort(pending, signal);
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      throw asRedisError(args[0] ?? "", error);
    }
  };
}

/**
 * Stop waiting for `pending` when `signal` aborts. Redis clients cannot cancel a command once sent,
 * so its eventual answer is ignored (and a late rejection swallowed).
 */
function abandonOnAbort<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return pending;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Error replies that only say "not now": loading, busy with a script, failing over, resharding. */
const TRANSIENT_REPLIES = new Set(["LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "MOVED", "ASK"]);

/** A Redis error reply starts with an upper-case code (`ERR`, `NOSCRIPT`, `WRONGTYPE`, ...). */
export function replyCodeOf(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : undefined;
  const match = message === undefined ? null : /^([A-Z][A-Z_]+)(?:\s|$)/.exec(message);
  return match?.[1];
}

export function asRedisError(command: string, error: unknown): RedisCommandError {
  if (error instanceof RedisCommandError) return error;
  const replyCode = replyCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  // No reply code: the client failed to deliver the command (disconnected, timed out): worth a retry.
  const retryable = replyCode === undefined || TRANSIENT_REPLIES.has(replyCode);
  return new RedisCommandError(command, replyCode, retryable, message, { cause: error });
}
