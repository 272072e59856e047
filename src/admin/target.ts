import type { RedisClientLike } from "../checkpointers/redis/client.ts";
import { streamNameOf } from "../checkpointers/lease/lease-row.ts";
import type { DynamoDBClient } from "../dynamodb/client.ts";
import { ConfigError } from "../errors.ts";
import type { Clock } from "../internal/clock.ts";
import { DynamoDBAdminStore } from "./dynamodb-store.ts";
import { RedisAdminStore } from "./redis-store.ts";
import type { AdminStore } from "./store.ts";

/**
 * Where a group's checkpoints live, for the administration functions:
 * - a `DynamoDBCheckPointer` or `RedisCheckPointer` (its table or client and key prefix; its name is the group),
 * - `{ dynamodb: DynamoDBClient, tableName }`: a checkpoint table,
 * - `{ redis: <node-redis or ioredis client>, keyPrefix? }`: a Redis server (prefix default `async-kinesis`).
 */
export type CheckpointStoreSpec =
  | { readonly dynamodb: DynamoDBClient; readonly tableName: string }
  | { readonly redis: RedisClientLike; readonly keyPrefix?: string | undefined }
  | DynamoDBCheckPointerLike
  | RedisCheckPointerLike;

/** The public face of a `DynamoDBCheckPointer` this module needs (structural, so either build's class fits). */
export interface DynamoDBCheckPointerLike {
  /** The group name. */
  readonly name: string;
  /** The checkpoint table. */
  readonly tableName: string;
  /** The DynamoDB client. */
  readonly client: DynamoDBClient;
}

/** The public face of a `RedisCheckPointer` this module needs. */
export interface RedisCheckPointerLike {
  /** The group name. */
  readonly name: string;
  /** First part of every key. */
  readonly keyPrefix: string;
  /** The Redis client. */
  readonly client: RedisClientLike;
}

/** A store and the group whose rows the call is about. */
export interface ResolvedTarget {
  store: AdminStore;
  group: string;
}

const GROUP_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

/** The store behind `spec`, and the group: `group` if given, else the checkpointer's name. */
export function resolveTarget(spec: CheckpointStoreSpec, group: string | undefined, option: string, clock?: Clock): ResolvedTarget {
  if (typeof spec !== "object" || spec === null) {
    throw new ConfigError(option, `${option} must be a checkpointer, { dynamodb, tableName } or { redis, keyPrefix? }`);
  }
  let store: AdminStore;
  let named: string | undefined;
  if ("tableName" in spec && "client" in spec && "name" in spec) {
    store = new DynamoDBAdminStore(spec.client, spec.tableName);
    named = spec.name;
  } else if ("keyPrefix" in spec && "client" in spec && "name" in spec) {
    store = new RedisAdminStore(spec.client, spec.keyPrefix, clock);
    named = spec.name;
  } else if ("dynamodb" in spec) {
    if (typeof spec.tableName !== "string" || spec.tableName === "") throw new ConfigError(option, `${option}.tableName is required with ${option}.dynamodb`);
    store = new DynamoDBAdminStore(spec.dynamodb, spec.tableName);
  } else if ("redis" in spec) {
    store = new RedisAdminStore(spec.redis, spec.keyPrefix ?? "async-kinesis", clock);
  } else {
    throw new ConfigError(option, `${option} must be a checkpointer, { dynamodb, tableName } or { redis, keyPrefix? }`);
  }
  const chosen = group ?? named;
  if (chosen === undefined) throw new ConfigError("group", "group is required (the consumer group name, the checkpointer's `name`)");
  if (!GROUP_NAME.test(chosen)) throw new ConfigError("group", `group must be 1-200 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(chosen)})`);
  return { store, group: chosen };
}

/** A stream name (an ARN counts as its name), required. */
export function streamOption(stream: unknown, option = "stream"): string {
  if (typeof stream !== "string" || stream === "") throw new ConfigError(option, `${option} is required: the stream's name or ARN`);
  return streamNameOf(stream);
}

/** Hours given as an option (`ttlHours`), positive, in milliseconds. */
export function hoursOption(value: number | undefined, option: string, fallbackHours: number): number {
  if (value === undefined) return fallbackHours * 3_600_000;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new ConfigError(option, `${option} must be a positive number of hours`);
  return value * 3_600_000;
}

/** Seconds given as an option, positive, in milliseconds. */
export function secondsOption(value: number | undefined, option: string, fallbackSeconds: number): number {
  if (value === undefined) return fallbackSeconds * 1000;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new ConfigError(option, `${option} must be a positive number of seconds`);
  return value * 1000;
}
