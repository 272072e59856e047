import * as v from "valibot";
import { clientOptionEntries, type ClientOptions, pickClientOptions } from "../../aws/client-options.ts";
import { parseOptions } from "../../config/validate.ts";
import { type Clock, systemClock } from "../../internal/clock.ts";
import { LEASE_DEFAULTS, leaseOptionEntries, type LeaseOptions, resolveLeaseOptions } from "../lease/lease-options.ts";
import type { DynamoDBCheckPointerEvent } from "./group-listing.ts";
import { checkTags, tableOptionEntries } from "./table-options.ts";

/**
 * Options of `DynamoDBCheckPointer`: the DynamoDB Checkpointing Guide's, camelCased, same units and
 * defaults (the lease settings are shared with RedisCheckPointer, see lease/lease-options.ts).
 */
export interface DynamoDBCheckPointerOptions extends ClientOptions, LeaseOptions {
  /** Table to use; default `kinesis-checkpoints-{name}`. Several groups may share one. */
  tableName?: string | undefined;
  /** Create the table (and enable TTL on `ttl`) if it does not exist (default true). */
  createTable?: boolean | undefined;
  /**
   * Tags for a table this checkpointer creates (say `{ app: "billing", env: "prod" }`, for cost
   * allocation). At most 50; keys 1-128 and values 0-256 characters of letters, digits, spaces and
   * `+ - = . _ : / @`; no `aws:` prefix. An existing table is left as it is.
   */
  tags?: Record<string, string> | undefined;
  /** Turn on point-in-time recovery on a table this checkpointer creates (default false). An existing table is left as it is. */
  pointInTimeRecovery?: boolean | undefined;
  /**
   * Read a group's rows with one Query of the table's `group-index` (default true) instead of a Scan
   * of the whole table. A table this checkpointer creates has the index; an existing one without it
   * gets it added (UpdateTable) when `createTable` is true, and is read by Scan until it is ACTIVE.
   * With `createTable: false` and no index, rows are read by Scan and `onEvent` hears it once.
   * False: never add nor use the index (Scan, as before).
   */
  groupIndex?: boolean | undefined;
  /**
   * Hears what the checkpointer wants you to know about its table (once each): today only
   * `groupIndexMissing`. Default: `console.warn` of its message.
   */
  onEvent?: ((event: DynamoDBCheckPointerEvent) => void) | undefined;
}

/** Defaults straight from the guide. */
export const DEFAULTS = { ...LEASE_DEFAULTS, createTable: true } as const;

/** Table names as DynamoDB accepts them. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const schema = v.object({
  ...clientOptionEntries,
  ...leaseOptionEntries("it forms the table name and row keys"),
  tableName: v.optional(v.pipe(v.string("tableName must be a string"), v.regex(TABLE_NAME, "tableName must be 3-255 characters of A-Z a-z 0-9 _ . -"))),
  createTable: v.optional(v.boolean("createTable must be a boolean")),
  groupIndex: v.optional(v.boolean("groupIndex must be a boolean")),
  onEvent: v.optional(v.custom<(event: DynamoDBCheckPointerEvent) => void>((value) => typeof value === "function", "onEvent must be a function")),
  ...tableOptionEntries,
});

/** Everything resolved: durations in milliseconds, the client options split off. */
export interface ResolvedOptions {
  name: string;
  tableName: string;
  sessionTimeoutMs: number;
  heartbeatMs: number;
  checkpointIntervalMs: number;
  autoCheckpoint: boolean;
  createTable: boolean;
  /** Tags and point-in-time recovery for a table this checkpointer creates. */
  tags: Readonly<Record<string, string>>;
  pointInTimeRecovery: boolean;
  groupIndex: boolean;
  onEvent: (event: DynamoDBCheckPointerEvent) => void;
  ttlSeconds: number;
  id: string | undefined;
  workerId?: string | undefined;
  clock: Clock;
  client: ClientOptions;
}

export function resolveOptions(options: DynamoDBCheckPointerOptions): ResolvedOptions {
  const parsed = parseOptions(schema, options, "DynamoDBCheckPointer");
  const { ttlHours, ...lease } = resolveLeaseOptions(parsed);
  const tags = parsed.tags ?? {};
  checkTags(tags);
  return {
    ...lease,
    tableName: parsed.tableName ?? `kinesis-checkpoints-${parsed.name}`,
    createTable: parsed.createTable ?? DEFAULTS.createTable,
    tags,
    pointInTimeRecovery: parsed.pointInTimeRecovery ?? false,
    groupIndex: parsed.groupIndex ?? true,
    // A library should not stay silent about a whole-table Scan on every allocation, nor crash on it.
    onEvent: parsed.onEvent ?? ((event) => console.warn(`DynamoDBCheckPointer: ${event.message}`)),
    ttlSeconds: Math.round(ttlHours * 3600),
    clock: options.clock ?? systemClock,
    client: pickClientOptions(options),
  };
}
