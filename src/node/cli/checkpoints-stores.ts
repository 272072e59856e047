import type { CheckpointStoreSpec } from "../admin.ts";
import { DynamoDBClient } from "../aws.ts";
import { ConfigError } from "../index.ts";
import type { CommandContext } from "./command.ts";
import { type CliRedis, connectRedisUrl } from "./checkpoints-redis.ts";

/** A store named on the command line, and the connections to close when the verb is done. */
export interface OpenedStore {
  spec: CheckpointStoreSpec;
  /** For messages: `dynamodb:<table>` or the Redis URL without credentials. */
  label: string;
}

/** Connections a verb opened (Redis), closed together when it ends. */
export class Connections {
  readonly #redis: CliRedis[] = [];

  async redis(url: string, flag: string): Promise<CliRedis> {
    const connection = await connectRedisUrl(url, flag);
    this.#redis.push(connection);
    return connection;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.#redis.map((r) => r.close()));
  }
}

/** `redis://…` or `rediss://…` (a Redis server), or `dynamodb:<table>` (a checkpoint table): the value of `--from` / `--to`. */
export async function storeFromLocation(ctx: CommandContext, connections: Connections, location: string, flag: string): Promise<OpenedStore> {
  if (location.startsWith("dynamodb:")) {
    const table = location.slice("dynamodb:".length);
    if (table === "") throw new ConfigError(flag, `${flag} dynamodb:<table> needs the table name`);
    return { spec: { dynamodb: new DynamoDBClient(ctx.clientOptions("dynamodb")), tableName: table }, label: location };
  }
  if (location.startsWith("redis://") || location.startsWith("rediss://")) {
    const prefix = ctx.args.string("key-prefix");
    return { spec: { redis: await connections.redis(location, flag), keyPrefix: prefix }, label: withoutCredentials(location) };
  }
  throw new ConfigError(flag, `${flag} must be redis://host:port, rediss://host:port or dynamodb:<table>`);
}

/** The group's store from `--table <t>` or `--redis <url>` (one of them; `--table` defaults to `kinesis-checkpoints-<group>`). */
export async function storeFromFlags(ctx: CommandContext, connections: Connections, group: string): Promise<OpenedStore> {
  const table = ctx.args.string("table");
  const redis = ctx.args.string("redis");
  if (table !== undefined && redis !== undefined) throw new ConfigError("--redis", "give --table or --redis, not both");
  if (redis !== undefined) return storeFromLocation(ctx, connections, redis, "--redis");
  return storeFromLocation(ctx, connections, `dynamodb:${table ?? `kinesis-checkpoints-${group}`}`, "--table");
}

/** A URL as it may be printed: user and password removed. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}
