import type { ShardCheckpoint } from "../types.ts";

/**
 * One lease row, decoded, whatever the store (a DynamoDB item, a Redis hash). The fields keep the
 * guide's names where it has them (`shard_id`, `ref`, `ts`, `sequence`, `ttl`); the rest is what safe
 * coordination needs. Each backend maps its own storage to this shape.
 */
export interface LeaseRow {
  /** Where the row lives, unique per group, stream and shard (DynamoDB `shard_id`, a Redis hash key). */
  key: string;
  group: string;
  stream: string;
  shardId: string;
  /** `ref`: the owner, `<group>/<worker id>`; absent when nobody holds the lease. */
  owner?: string | undefined;
  /** `lease_counter`: bumped by every owner write; takeover and fencing compare it. */
  counter: number;
  /** `sequence`: last checkpoint. */
  sequence?: string | undefined;
  /** `finished`: the shard reached SHARD_END and everything in it was committed. */
  finished: boolean;
  /** `pending_owner`: a worker that asked the owner to hand this shard over. */
  pendingOwner?: string | undefined;
  /** `ts`: epoch seconds of the last write, by the writer's clock (for people; never for expiry). */
  updatedAtSeconds?: number | undefined;
  /** `ttl`: epoch seconds after which DynamoDB may delete the row (Redis keeps it as the key's expiry instead). */
  ttl?: number | undefined;
}

/** `arn:aws:kinesis:<region>:<account>:stream/<name>` → `<name>`, so a name and its ARN share rows. */
export function streamNameOf(streamNameOrArn: string): string {
  const match = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/(.+)$/.exec(streamNameOrArn);
  return match?.[1] ?? streamNameOrArn;
}

export function toShardCheckpoint(row: LeaseRow): ShardCheckpoint {
  return {
    shardId: row.shardId,
    sequence: row.sequence,
    finished: row.finished,
    owner: row.owner,
    updatedAt: row.updatedAtSeconds === undefined ? undefined : Math.round(row.updatedAtSeconds * 1000),
  };
}

/** `ts` as written: epoch seconds with millisecond precision. */
export function epochSeconds(nowMs: number): string {
  return (nowMs / 1000).toFixed(3);
}
