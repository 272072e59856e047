import { EndpointReachability } from "../../aws/reachability.ts";
import { describeTransportFailure } from "../../aws/transport-failure.ts";
import { AbortedError, RedisCommandError } from "../../errors.ts";
import { abortReason, type Clock } from "../../internal/clock.ts";

/** node-redis v4 and later: `createClient()` returns a client with `sendCommand(["CMD", ...args])`. */
export interface SendCommandClient {
  /** Send one command as its argument list, e.g. `["EVALSHA", sha, "1", key]`; resolves with the reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** ioredis: `new Redis()` returns a client with `call("CMD", ...args)`. */
export interface CallClient {
  /** Send one command, e.g. `call("EVALSHA", sha, "1", key)`; resolves with the reply, rejects with Redis's error. */
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

/** How long one command may go unanswered, and how many unanswered ones end a checkpointer that never got a reply. */
export interface CallLimits {
  clock: Clock;
  /** A command without any reply (or error) after this long is abandoned as a retryable failure. */
  commandTimeoutMs: number;
  /** Failures without a reply, before the server's first reply ever, that make the next one fatal. */
  maxAttempts: number;
}

/**
 * Normalise a client to one `call(args)`. `call` wins when both exist: ioredis also has a
 * `sendCommand`, but it takes a Command object, not an argument list.
 *
 * With `limits`, a server that has never replied cannot hang the caller: each command is abandoned
 * after `commandTimeoutMs` (node-redis queues commands while it reconnects, forever by default), and
 * once `maxAttempts` commands failed without any reply (refused, closed client, timeout) before the
 * first reply ever, the failure becomes a non-retryable `RedisCommandError` (`neverAnswered`) naming
 * the cause. After a first reply, the same failures are an outage and stay retryable.
 */
export function redisCaller(client: RedisClientLike, limits?: CallLimits): RedisCall {
  const send: (args: string[]) => Promise<unknown> = "call" in client && typeof client.call === "function"
    ? (args) => (client as CallClient).call(args[0]!, ...args.slice(1))
    : (args) => (client as SendCommandClient).sendCommand(args);
  const reachability = new EndpointReachability(limits?.maxAttempts ?? Number.POSITIVE_INFINITY);
  return async (args, signal) => {
    if (signal?.aborted) throw abortReason(signal);
    const command = args[0] ?? "";
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(send([...args]));
    } catch (error) {
      throw giveUpIfNeverAnswered(reachability, asRedisError(command, error));
    }
    try {
      const reply = await settleWithin(pending, command, signal, limits);
      reachability.markAnswered();
      return reply;
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      const failure = asRedisError(command, error);
      // An error reply is a reply: the server is there.
      if (failure.replyCode !== undefined) reachability.markAnswered();
      throw giveUpIfNeverAnswered(reachability, failure);
    }
  };
}

/** A failure without a reply, from a server that never replied: fatal once `maxAttempts` of them happened. */
function giveUpIfNeverAnswered(reachability: EndpointReachability, failure: RedisCommandError): RedisCommandError {
  if (failure.replyCode !== undefined || !reachability.givesUpAfterFailure()) return failure;
  const cause = failure.cause ?? failure;
  const hint =
    `Redis has not replied to any of ${reachability.failuresBeforeAnswer} commands of this checkpointer; check the client's URL, port, TLS and password, and that it is connected`;
  return new RedisCommandError(failure.command, undefined, false, `${describeTransportFailure(cause)} (${hint})`, { cause, neverAnswered: true });
}

/**
 * Wait for `pending` until `signal` aborts or the command timeout passes. Redis clients cannot cancel
 * a command once sent, so its eventual answer is ignored (and a late rejection swallowed).
 */
function settleWithin<T>(pending: Promise<T>, command: string, signal: AbortSignal | undefined, limits: CallLimits | undefined): Promise<T> {
  if (signal === undefined && limits === undefined) return pending;
  return new Promise<T>((resolve, reject) => {
    const timer = new AbortController();
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      timer.abort();
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = (): void => settle(() => reject(abortReason(signal)));
    signal?.addEventListener("abort", onAbort, { once: true });
    if (limits !== undefined) {
      const seconds = limits.commandTimeoutMs / 1000;
      limits.clock.sleep(limits.commandTimeoutMs, timer.signal).then(
        () => settle(() => reject(new RedisCommandError(command, undefined, true, `no reply within ${seconds} s (commandTimeout)`))),
        () => undefined, // settled first
      );
    }
    pending.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
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
