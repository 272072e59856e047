import * as v from "valibot";
import { clockOption, parseOptions, positiveInteger, seconds } from "../../config/validate.ts";
import { type Clock, systemClock } from "../../internal/clock.ts";
import { LEASE_DEFAULTS, leaseOptionEntries, type LeaseOptions, resolveLeaseOptions } from "../lease/lease-options.ts";
import { isRedisClientLike, type RedisClientLike } from "./client.ts";

/** Options of `RedisCheckPointer`: the Python library's, camelCased, with the lease settings of lease/lease-options.ts. */
export interface RedisCheckPointerOptions extends LeaseOptions {
  /**
   * A connected Redis client: node-redis (`createClient()`, anything with `sendCommand(args)`) or
   * ioredis (`new Redis()`, anything with `call(command, ...args)`). The checkpointer never closes it.
   */
  client: RedisClientLike;
  /** First part of every key (default `async-kinesis`), e.g. to keep environments apart on one server. */
  keyPrefix?: string | undefined;
  /** Time source for lease timing (tests; runtimes whose `Date.now()` stands still). */
  clock?: Clock | undefined;
  /**
   * Seconds one command may go without any reply before it is abandoned and counts as failed
   * (default 5). node-redis queues commands while it reconnects, so without this a server that is
   * down would hang the consumer.
   */
  commandTimeout?: number | undefined;
  /**
   * Commands that may fail without any reply (refused, client closed, `commandTimeout`) while Redis
   * has never replied to this checkpointer, before it gives up with a non-retryable
   * `RedisCommandError` (`neverAnswered`) naming the cause (default 5). Once Redis has replied, such
   * failures are an outage and are retried.
   */
  maxAttempts?: number | undefined;
}

export const DEFAULTS = { ...LEASE_DEFAULTS, keyPrefix: "async-kinesis", commandTimeout: 5, maxAttempts: 5 } as const;

/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const schema = v.object({
  ...leaseOptionEntries("it is part of every key and their hash tag"),
  client: v.custom<RedisClientLike>(
    isRedisClientLike,
    "client is required: a Redis client with sendCommand(args) (node-redis) or call(command, ...args) (ioredis)",
  ),
  keyPrefix: v.optional(
    v.pipe(
      v.string("keyPrefix must be a string"),
      v.maxLength(200, "keyPrefix must be at most 200 characters"),
      v.regex(/^[^{}\s]+$/, "keyPrefix must be non-empty, without braces or whitespace (the group is the key's hash tag)"),
    ),
  ),
  commandTimeout: v.optional(v.pipe(seconds("commandTimeout"), v.minValue(0.001, "commandTimeout must be > 0"))),
  maxAttempts: v.optional(positiveInteger("maxAttempts")),
  clock: v.optional(clockOption),
});

export interface ResolvedOptions {
  name: string;
  client: RedisClientLike;
  sessionTimeoutMs: number;
  heartbeatMs: number;
  checkpointIntervalMs: number;
  autoCheckpoint: boolean;
  keyPrefix: string;
  ttlMs: number;
  id: string | undefined;
  workerId?: string | undefined;
  clock: Clock;
  commandTimeoutMs: number;
  maxAttempts: number;
}

export function resolveOptions(options: RedisCheckPointerOptions): ResolvedOptions {
  const parsed = parseOptions(schema, options, "RedisCheckPointer");
  const { ttlHours, ...lease } = resolveLeaseOptions(parsed);
  return {
    ...lease,
    client: parsed.client,
    keyPrefix: parsed.keyPrefix ?? DEFAULTS.keyPrefix,
    ttlMs: Math.round(ttlHours * 3_600_000),
    clock: parsed.clock ?? systemClock,
    commandTimeoutMs: (parsed.commandTimeout ?? DEFAULTS.commandTimeout) * 1000,
    maxAttempts: parsed.maxAttempts ?? DEFAULTS.maxAttempts,
  };
}
