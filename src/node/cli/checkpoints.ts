import {
  type CheckpointChange,
  formatChanges,
  formatCheckpointTable,
  importPythonCheckpoints,
  listCheckpoints,
  migrateCheckpoints,
  parseResetTo,
  type PythonCheckpointSource,
  resetCheckpoints,
} from "../admin.ts";
import { DynamoDBClient, KinesisClient } from "../aws.ts";
import { ConfigError } from "../index.ts";
import type { CliCommand, CommandContext, FlagSpecs } from "./command.ts";
import { Connections, type OpenedStore, storeFromFlags, storeFromLocation, withoutCredentials } from "./checkpoints-stores.ts";
import { ExitCode } from "./exit-codes.ts";

/**
 * `async-kinesis checkpoints list|reset|migrate|import-python`: the library's checkpoint administration
 * (src/admin/) for operators. Each sub-verb prints what it found or changed for people, or JSON with `--json`.
 */

const STORE_FLAGS: FlagSpecs = {
  table: { kind: "string", value: "<table>", description: "the DynamoDB checkpoint table (default kinesis-checkpoints-<group>)" },
  redis: { kind: "string", value: "<url>", description: "the Redis server instead of DynamoDB: redis://[user:password@]host:port[/db] or rediss://" },
  "key-prefix": { kind: "string", value: "<prefix>", description: "Redis key prefix (default async-kinesis)" },
};

const GROUP_FLAGS: FlagSpecs = {
  group: { kind: "string", value: "<name>", description: "the consumer group (the checkpointer's name); required" },
  stream: { kind: "string", value: "<stream>", description: "the stream's name or ARN; required" },
};

const SAFETY_FLAGS: FlagSpecs = {
  force: { kind: "boolean", description: "go ahead although live workers hold leases (they lose them at their next write)" },
  "dry-run": { kind: "boolean", description: "print what would change, write nothing" },
  "session-timeout": { kind: "string", value: "<seconds>", description: "a lease not renewed for this long is abandoned, not live (default 60)" },
  json: { kind: "boolean", description: "print the result as JSON" },
};

function seconds(ctx: CommandContext, name: string): number | undefined {
  const text = ctx.args.string(name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`--${name}`, `--${name} must be a positive number of seconds (got ${JSON.stringify(text)})`);
  return value;
}

/** Run `body` with the verb's connections, closing them however it ends. */
async function withConnections(body: (connections: Connections) => Promise<number>): Promise<number> {
  const connections = new Connections();
  try {
    return await body(connections);
  } finally {
    await connections.closeAll();
  }
}

/** What reset, migrate and import-python return: written (or, dry, to be written) and skipped rows. */
interface ChangeResult {
  changes: readonly CheckpointChange[];
  dryRun: boolean;
  skipped?: ReadonlyArray<{ shardId: string; reason: string }>;
}

/** A write verb's result: one JSON line with `--json`, else the title, the changes and the skipped shards. */
async function writeChanges(ctx: CommandContext, title: string, result: ChangeResult): Promise<void> {
  if (ctx.args.boolean("json")) return ctx.io.stdout.write(`${JSON.stringify(result)}\n`);
  const lines = [`${title}${result.dryRun ? " (dry run: nothing written)" : ""}`, formatChanges(result.changes)];
  for (const skip of result.skipped ?? []) lines.push(`skipped ${skip.shardId}: ${skip.reason}`);
  await ctx.io.stdout.write(`${lines.join("\n")}\n`);
}

async function runList(ctx: CommandContext): Promise<number> {
  ctx.args.atMostPositionals(0);
  const group = ctx.args.required("group");
  const stream = ctx.args.required("stream");
  return withConnections(async (connections) => {
    const { spec } = await storeFromFlags(ctx, connections, group);
    const kinesis = new KinesisClient(ctx.clientOptions("kinesis"));
    const rows = await listCheckpoints({ store: spec, group, stream, kinesis, sessionTimeout: seconds(ctx, "session-timeout"), signal: ctx.io.signal });
    const json = ctx.args.boolean("json") || (!ctx.io.stdout.isTTY && !ctx.args.boolean("pretty"));
    if (json) {
      for (const row of rows) await ctx.io.stdout.write(`${JSON.stringify(row)}\n`);
    } else {
      await ctx.io.stdout.write(`${formatCheckpointTable(rows)}\n`);
    }
    return ExitCode.ok;
  });
}

