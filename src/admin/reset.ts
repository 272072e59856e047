import type { AdminWriteOptions } from "./options.ts";
import { isForeignIncarnation } from "../checkpointers/lease/lease-row.ts";
import { ConfigError, LiveLeasesError } from "../errors.ts";
import { systemClock } from "../internal/clock.ts";
import { compareSequence } from "../internal/sequence.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { Shard } from "../kinesis/types.ts";
import { applyWrites, type CheckpointChange, type PlannedWrite, positionOfRow } from "./apply.ts";
import { liveLeases } from "./leases.ts";
import { describeResetTo, type Position, type ResetTo, SEQUENCE } from "./position.ts";
import { type AdminRow, nextCounter, readForDecision } from "./store.ts";
import { type CheckpointStoreSpec, hoursOption, resolveTarget, secondsOption, streamOption } from "./target.ts";

/** Options of `resetCheckpoints`. */
export interface ResetCheckpointsOptions extends AdminWriteOptions {
  /** Where the group's checkpoints are: a checkpointer, `{ dynamodb, tableName }` or `{ redis, keyPrefix? }`. */
  store: CheckpointStoreSpec;
  /** The consumer group (default: the checkpointer's `name`). */
  group?: string | undefined;
  /** The stream's name or ARN. */
  stream: string;
  /** A Kinesis client: the stream's shards and incarnation decide what each row must say. */
  kinesis: KinesisClient;
  /**
   * Where the group resumes:
   * - `"trim-horizon"`: the oldest record the stream still keeps, on every shard (also finished ones);
   * - `"latest"`: records that arrive from now on (open shards start at this moment; closed shards are marked finished);
   * - a `Date`: records that arrived at or after it (AT_TIMESTAMP), on every shard;
   * - a sequence number: strictly after it, on the one shard named in `shards`.
   */
  to: ResetTo;
  /** Only these shards (default: every shard the stream lists). */
  shards?: readonly string[] | undefined;
  /** Move rows that live workers hold: each such worker loses its lease at its next write. Default false: refuse. */
  force?: boolean | undefined;
  /** Seconds after its last write that a lease counts as abandoned (default 60, the checkpointers' default). */
  sessionTimeout?: number | undefined;
  /** Hours the rows live after this write, as the checkpointer's `ttlHours` (default 24). */
  ttlHours?: number | undefined;
}

/** What `resetCheckpoints` did (or, on a dry run, would do). */
export interface ResetCheckpointsResult {
  /** The consumer group. */
  group: string;
  /** The stream (its name). */
  stream: string;
  /** `to`, as text. */
  to: string;
  /** Nothing was written. */
  dryRun: boolean;
  /** Every shard whose row was (or would be) written, with its position before and after. */
  changes: CheckpointChange[];
}

/**
 * Move a consumer group's positions on one stream. Refuses (`LiveLeasesError`, naming each shard and
 * owner) while live workers hold leases, unless `force`. Each row is replaced with one write fenced on
 * the row as read (counter and owner): a worker that writes meanwhile makes that write fail, reported
 * by a `CheckpointConflictError`, instead of being overwritten; a worker that writes afterwards finds
 * its lease lost. The rows written carry no owner, so the next consumer takes them as free leases and
 * starts exactly where they say.
 */
