import type { AdminCopyOptions } from "./options.ts";
import { redisCaller, type RedisClientLike } from "../checkpointers/redis/client.ts";
import type { DynamoDBClient } from "../dynamodb/client.ts";
import type { AttributeValue } from "../dynamodb/marshal.ts";
import { AwsServiceError, CheckpointTableMissingError, ConfigError, LiveLeasesError, ProtocolError } from "../errors.ts";
import { type Clock, systemClock } from "../internal/clock.ts";
import { compareSequence } from "../internal/sequence.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { Shard } from "../kinesis/types.ts";
import { applyWrites, type CheckpointChange, type PlannedWrite, positionOfRow } from "./apply.ts";
import { type Position, samePosition } from "./position.ts";
import { nextCounter, readForDecision } from "./store.ts";
import { type CheckpointStoreSpec, hoursOption, resolveTarget, secondsOption, streamOption } from "./target.ts";

/**
 * Where a Python async-kinesis fleet kept its checkpoints. Its formats (kinesis/dynamodb.py and
 * kinesis/checkpointers.py of the Python library):
 * - DynamoDBCheckPointer: table `kinesis-checkpoints-{name}` keyed by `shard_id` (S) = the bare shard id,
 *   with `ref` (`{name}/{id}` or NULL when released), `ts` (epoch seconds or NULL), `sequence` (S or NULL)
 *   and `ttl`. One table per name, no stream in the key.
 * - RedisCheckPointer: one string key per shard, `pyredis-{name}-{shard id}`, holding JSON
 *   `{"ref": …, "ts": …, "sequence": …}` (ref and ts null when released).
 * Its `sequence` is the last record handed to the application and done, as ours: the shard resumes after it.
 */
export type PythonCheckpointSource =
  | { readonly dynamodb: DynamoDBClient; readonly tableName?: string | undefined }
  | { readonly redis: RedisClientLike };

/** Options of `importPythonCheckpoints`. */
export interface ImportPythonCheckpointsOptions extends AdminCopyOptions {
  /** The Python fleet's store: `{ dynamodb, tableName? }` (default `kinesis-checkpoints-{name}`) or `{ redis }` (the server and database it used). */
  from: PythonCheckpointSource;
  /** The Python checkpointer's `name`. */
  name: string;
  /** The stream the Python fleet consumed (its rows do not say). */
  stream: string;
  /** A Kinesis client: the stream's shards (which keys to read, which shards are closed) and incarnation. */
  kinesis: KinesisClient;
  /** Where this library's consumers will keep the group's checkpoints. */
  to: CheckpointStoreSpec;
  /** The group name for our rows (default: `name`, or the `to` checkpointer's name). */
  group?: string | undefined;
  /** Import although Python workers still hold leases (their progress after the import is lost to the new fleet). */
  force?: boolean | undefined;
  /** Seconds after its `ts` that a Python lease counts as abandoned (default 60, the Python default). */
  sessionTimeout?: number | undefined;
  /** Hours the rows live after this write (default 24). */
  ttlHours?: number | undefined;
}

/** What `importPythonCheckpoints` did (or would do). */
export interface ImportPythonCheckpointsResult {
  /** The consumer group the rows were written for. */
  group: string;
  /** The stream (its name). */
  stream: string;
  /** Nothing was written. */
  dryRun: boolean;
  /** Rows written (or that would be). */
  changes: CheckpointChange[];
  /** Shards not imported, and why. */
  skipped: Array<{ shardId: string; reason: "no-position" | "same" | "target-ahead" }>;
}

/** One Python row: the owner (if held) and its last `ts`, and the checkpoint. */
interface PythonRow {
  shardId: string;
  ref: string | undefined;
  ts: number | undefined;
  sequence: string | undefined;
}

/**
 * Read the positions a Python async-kinesis fleet wrote and write them as this library's rows, so a
 * consumer moved from Python to TypeScript resumes after the last record the Python fleet committed.
 * A closed shard the Python fleet left no position for, whose child it already read, is marked
 * finished (so it is not replayed before the child). Refuses while Python workers hold leases (`ref`
 * and a `ts` within `sessionTimeout`, the Python library's own rule), unless `force`.
 */
