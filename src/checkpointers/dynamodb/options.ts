import * as v from "valibot";
import { clientOptionEntries, pickClientOptions, type ClientOptions } from "../../aws/client-options.ts";
import { parseOptions, seconds } from "../../config/validate.ts";
import { ConfigError } from "../../errors.ts";
import { systemClock, type Clock } from "../../internal/clock.ts";

/** Options of `DynamoDBCheckPointer`: the DynamoDB Checkpointing Guide's, camelCased, same units and defaults. */
export interface DynamoDBCheckPointerOptions extends ClientOptions {
  /** Consumer group name (required): names the table, prefixes every row key and owner ref. */
  name: string;
  /** Table to use; default `kinesis-checkpoints-{name}`. Several groups may share one. */
  tableName?: string | undefined;
  /** Seconds without a renewal after which another worker may take a lease over (default 60). */
  sessionTimeout?: number | undefined;
  /** Seconds between lease renewals (default 15); must be less than `sessionTimeout`. */
  heartbeatFrequency?: number | undefined;
  /** Write checkpoints on their own (default true); false buffers them until `manualCheckpoint()`. */
  autoCheckpoint?: boolean | undefined;
  /**
   * With `autoCheckpoint`, the longest a checkpoint waits before it is written, in seconds (default 5).
   * Checkpoints arriving meanwhile are coalesced into one write of the latest sequence.
   */
  checkpointInterval?: number | undefined;
  /** Create the table (and enable TTL on `ttl`) if it does not exist (default true). */
  createTable?: boolean | undefined;
  /** Hours a row lives after its last write (DynamoDB TTL on `ttl`, default 24). */
  ttlHours?: number | undefined;
  /**
   * A readable label for this process (e.g. the host name), put in front of the random part of each
   * worker id: refs look like `<name>/<id>.<random>`. The random part is always there, because two
   * workers sharing one ref would both believe they own the same lease.
   */
  id?: string | undefined;
}

/** Defaults straight from the guide. */
export const DEFAULTS = {
  sessionTimeout: 60,
  heartbeatFrequency: 15,
  autoCheckpoint: true,
  checkpointInterval: 5,
  createTable: true,
  ttlHours: 24,
} as const;

/** Table names as DynamoDB accepts them. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** A group name forms the default table name and the `<name>/<worker>` ref: no `/` or `#`. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

const positiveSeconds = (label: string) => v.pipe(seconds(label), v.minValue(0.001, `${label} must be > 0`));

const schema = v.object({
  ...clientOptionEntries,
  name: v.pipe(
    v.string("name is required and must be a string"),
    v.regex(GROUP_NAME, "name must be 1-200 characters of A-Z a-z 0-9 _ . - (it forms the table name and row keys)"),
  ),
  tableName: v.optional(v.pipe(v.string("tableName must be a string"), v.regex(TABLE_NAME, "tableName must be 3-255 characters of A-Z a-z 0-9 _ . -"))),
  sessionTimeout: v.optional(positiveSeconds("sessionTimeout")),
  heartbeatFrequency: v.optional(positiveSeconds("heartbeatFrequency")),
  autoCheckpoint: v.optional(v.boolean("autoCheckpoint must be a boolean")),
  checkpointInterval: v.optional(positiveSeconds("checkpointInterval")),
  createTable: v.optional(v.boolean("createTable must be a boolean")),
  ttlHours: v.optional(v.pipe(v.number("ttlHours must be a number of hours"), v.finite("ttlHours must be finite"), v.minValue(0.01, "ttlHours must be > 0"))),
  id: v.optional(v.pipe(v.string("id must be a string"), v.regex(/^[A-Za-z0-9_.:-]{1,100}$/, "id must be 1-100 characters of A-Z a-z 0-9 _ . : -"))),
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
  ttlSeconds: number;
  id: string | undefined;
  clock: Clock;
  client: ClientOptions;
}

export function resolveOptions(options: DynamoDBCheckPointerOptions): ResolvedOptions {
  const parsed = parseOptions(schema, options, "DynamoDBCheckPointer");
  const sessionTimeout = parsed.sessionTimeout ?? DEFAULTS.sessionTimeout;
  const heartbeatFrequency = parsed.heartbeatFrequency ?? DEFAULTS.heartbeatFrequency;
  if (heartbeatFrequency >= sessionTimeout) {
    // A lease must be renewed several times within its timeout, or one slow write loses it.
    throw new ConfigError(
      "heartbeatFrequency",
      `heartbeatFrequency (${heartbeatFrequency} s) must be less than sessionTimeout (${sessionTimeout} s)`,
    );
  }
  const ttlHours = parsed.ttlHours ?? DEFAULTS.ttlHours;
  if (ttlHours * 3600 <= sessionTimeout) {
    throw new ConfigError("ttlHours", `ttlHours (${ttlHours} h) must be longer than sessionTimeout (${sessionTimeout} s)`);
  }
  const client = pickClientOptions(options);
  return {
    name: parsed.name,
    tableName: parsed.tableName ?? `kinesis-checkpoints-${parsed.name}`,
    sessionTimeoutMs: sessionTimeout * 1000,
    heartbeatMs: heartbeatFrequency * 1000,
    checkpointIntervalMs: (parsed.checkpointInterval ?? DEFAULTS.checkpointInterval) * 1000,
    autoCheckpoint: parsed.autoCheckpoint ?? DEFAULTS.autoCheckpoint,
    createTable: parsed.createTable ?? DEFAULTS.createTable,
    ttlSeconds: Math.round(ttlHours * 3600),
    id: parsed.id,
    clock: options.clock ?? systemClock,
    client,
  };
}
