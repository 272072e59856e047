import type { AdminCallOptions } from "./options.ts";
import { isForeignIncarnation } from "../checkpointers/lease/lease-row.ts";
import { systemClock } from "../internal/clock.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { Shard } from "../kinesis/types.ts";
import { liveLeases } from "./leases.ts";
import { type CheckpointStoreSpec, resolveTarget, secondsOption, streamOption } from "./target.ts";
import type { AdminRow } from "./store.ts";

/** Options of `listCheckpoints`. */
export interface ListCheckpointsOptions extends AdminCallOptions {
  /** Where the group's checkpoints are: a checkpointer, `{ dynamodb, tableName }` or `{ redis, keyPrefix? }`. */
  store: CheckpointStoreSpec;
  /** The consumer group (default: the checkpointer's `name`). */
  group?: string | undefined;
  /** The stream's name or ARN. */
  stream: string;
  /**
   * A Kinesis client: adds the shards that have no row yet, and each shard's lag (one GetShardIterator
   * and one GetRecords of one record per unfinished shard). Without it, only the rows, lag unknown.
   */
  kinesis?: KinesisClient | undefined;
  /** Seconds after its last write that a lease counts as abandoned (default 60). */
  sessionTimeout?: number | undefined;
}

/** How a row's lag was found. */
export type LagSource =
  /** The oldest record after the position arrived `lagMs` ago. */
  | "oldest-unread"
  /** Nothing after the position was returned; Kinesis's MillisBehindLatest for it. */
  | "millis-behind"
  /** The shard is finished: nothing left to read. */
  | "finished"
  /** Not known: no Kinesis client, no position (the consumer starts as configured), or the shard is gone or unreadable. */
  | "unknown";

/** One shard of a group, as an operator reads it. */
export interface CheckpointRow {
  /** The shard. */
  shardId: string;
  /** The worker holding the lease, if any (`<group>/<worker id>`). */
  owner?: string | undefined;
  /** The owner renewed within `sessionTimeout` (by the writer's clock against ours). */
  live: boolean;
  /** Last committed sequence number. */
  sequence?: string | undefined;
  /** Without a sequence: where the next owner starts (epoch ms, AT_TIMESTAMP; 0 is the trim horizon). */
  startAt?: number | undefined;
  /** Read to SHARD_END. */
  finished: boolean;
  /** Last write, epoch ms (`ts`). */
  updatedAt?: number | undefined;
  /** No row yet for this shard (listed by Kinesis only). */
  noRow: boolean;
  /** The row was written for an earlier stream of this name: the consumer ignores it. */
  foreign: boolean;
  /** The shard is no longer listed by Kinesis (expired after a reshard). */
  gone: boolean;
  /** How far behind the stream's tip the position is, in ms, when known. */
  lagMs?: number | undefined;
  /** How `lagMs` was found, or that it is unknown. */
  lagSource: LagSource;
}

/**
 * The guide's "View Table Contents", for operators: one row per shard with owner, sequence, lag where
 * known, last update and finished. Lag is the age of the oldest record after the committed position
 * (now minus its arrival time), read with one GetRecords of one record; when Kinesis returns nothing
 * there, its MillisBehindLatest (0 when caught up). Shards without a position are "unknown".
 */
export async function listCheckpoints(options: ListCheckpointsOptions): Promise<CheckpointRow[]> {
  const clock = options.clock ?? systemClock;
  const { store, group } = resolveTarget(options.store, options.group, "store", clock);
  const stream = streamOption(options.stream);
  const sessionTimeoutMs = secondsOption(options.sessionTimeout, "sessionTimeout", 60);
  const signal = options.signal;
  const call = signal === undefined ? {} : { signal };
  const rows = await store.list(group, stream, signal);
  const kinesis = options.kinesis;
  const [summary, shards] = kinesis === undefined ? [undefined, undefined] : await Promise.all([
    kinesis.describeStreamSummary(stream, call),
    kinesis.listShards(stream, call),
  ]);
  const incarnation = summary?.streamCreatedAt === undefined ? undefined : String(summary.streamCreatedAt);
  const nowMs = clock.now();
  const live = new Set(liveLeases(rows, nowMs, sessionTimeoutMs).map((h) => h.shardId));
  const byShard = new Map<string, AdminRow>(rows.map((row) => [row.shardId, row]));
  const ids = [...new Set([...(shards ?? []).map((s) => s.shardId), ...byShard.keys()])].sort();
  const listed = new Map((shards ?? []).map((s) => [s.shardId, s]));
  return Promise.all(ids.map(async (shardId): Promise<CheckpointRow> => {
    const row = byShard.get(shardId);
    const foreign = row !== undefined && isForeignIncarnation(row, incarnation);
    const out: CheckpointRow = {
      shardId,
      owner: row?.owner,
      live: live.has(shardId),
      sequence: row?.sequence,
      startAt: row?.startAt,
      finished: row?.finished ?? false,
      updatedAt: row?.updatedAtSeconds === undefined ? undefined : Math.round(row.updatedAtSeconds * 1000),
      noRow: row === undefined,
      foreign,
      gone: shards !== undefined && !listed.has(shardId),
      lagSource: "unknown",
    };
    if (out.finished) return { ...out, lagMs: 0, lagSource: "finished" };
    const shard = listed.get(shardId);
    if (kinesis === undefined || shard === undefined || row === undefined || foreign) return out;
    const lag = await lagOf(kinesis, stream, shard, row, nowMs, signal).catch(() => undefined);
    return lag === undefined ? out : { ...out, ...lag };
  }));
}

async function lagOf(
  kinesis: KinesisClient,
  stream: string,
  shard: Shard,
  row: AdminRow,
  nowMs: number,
  signal: AbortSignal | undefined,
): Promise<{ lagMs: number; lagSource: LagSource } | undefined> {
  const call = signal === undefined ? undefined : { signal };
  let iterator: string;
  if (row.sequence !== undefined) {
    // Inside a KPL aggregate (`<sequence>:<sub>`), the record `sequence` itself is not done yet.
    const [sequence, sub] = row.sequence.split(":");
    iterator = await kinesis.getShardIterator(stream, shard.shardId, sub === undefined ? "AFTER_SEQUENCE_NUMBER" : "AT_SEQUENCE_NUMBER", {
      sequenceNumber: sequence!,
    }, call);
  } else if (row.startAt !== undefined) {
    iterator = await kinesis.getShardIterator(stream, shard.shardId, "AT_TIMESTAMP", { timestamp: new Date(row.startAt) }, call);
  } else {
    return undefined;
  }
  const page = await kinesis.getRecords(iterator, 1, call);
  const oldest = page.records[0];
  if (oldest !== undefined) return { lagMs: Math.max(0, nowMs - oldest.approximateArrivalTimestamp.getTime()), lagSource: "oldest-unread" };
  return { lagMs: page.millisBehindLatest ?? 0, lagSource: "millis-behind" };
}
