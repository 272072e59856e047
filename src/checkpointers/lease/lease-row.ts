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
  /**
   * `incarnation`: the stream's creation time (epoch ms, as text) when the row was created. A stream
   * deleted and recreated under the same name is another incarnation: its rows say nothing about it.
   * Absent on rows written before incarnations were recorded (taken as the current one).
   */
  incarnation?: string | undefined;
  /**
   * `start_at`: epoch ms where a lease without a checkpoint started reading (a `LATEST` or
   * `AT_TIMESTAMP` start), so the next owner starts there too instead of at a later `LATEST`.
   */
  startAt?: number | undefined;
  /**
   * `bytes_per_second`: the shard's recent throughput as its owner delivered it (a decayed average,
   * see throughput.ts), written with the owner's heartbeats and checkpoints; what load balance reads.
   * Absent on rows no owner has renewed yet, and on rows written by versions without it.
   */
  bytesPerSecond?: number | undefined;
}

/** A row written for another incarnation of the stream (deleted and recreated since): never applied. */
export function isForeignIncarnation(row: Pick<LeaseRow, "incarnation">, incarnation: string | undefined): boolean {
  return incarnation !== undefined && row.incarnation !== undefined && row.incarnation !== incarnation;
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
    pendingOwner: row.pendingOwner,
    updatedAt: row.updatedAtSeconds === undefined ? undefined : Math.round(row.updatedAtSeconds * 1000),
    incarnation: row.incarnation,
    startAt: row.startAt,
    bytesPerSecond: row.bytesPerSecond,
  };
}

/** `ts` as written: epoch seconds with millisecond precision. */
export function epochSeconds(nowMs: number): string {
  return (nowMs / 1000).toFixed(3);
}