export async function importPythonCheckpoints(options: ImportPythonCheckpointsOptions): Promise<ImportPythonCheckpointsResult> {
  const clock = options.clock ?? systemClock;
  if (typeof options.name !== "string" || options.name === "") throw new ConfigError("name", "name is required: the Python checkpointer's name");
  const { store, group } = resolveTarget(options.to, options.group ?? ("name" in options.to ? undefined : options.name), "to", clock);
  const stream = streamOption(options.stream);
  const sessionTimeoutMs = secondsOption(options.sessionTimeout, "sessionTimeout", 60);
  const ttlMs = hoursOption(options.ttlHours, "ttlHours", 24);
  const signal = options.signal;
  const call = signal === undefined ? {} : { signal };
  const [summary, shards] = await Promise.all([options.kinesis.describeStreamSummary(stream, call), options.kinesis.listShards(stream, call)]);
  const python = await readPythonRows(options.from, options.name, shards, clock, signal);
  const nowMs = clock.now();
  const source = "dynamodb" in options.from
    ? `Python DynamoDB table "${pythonTable(options.from, options.name)}"`
    : `Python Redis keys pyredis-${options.name}-*`;
  const where = `import of ${source} into group "${group}" on stream "${stream}" in ${store.description}`;

  const held = python.filter((row) => row.ref !== undefined && row.ts !== undefined && nowMs - row.ts * 1000 < sessionTimeoutMs);
  if (held.length > 0 && options.force !== true) throw new LiveLeasesError(where, held.map((row) => ({ shardId: row.shardId, owner: row.ref! })));

  const positions = pythonPositions(shards, new Map(python.map((row) => [row.shardId, row])));
  if (options.createTable !== false && options.dryRun !== true) await store.prepare?.(signal);
  // Read consistently: each write is fenced on the row read (dynamodb-reads.ts).
  const wanted = shards.filter((shard) => positions.has(shard.shardId)).map((shard) => ({ stream, shardId: shard.shardId }));
  const existing = new Map((await readForDecision(store, group, stream, wanted, signal)).map((row) => [row.shardId, row]));
  const incarnation = summary.streamCreatedAt === undefined ? undefined : String(summary.streamCreatedAt);
  const writes: PlannedWrite[] = [];
  const skipped: ImportPythonCheckpointsResult["skipped"] = [];
  for (const shard of shards) {
    const after = positions.get(shard.shardId);
    if (after === undefined) {
      skipped.push({ shardId: shard.shardId, reason: "no-position" });
      continue;
    }
    const current = existing.get(shard.shardId);
    if (samePosition(positionOfRow(current), after)) {
      skipped.push({ shardId: shard.shardId, reason: "same" });
      continue;
    }
    if (current !== undefined && isAhead(current, after)) {
      skipped.push({ shardId: shard.shardId, reason: "target-ahead" });
      continue;
    }
    const lifeMs = ttlMs + (after.finished ? summary.retentionPeriodHours * 3_600_000 : 0);
    writes.push({
      change: { stream, shardId: shard.shardId, before: positionOfRow(current), after },
      row: { group, stream, shardId: shard.shardId, counter: nextCounter(current), ...after, incarnation, writtenAtMs: nowMs, expiresAtMs: nowMs + lifeMs },
      expected: current,
    });
  }
  const changes = options.dryRun === true ? writes.map((w) => w.change) : await applyWrites(store, writes, where, signal);
  return { group, stream, dryRun: options.dryRun === true, changes, skipped };
}

