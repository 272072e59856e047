import type { ShardCheckpoint } from "../checkpointers/types.ts";
import type { Shard, ShardIteratorType } from "../kinesis/types.ts";
import type { ConsumerIteratorType } from "./options.ts";

/** Where a shard starts when its lease carries no checkpoint. */
export interface StartPosition {
  type: Exclude<ShardIteratorType, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER">;
  timestamp?: Date | undefined;
}

export interface StartableShard {
  shard: Shard;
  /** Where to start if the lease carries no checkpoint. */
  position: StartPosition;
  /** A parent of this shard was read to its end by this group (so starting fresh here is expected). */
  childOfReadParent: boolean;
}

/**
 * Which shards may be read now, and from where when they have no checkpoint. Pure: the shard list
 * from ListShards and the checkpointer's rows in, a plan out.
 *
 * - A finished shard is never read again.
 * - A child waits until every parent still listed is finished (both, for a merge); a parent that
 *   ListShards no longer lists has expired and counts as finished.
 * - A child of a parent this group read starts at TRIM_HORIZON, so no record between the parent's
 *   end and the child's start is missed.
 * - With LATEST, a closed shard this group never read is skipped (it holds only old records), and
 *   its children start at LATEST themselves.
 */
export function planShards(
  shards: readonly Shard[],
  rows: ReadonlyMap<string, ShardCheckpoint>,
  iteratorType: ConsumerIteratorType,
  timestamp: Date | undefined,
): StartableShard[] {
  const listed = new Set(shards.map((s) => s.shardId));
  const isClosed = (shard: Shard): boolean => shard.sequenceNumberRange.endingSequenceNumber !== undefined;
  const skippedUnderLatest = (shardId: string): boolean => {
    if (iteratorType !== "LATEST" || rows.has(shardId)) return false;
    const shard = shards.find((s) => s.shardId === shardId);
    return shard !== undefined && isClosed(shard);
  };
  const plan: StartableShard[] = [];
  for (const shard of shards) {
    if (rows.get(shard.shardId)?.finished === true) continue;
    if (skippedUnderLatest(shard.shardId)) continue;
    const parents = [shard.parentShardId, shard.adjacentParentShardId].filter(
      (id): id is string => id !== undefined && listed.has(id),
    );
    const waiting = parents.some((id) => rows.get(id)?.finished !== true && !skippedUnderLatest(id));
    if (waiting) continue;
    const readParent = parents.some((id) => rows.get(id)?.finished === true);
    plan.push({ shard, position: initialPosition(iteratorType, timestamp, readParent), childOfReadParent: readParent });
  }
  return plan;
}

function initialPosition(iteratorType: ConsumerIteratorType, timestamp: Date | undefined, readParent: boolean): StartPosition {
  if (iteratorType === "AT_TIMESTAMP") return { type: "AT_TIMESTAMP", timestamp };
  if (iteratorType === "LATEST" && !readParent) return { type: "LATEST" };
  return { type: "TRIM_HORIZON" };
}
