import type { AdminCopyOptions } from "./options.ts";
import { CheckpointTableMissingError, LiveLeasesError } from "../errors.ts";
import { systemClock } from "../internal/clock.ts";
import { compareSequence } from "../internal/sequence.ts";
import { applyWrites, type CheckpointChange, type PlannedWrite, positionOfRow } from "./apply.ts";
import { liveLeases } from "./leases.ts";
import { samePosition } from "./position.ts";
import { type AdminRow, type AdminStore, nextCounter, readForDecision } from "./store.ts";
import { type CheckpointStoreSpec, hoursOption, resolveTarget, secondsOption, streamOption } from "./target.ts";

/** Options of `migrateCheckpoints`. */
export interface MigrateCheckpointsOptions extends AdminCopyOptions {
  /** Where the group's checkpoints are now (e.g. `{ redis: client }`). */
  from: CheckpointStoreSpec;
  /** Where they go (e.g. `{ dynamodb: client, tableName }`); the table must exist (a `DynamoDBCheckPointer` start creates it). */
  to: CheckpointStoreSpec;
  /** The consumer group (default: the `from` checkpointer's `name`). The same group name is used on both sides. */
  group?: string | undefined;
  /** Only this stream (name or ARN); default: every stream the group has rows for. */
  stream?: string | undefined;
  /** Copy although live workers hold leases on the source (their progress after the copy is not carried over). */
  force?: boolean | undefined;
  /** Seconds after its last write that a lease counts as abandoned (default 60). */
  sessionTimeout?: number | undefined;
  /** Hours a copied row lives at least (default 24); a source row's own later expiry is kept. */
  ttlHours?: number | undefined;
}

/** What `migrateCheckpoints` did (or would do). */
export interface MigrateCheckpointsResult {
  /** The consumer group. */
  group: string;
  /** Nothing was written. */
  dryRun: boolean;
  /** Rows written to the target (or that would be), with the target's position before. */
  changes: CheckpointChange[];
  /** Source rows not copied, and why: the target already says the same, or is further along. */
  skipped: Array<{ stream: string; shardId: string; reason: "same" | "target-ahead" }>;
}

/**
 * Copy a group's positions from one store to another (Redis ↔ DynamoDB): each row's sequence,
 * SHARD_END marker, recorded start and stream incarnation, owner-free, so consumers started on the
 * target resume exactly where the source says, with no replay beyond what was in flight when the
 * source's workers stopped. Refuses (`LiveLeasesError`) while live workers hold leases on the source
 * or the target, unless `force`. A target row already at or past the source's position is left alone
 * (`skipped`), so running it again after the cutover never rolls the group back. Each target write
 * is fenced on the target row as read (`CheckpointConflictError` when a worker wrote it meanwhile).
 */
export async function migrateCheckpoints(options: MigrateCheckpointsOptions): Promise<MigrateCheckpointsResult> {
  const clock = options.clock ?? systemClock;
  const source = resolveTarget(options.from, options.group, "from", clock);
  const target = resolveTarget(options.to, source.group, "to", clock);
  const group = source.group;
  const stream = options.stream === undefined ? undefined : streamOption(options.stream);
  const sessionTimeoutMs = secondsOption(options.sessionTimeout, "sessionTimeout", 60);
  const ttlMs = hoursOption(options.ttlHours, "ttlHours", 24);
  const signal = options.signal;
  if (options.createTable !== false && options.dryRun !== true) await target.store.prepare?.(signal);
  // Read consistently: the refusal, what is copied and each write's fence are decided on these rows (dynamodb-reads.ts).
  const [rows, existing] = await Promise.all([
    readForDecision(source.store, group, stream, "every", signal),
    listOrNone(target.store, group, stream, options.dryRun === true, signal),
  ]);
  const nowMs = clock.now();
  const where = `migration of group "${group}" from ${source.store.description} to ${target.store.description}`;
  if (options.force !== true) {
    const held = [...liveLeases(rows, nowMs, sessionTimeoutMs), ...liveLeases(existing, nowMs, sessionTimeoutMs)];
    if (held.length > 0) throw new LiveLeasesError(where, held);
  }
  const targetRows = new Map(existing.map((row) => [`${row.stream}\n${row.shardId}`, row]));
  const writes: PlannedWrite[] = [];
  const skipped: MigrateCheckpointsResult["skipped"] = [];
  for (const row of rows.sort((a, b) => a.stream.localeCompare(b.stream) || a.shardId.localeCompare(b.shardId))) {
    const current = targetRows.get(`${row.stream}\n${row.shardId}`);
    const after = { sequence: row.sequence, startAt: row.sequence === undefined ? row.startAt : undefined, finished: row.finished };
    if (samePosition(positionOfRow(current), after) && current?.incarnation === row.incarnation) {
      skipped.push({ stream: row.stream, shardId: row.shardId, reason: "same" });
      continue;
    }
    if (current !== undefined && current.incarnation === row.incarnation && isAhead(current, row)) {
      skipped.push({ stream: row.stream, shardId: row.shardId, reason: "target-ahead" });
      continue;
    }
    const expiresAtMs = Math.max(row.expiresAtMs ?? 0, nowMs + ttlMs);
    writes.push({
      change: { stream: row.stream, shardId: row.shardId, before: positionOfRow(current), after },
      row: {
        group,
        stream: row.stream,
        shardId: row.shardId,
        counter: nextCounter(current, row),
        ...after,
        incarnation: row.incarnation,
        writtenAtMs: nowMs,
        expiresAtMs,
      },
      expected: current,
    });
  }
  const changes = options.dryRun === true ? writes.map((w) => w.change) : await applyByStream(target.store, writes, where, signal);
  return { group, dryRun: options.dryRun === true, changes, skipped };
}

/** The target's rows; on a dry run, a table not created yet holds none. */
async function listOrNone(store: AdminStore, group: string, stream: string | undefined, dryRun: boolean, signal: AbortSignal | undefined): Promise<AdminRow[]> {
  try {
    return await readForDecision(store, group, stream, "every", signal);
  } catch (error) {
    if (dryRun && error instanceof CheckpointTableMissingError) return [];
    throw error;
  }
}

/** The target is further along than the source: finished while the source is not, or a later checkpoint. */
function isAhead(current: AdminRow, source: AdminRow): boolean {
  // A finished target row has nothing left to read; the source cannot be further along.
  if (current.finished) return true;
  if (source.finished) return false;
  if (current.sequence === undefined || source.sequence === undefined) return false;
  return compareSequence(current.sequence, source.sequence) > 0;
}

async function applyByStream(
  store: Parameters<typeof applyWrites>[0],
  writes: PlannedWrite[],
  where: string,
  signal: AbortSignal | undefined,
): Promise<CheckpointChange[]> {
  // applyWrites re-reads one stream to name who holds conflicting rows: give it one stream at a time.
  const streams = [...new Set(writes.map((w) => w.row.stream))];
  const changes: CheckpointChange[] = [];
  for (const stream of streams) changes.push(...(await applyWrites(store, writes.filter((w) => w.row.stream === stream), where, signal)));
  return changes;
}