async function runReset(ctx: CommandContext): Promise<number> {
  ctx.args.atMostPositionals(0);
  const group = ctx.args.required("group");
  const stream = ctx.args.required("stream");
  const to = parseResetTo(ctx.args.required("to"));
  const shards = ctx.args.all("shard");
  return withConnections(async (connections) => {
    const { spec, label } = await storeFromFlags(ctx, connections, group);
    const result = await resetCheckpoints({
      store: spec,
      group,
      stream,
      kinesis: new KinesisClient(ctx.clientOptions("kinesis")),
      to,
      shards: shards.length === 0 ? undefined : shards,
      force: ctx.args.boolean("force"),
      dryRun: ctx.args.boolean("dry-run"),
      sessionTimeout: seconds(ctx, "session-timeout"),
      signal: ctx.io.signal,
    });
    await writeChanges(ctx, `reset group ${group} on ${stream} to ${result.to} in ${label}`, result);
    return ExitCode.ok;
  });
}

async function runMigrate(ctx: CommandContext): Promise<number> {
  ctx.args.atMostPositionals(0);
  const group = ctx.args.required("group");
  const from = ctx.args.required("from");
  const to = ctx.args.required("to");
  return withConnections(async (connections) => {
    const source = await storeFromLocation(ctx, connections, from, "--from");
    const target = await storeFromLocation(ctx, connections, to, "--to");
    const result = await migrateCheckpoints({
      from: source.spec,
      to: target.spec,
      group,
      stream: ctx.args.string("stream"),
      force: ctx.args.boolean("force"),
      dryRun: ctx.args.boolean("dry-run"),
      sessionTimeout: seconds(ctx, "session-timeout"),
      signal: ctx.io.signal,
    });
    await writeChanges(ctx, `migrated group ${group} from ${source.label} to ${target.label}`, result);
    return ExitCode.ok;
  });
}

async function runImportPython(ctx: CommandContext): Promise<number> {
  ctx.args.atMostPositionals(0);
  const name = ctx.args.required("name");
  const stream = ctx.args.required("stream");
  const group = ctx.args.string("group") ?? name;
  const table = ctx.args.string("table");
  const redis = ctx.args.string("redis");
  if ((table === undefined) === (redis === undefined)) {
    throw new ConfigError("--table", "give the Python fleet's store: --table <python table> or --redis <url>");
  }
  return withConnections(async (connections) => {
    let from: PythonCheckpointSource;
    let target: OpenedStore;
    const to = ctx.args.string("to");
    if (redis !== undefined) {
      const client = await connections.redis(redis, "--redis");
      from = { redis: client };
      // By default our rows go to the same Redis server, under this library's key prefix.
      target = to === undefined
        ? { spec: { redis: client, keyPrefix: ctx.args.string("key-prefix") }, label: withoutCredentials(redis) }
        : await storeFromLocation(ctx, connections, to, "--to");
    } else {
      from = { dynamodb: new DynamoDBClient(ctx.clientOptions("dynamodb")), tableName: table };
      // By default our rows go to kinesis-checkpoints-<group>: the Python default table for the same name
      // holds both without collision (our keys are <group>#<stream>#<shard>, Python's the bare shard id).
      target = await storeFromLocation(ctx, connections, to ?? `dynamodb:kinesis-checkpoints-${group}`, "--to");
    }
    const result = await importPythonCheckpoints({
      from,
      name,
      stream,
      kinesis: new KinesisClient(ctx.clientOptions("kinesis")),
      to: target.spec,
      group,
      force: ctx.args.boolean("force"),
      dryRun: ctx.args.boolean("dry-run"),
      sessionTimeout: seconds(ctx, "session-timeout"),
      signal: ctx.io.signal,
    });
    await writeChanges(ctx, `imported Python checkpoints of ${name} into group ${group} on ${stream} in ${target.label}`, result);
    return ExitCode.ok;
  });
}

const listCommand: CliCommand = {
  name: "list",
  summary: "a group's shards: owner, sequence, lag, last update, finished",
  usage: "--group <name> --stream <stream> [--table <t> | --redis <url>] [options]",
  description: "One line per shard of the stream, rows or not. LAG is the age of the oldest record after the committed position (one " +
    "GetRecords of one record per shard), or Kinesis's MillisBehindLatest when that read returns nothing; unknown for a shard without a " +
    "position. OWNER says (expired) when the lease was not renewed within --session-timeout. A table on a terminal, JSON lines when piped.",
  flags: {
    ...GROUP_FLAGS,
    ...STORE_FLAGS,
    "session-timeout": SAFETY_FLAGS["session-timeout"]!,
    json: { kind: "boolean", description: "JSON lines, one row per shard (the default when stdout is not a terminal)" },
    pretty: { kind: "boolean", description: "the table even when stdout is not a terminal" },
  },
  examples: [
    "async-kinesis checkpoints list --group billing --stream orders",
    "async-kinesis checkpoints list --group billing --stream orders --redis redis://localhost:6379",
  ],
  run: runList,
};

