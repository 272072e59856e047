import * as v from "valibot";
import { parseOptions, seconds } from "../../config/validate.ts";
import { ConfigError } from "../../errors.ts";
import { systemClock, type Clock } from "../../internal/clock.ts";
import { isRedisClientLike, type RedisClientLike } from "./client.ts";

/** Options of `RedisCheckPointer`: the Python library's, camelCased, plus the DynamoDB one's lease settings. */
export interface RedisCheckPointerOptions {
  /** Consumer group name (required): part of every key and of every owner ref. */
  name: string;
  /**
   * A connected Redis client: node-redis (`createClient()`, anything with `sendCommand(args)`) or
   * ioredis (`new Redis()`, anything with `call(command, ...args)`). The checkpointer never closes it.
   */
  client: RedisClientLike;
  /** Seconds without a renewal after which another worker may take a lease over (default 60). */
  sessionTimeout?: number | undefined;
  /** Seconds between lease renewals (default 15); must be less than `sessionTimeout`. */
  heartbeatFrequency?: number | undefined;
  /** Write checkpoints on their own (default true); false buffers them until `manualCheckpoint()`. */
  autoCheckpoint?: boolean | undefined;
  /** With `autoCheckpoint`, the longest a checkpoint waits before it is written, in seconds (default 5). */
  checkpointInterval?: number | undefined;
  /** First part of every key (default `async-kinesis`), e.g. to keep environments apart on one server. */
  keyPrefix?: string | undefined;
  /** Hours a key lives after its last write (Redis key TTL, default 24). */
  ttlHours?: number | undefined;
  /** A readable label put in front of the random part of each worker id: refs look like `<name>/<id>.<random>`. */
  id?: string | undefined;
  /** Time source for lease timing (tests; runtimes whose `Date.now()` stands still). */
  clock?: Clock | undefined;
}

export const DEFAULTS = {
  sessionTimeout: 60,
  heartbeatFrequency: 15,
  autoCheckpoint: true,
  checkpointInterval: 5,
  keyPrefix: "async-kinesis",
  ttlHours: 24,
} as const;

/** A group name forms keys (it is their hash tag) and the `<name>/<worker>` ref: no braces, colons or slashes. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

const positiveSeconds = (label: string) => v.pipe(seconds(label), v.minValue(0.001, `${label} must be > 0`));

const schema = v.object({
  name: v.pipe(v.string("name is required and must be a string"), v.regex(GROUP_NAME, "name must be 1-200 characters of A-Z a-z 0-9 _ . -")),
  client: v.custom<RedisClientLike>(
    isRedisClientLike,
    "client is required: a Redis client with sendCommand(args) (node-redis) or call(command, ...args) (ioredis)",
  ),
  sessionTimeout: v.optional(positiveSeconds("sessionTimeout")),
  heartbeatFrequency: v.optional(positiveSeconds("heartbeatFrequency")),
  autoCheckpoint: v.optional(v.boolean("autoCheckpoint must be a boolean")),
  checkpointInterval: v.optional(positiveSeconds("checkpointInterval")),
  keyPrefix: v.optional(
    v.pipe(
      v.string("keyPrefix must be a string"),
      v.maxLength(200, "keyPrefix must be at most 200 characters"),
      v.regex(/^[^{}\s]+$/, "keyPrefix must be non-empty, without braces or whitespace (the group is the key's hash tag)"),
    ),
  ),
  ttlHours: v.optional(v.pipe(v.number("ttlHours must be a number of hours"), v.finite("ttlHours must be finite"), v.minValue(0.01, "ttlHours must be > 0"))),
  id: v.optional(v.pipe(v.string("id must be a string"), v.regex(/^[A-Za-z0-9_.:-]{1,100}$/, "id must be 1-100 characters of A-Z a-z 0-9 _ . : -"))),
  clock: v.optional(
    v.custom<Clock>(
      (value) => typeof value === "object" && value !== null && typeof (value as Clock).now === "function" && typeof (value as Clock).sleep === "function",
      "clock must have now() and sleep()",
    ),
  ),
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
  clock: Clock;
}

export function resolveOptions(options: RedisCheckPointerOptions): ResolvedOptions {
  const parsed = parseOptions(schema, options, "RedisCheckPointer");
  const sessionTimeout = parsed.sessionTimeout ?? DEFAULTS.sessionTimeout;
  const heartbeatFrequency = parsed.heartbeatFrequency ?? DEFAULTS.heartbeatFrequency;
  if (heartbeatFrequency >= sessionTimeout) {
    throw new ConfigError("heartbeatFrequency", `heartbeatFrequency (${heartbeatFrequency} s) must be less than sessionTimeout (${sessionTimeout} s)`);
  }
  const ttlHours = parsed.ttlHours ?? DEFAULTS.ttlHours;
  if (ttlHours * 3600 <= sessionTimeout) {
    throw new ConfigError("ttlHours", `ttlHours (${ttlHours} h) must be longer than sessionTimeout (${sessionTimeout} s)`);
  }
  const keyPrefix = parsed.keyPrefix ?? DEFAULTS.keyPrefix;
  return {
    name: parsed.name,
    client: parsed.client,
    sessionTimeoutMs: sessionTimeout * 1000,
    heartbeatMs: heartbeatFrequency * 1000,
    checkpointIntervalMs: (parsed.checkpointInterval ?? DEFAULTS.checkpointInterval) * 1000,
    autoCheckpoint: parsed.autoCheckpoint ?? DEFAULTS.autoCheckpoint,
    keyPrefix,
    ttlMs: Math.round(ttlHours * 3_600_000),
    id: parsed.id,
    clock: parsed.clock ?? systemClock,
  };
}