export async function resetCheckpoints(options: ResetCheckpointsOptions): Promise<ResetCheckpointsResult> {
  const clock = options.clock ?? systemClock;
  const { store, group } = resolveTarget(options.store, options.group, "store", clock);
  const stream = streamOption(options.stream);
  const sessionTimeoutMs = secondsOption(options.sessionTimeout, "sessionTimeout", 60);
  const ttlMs = hoursOption(options.ttlHours, "ttlHours", 24);
  const to = checkTo(options.to, options.shards);
  const signal = options.signal;
  const [summary, listed] = await Promise.all([
    options.kinesis.describeStreamSummary(stream, signal === undefined ? undefined : { signal }),
    options.kinesis.listShards(stream, signal === undefined ? {} : { signal }),
  ]);
  const shards = selectShards(listed, options.shards);
  const nowMs = clock.now();
  const targets = new Map(shards.map((shard) => [shard.shardId, targetPosition(to, shard, nowMs)]));
  if (options.dryRun !== true) await store.prepare?.(signal);
  // Read consistently: the refusal below and each write's fence are decided on these rows (dynamodb-reads.ts).
  const current = await readForDecision(store, group, stream, shards.map((shard) => ({ stream, shardId: shard.shardId })), signal);
  const rows = new Map(current.map((row) => [row.shardId, row]));
  const where = `reset of group "${group}" on stream "${stream}" in ${store.description}`;

  const held = liveLeases([...shards.map((s) => rows.get(s.shardId))].filter((r): r is AdminRow => r !== undefined), nowMs, sessionTimeoutMs);
  if (held.length > 0 && options.force !== true) throw new LiveLeasesError(where, held);

  const incarnation = summary.streamCreatedAt === undefined ? undefined : String(summary.streamCreatedAt);
  const writes: PlannedWrite[] = [];
  for (const shard of shards) {
    const row = rows.get(shard.shardId);
    const after = targets.get(shard.shardId)!;
    // A row of an earlier stream under this name says nothing about this one: shown as no row.
    const before = row !== undefined && isForeignIncarnation(row, incarnation) ? undefined : positionOfRow(row);
    const lifeMs = ttlMs + (after.finished ? summary.retentionPeriodHours * 3_600_000 : 0);
    writes.push({
      change: { stream, shardId: shard.shardId, before, after, displacedOwner: held.find((h) => h.shardId === shard.shardId)?.owner },
      row: { group, stream, shardId: shard.shardId, counter: nextCounter(row), ...after, incarnation, writtenAtMs: nowMs, expiresAtMs: nowMs + lifeMs },
      expected: row,
    });
  }
  const changes = options.dryRun === true ? writes.map((w) => w.change) : await applyWrites(store, writes, where, signal);
  return { group, stream, to: describeResetTo(to), dryRun: options.dryRun === true, changes };
}

function checkTo(to: ResetTo, shards: readonly string[] | undefined): ResetTo {
  if (to instanceof Date) {
    if (Number.isNaN(to.getTime())) throw new ConfigError("to", "to is an invalid Date");
    return to;
  }
  if (to === "trim-horizon" || to === "latest") return to;
  if (typeof to === "string" && SEQUENCE.test(to)) {
    // A sequence number belongs to one shard.
    if (shards?.length !== 1) {
      throw new ConfigError("shards", "a reset to a sequence number needs exactly one shard in shards (the shard that sequence number is in)");
    }
    return to;
  }
  throw new ConfigError("to", `to must be "trim-horizon", "latest", a Date or a sequence number (got ${JSON.stringify(to)})`);
}

function selectShards(listed: readonly Shard[], wanted: readonly string[] | undefined): Shard[] {
  if (wanted === undefined) return [...listed];
  const byId = new Map(listed.map((s) => [s.shardId, s]));
  const unknown = wanted.filter((id) => !byId.has(id));
  if (unknown.length > 0) throw new ConfigError("shards", `the stream lists no shard ${unknown.join(", ")} (it lists ${[...byId.keys()].join(", ")})`);
  return [...new Set(wanted)].map((id) => byId.get(id)!);
}

/**
 * What a row must say for its next owner to start where `to` asks (see how the consumer reads a row:
 * a sequence is resumed after; without one, `start_at` is an AT_TIMESTAMP start; a finished row is never
 * read again). The trim horizon is AT_TIMESTAMP at the epoch, which Kinesis answers with the oldest
 * record kept: unlike a cleared row, it does not depend on the consumer's `iteratorType`.
 */
function targetPosition(to: ResetTo, shard: Shard, nowMs: number): Position {
  const ending = shard.sequenceNumberRange.endingSequenceNumber;
  if (to === "trim-horizon") return { startAt: 0, finished: false };
  if (to === "latest") {
    // A closed shard takes no more records: from now on, it has nothing to give.
    return ending === undefined ? { startAt: nowMs, finished: false } : { sequence: ending, finished: true };
  }
  if (to instanceof Date) return { startAt: to.getTime(), finished: false };
  const starting = shard.sequenceNumberRange.startingSequenceNumber;
  const plain = to.split(":")[0]!;
  if (compareSequence(plain, starting) < 0 || (ending !== undefined && compareSequence(plain, ending) > 0)) {
    throw new ConfigError("to", `sequence number ${to} is outside shard ${shard.shardId} (${starting} to ${ending ?? "open"})`);
  }
  return { sequence: to, finished: false };
}
