import { CheckpointConflictError } from "../errors.ts";
import type { Position } from "./position.ts";
import { type AdminRow, type AdminStore, type PositionRow, readForDecision } from "./store.ts";

/** One shard's position before and after an administration call. */
export interface CheckpointChange {
  /** The stream the row belongs to. */
  stream: string;
  /** The shard. */
  shardId: string;
  /** What the row said (undefined: there was no row). */
  before: Position | undefined;
  /** What it says now (or would, on a dry run). */
  after: Position;
  /** The worker that held the lease when the row was read (only with `force`): it loses the lease at its next write. */
  displacedOwner?: string | undefined;
}

/** A change to make: the row to write, in place of the row as read. */
export interface PlannedWrite {
  change: CheckpointChange;
  row: PositionRow;
  expected: AdminRow | undefined;
}

/**
 * Write each planned row, fenced on the row as read. Rows that changed meanwhile are left alone and
 * reported together in one `CheckpointConflictError` (after the others are written); a store error
 * stops at once and propagates.
 */
export async function applyWrites(store: AdminStore, writes: readonly PlannedWrite[], where: string, signal?: AbortSignal): Promise<CheckpointChange[]> {
  const applied: CheckpointChange[] = [];
  const conflicts: Array<{ shardId: string; owner: string | undefined }> = [];
  for (const write of writes) {
    if (await store.replace(write.row, write.expected, signal)) applied.push(write.change);
    else conflicts.push({ shardId: write.change.shardId, owner: undefined });
  }
  if (conflicts.length > 0) {
    // Name who holds each conflicting row now, so the operator sees which worker is still running.
    const { group, stream } = writes[0]!.row;
    const wanted = conflicts.map((conflict) => ({ stream, shardId: conflict.shardId }));
    const now = await readForDecision(store, group, stream, wanted, signal).catch(() => []);
    for (const conflict of conflicts) conflict.owner = now.find((row) => row.shardId === conflict.shardId)?.owner;
    throw new CheckpointConflictError(where, conflicts, applied.map((c) => c.shardId));
  }
  return applied;
}

/** The position a stored row gives. */
export function positionOfRow(row: AdminRow | undefined): Position | undefined {
  if (row === undefined) return undefined;
  return { sequence: row.sequence, startAt: row.startAt, finished: row.finished };
}