/** Each listed shard's position from the Python rows: its checkpoint, or finished when it is closed and a child has a checkpoint. */
function pythonPositions(shards: readonly Shard[], rows: ReadonlyMap<string, PythonRow>): Map<string, Position> {
  const positions = new Map<string, Position>();
  for (const shard of shards) {
    const sequence = rows.get(shard.shardId)?.sequence;
    if (sequence !== undefined) positions.set(shard.shardId, { sequence, finished: false });
  }
  for (const shard of shards) {
    const ending = shard.sequenceNumberRange.endingSequenceNumber;
    if (ending === undefined || positions.has(shard.shardId)) continue;
    const childRead = shards.some((s) => (s.parentShardId === shard.shardId || s.adjacentParentShardId === shard.shardId) && positions.has(s.shardId));
    if (childRead) positions.set(shard.shardId, { sequence: ending, finished: true });
  }
  return positions;
}

function isAhead(current: { sequence?: string | undefined; finished: boolean }, wanted: Position): boolean {
  if (current.finished) return true;
  if (wanted.finished || current.sequence === undefined || wanted.sequence === undefined) return false;
  return compareSequence(current.sequence, wanted.sequence) > 0;
}

function pythonTable(from: { tableName?: string | undefined }, name: string): string {
  return from.tableName ?? `kinesis-checkpoints-${name}`;
}

async function readPythonRows(
  from: PythonCheckpointSource,
  name: string,
  shards: readonly Shard[],
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<PythonRow[]> {
  if ("dynamodb" in from) return readPythonTable(from.dynamodb, pythonTable(from, name), signal);
  if ("redis" in from) return readPythonKeys(from.redis, name, shards, clock, signal);
  throw new ConfigError("from", "from must be { dynamodb, tableName? } or { redis }");
}

/** Every Python row of the table: items keyed by a bare shard id (this library's keys contain `#`, and are skipped). */
async function readPythonTable(client: DynamoDBClient, table: string, signal: AbortSignal | undefined): Promise<PythonRow[]> {
  let items;
  try {
    items = await client.scan({ TableName: table, ConsistentRead: true }, signal === undefined ? undefined : { signal });
  } catch (error) {
    if (error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException") {
      throw new CheckpointTableMissingError(table, `the Python checkpoint table "${table}" does not exist`, { cause: error });
    }
    throw error;
  }
  const rows: PythonRow[] = [];
  for (const item of items) {
    const shardId = text(item["shard_id"]);
    if (shardId === undefined || shardId.includes("#")) continue;
    rows.push({ shardId, ref: text(item["ref"]), ts: number(item["ts"]), sequence: text(item["sequence"]) });
  }
  return rows;
}

function text(value: AttributeValue | undefined): string | undefined {
  return value !== undefined && "S" in value ? value.S : undefined;
}

function number(value: AttributeValue | undefined): number | undefined {
  if (value === undefined || !("N" in value)) return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** The Python Redis checkpointer's key of each listed shard (`GET`, one per shard: no scan of the keyspace). */
async function readPythonKeys(
  client: RedisClientLike,
  name: string,
  shards: readonly Shard[],
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<PythonRow[]> {
  const call = redisCaller(client, { clock, commandTimeoutMs: 10_000, maxAttempts: 2 });
  const rows: PythonRow[] = [];
  for (const shard of shards) {
    const key = `pyredis-${name}-${shard.shardId}`;
    const reply = await call(["GET", key], signal);
    if (reply === null || reply === undefined) continue;
    const body = typeof reply === "string" ? reply : reply instanceof Uint8Array ? new TextDecoder().decode(reply) : undefined;
    let value: unknown;
    try {
      value = body === undefined ? undefined : JSON.parse(body);
    } catch {
      value = undefined;
    }
    if (typeof value !== "object" || value === null) throw new ProtocolError(`Redis key ${key} does not hold the Python checkpointer's JSON`);
    const v = value as Record<string, unknown>;
    rows.push({
      shardId: shard.shardId,
      ref: typeof v["ref"] === "string" ? v["ref"] : undefined,
      ts: typeof v["ts"] === "number" ? v["ts"] : undefined,
      sequence: typeof v["sequence"] === "string" ? v["sequence"] : undefined,
    });
  }
  return rows;
}