const resetCommand: CliCommand = {
  name: "reset",
  summary: "move a group's positions: trim-horizon, latest, a time, or after a sequence number",
  usage: "--group <name> --stream <stream> --to <where> [--shard <id>]... [--table <t> | --redis <url>] [options]",
  description: "Rewrites the group's rows so the next consumer starts where asked: trim-horizon (the oldest record kept, on every shard), " +
    "latest (records arriving from now on; closed shards marked finished), an ISO 8601 time (AT_TIMESTAMP), or a sequence number (after it; " +
    "needs exactly one --shard). Refuses while live workers hold leases unless --force; every write is conditional on the row it read, so a " +
    "worker writing at the same time makes it fail rather than be overwritten. Stop the group first.",
  flags: {
    ...GROUP_FLAGS,
    to: { kind: "string", value: "trim-horizon|latest|<ISO time>|<sequence>", description: "where the group resumes; required" },
    shard: { kind: "string", value: "<id>", description: "only this shard (repeat for several; default every shard)", multiple: true },
    ...STORE_FLAGS,
    ...SAFETY_FLAGS,
  },
  examples: [
    "async-kinesis checkpoints reset --group billing --stream orders --to 2026-11-30T09:00:00Z --dry-run",
    "async-kinesis checkpoints reset --group billing --stream orders --to latest --redis redis://localhost:6379",
  ],
  run: runReset,
};

const migrateCommand: CliCommand = {
  name: "migrate",
  summary: "copy a group's positions between Redis and DynamoDB (either way)",
  usage: "--from <store> --to <store> --group <name> [--stream <stream>] [options]",
  description: "Copies each row's position, SHARD_END marker and stream incarnation, owner-free, so consumers started on the target resume " +
    "where the source's stopped. A store is redis://host:port (or rediss://) or dynamodb:<table> (created if missing). Target rows already " +
    "at or past the source are skipped. Refuses while live workers hold leases on either side unless --force.",
  flags: {
    from: { kind: "string", value: "<store>", description: "redis://… or dynamodb:<table>; required" },
    to: { kind: "string", value: "<store>", description: "redis://… or dynamodb:<table>; required" },
    group: GROUP_FLAGS["group"]!,
    stream: { kind: "string", value: "<stream>", description: "only this stream (default every stream of the group)" },
    "key-prefix": STORE_FLAGS["key-prefix"]!,
    ...SAFETY_FLAGS,
  },
  examples: ["async-kinesis checkpoints migrate --from redis://localhost:6379 --to dynamodb:kinesis-checkpoints-billing --group billing"],
  run: runMigrate,
};

const importPythonCommand: CliCommand = {
  name: "import-python",
  summary: "take over the positions a Python async-kinesis fleet wrote (its DynamoDB table or Redis keys)",
  usage: "(--table <python table> | --redis <url>) --name <app> --stream <stream> [--to <store>] [options]",
  description: "Reads the Python checkpointer's rows (DynamoDB: keyed by shard id with ref, ts, sequence; Redis: pyredis-<name>-<shard> JSON) " +
    "and writes them as this library's rows for --group (default --name), so the TypeScript consumer resumes after the last record the " +
    "Python fleet committed. By default into dynamodb:kinesis-checkpoints-<group>, or the same Redis server. Refuses while Python workers " +
    "hold leases unless --force.",
  flags: {
    table: { kind: "string", value: "<table>", description: "the Python fleet's DynamoDB table (its default is kinesis-checkpoints-<name>)" },
    redis: { kind: "string", value: "<url>", description: "the Python fleet's Redis server (and database: redis://host:port/<db>)" },
    name: { kind: "string", value: "<app>", description: "the Python checkpointer's name; required" },
    stream: GROUP_FLAGS["stream"]!,
    group: { kind: "string", value: "<name>", description: "the group for our rows (default --name)" },
    to: { kind: "string", value: "<store>", description: "where our rows go: redis://… or dynamodb:<table>" },
    "key-prefix": STORE_FLAGS["key-prefix"]!,
    ...SAFETY_FLAGS,
  },
  examples: ["async-kinesis checkpoints import-python --table kinesis-checkpoints-billing --name billing --stream orders --dry-run"],
  run: runImportPython,
};

export const checkpointsCommand: CliCommand = {
  name: "checkpoints",
  summary: "see and move a consumer group's positions; migrate Redis ↔ DynamoDB; import from Python",
  usage: "list|reset|migrate|import-python [options]",
  description: "Checkpoint administration (the library's async-kinesis/admin). Stop the group before reset, migrate or import.",
  subcommands: [listCommand, resetCommand, migrateCommand, importPythonCommand],
};
