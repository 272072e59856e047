import type { QueuedRecord } from "./queued-record.ts";
import type { ShardRateLimiter } from "./rate-limiter.ts";
import type { Lane } from "./shard-buffers.ts";

/** PutRecords limits: at most 500 records and 5 MiB (data plus partition keys) per request. */
export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
  /** Strict per-key order: at most one record per partition key per shard in a request. */
  ordered: boolean;
}

/** What one lane would put into a request: how many records from its head, and their bytes. */
export interface LaneShare {
  records: number;
  bytes: number;
}

/**
 * The records from the head of `lane` that a request with `roomRecords` and `roomBytes` left would
 * carry, the rate budget aside. `alone` says the request is still empty, so one record larger than
 * the room may go (streams that allow records past 5 MiB still work). In ordered mode only a prefix of
 * records with distinct partition keys counts, and an aggregate (which may hold any key) only alone.
 */
export function laneShare(lane: Lane, ordered: boolean, roomRecords: number, roomBytes: number, alone: boolean): LaneShare {
  const queue = lane.queue;
  const keys = ordered ? new Set<string>() : undefined;
  let records = 0;
  let bytes = 0;
  for (;;) {
    const record = queue.at(records);
    if (record === undefined || records >= roomRecords) break;
    if (bytes + record.bytes > roomBytes && !(alone && records === 0)) break;
    const aggregate = record.items.length > 1;
    if (keys !== undefined) {
      if ((aggregate && records > 0) || keys.has(record.partitionKey)) break;
      keys.add(aggregate ? "" : record.partitionKey);
    }
    records++;
    bytes += record.bytes;
    if (keys !== undefined && aggregate) break;
  }
  return { records, bytes };
}

/**
 * Milliseconds until the shard's budget funds the full request its lane would make on its own now
 * (capped at one second's budget, so the wait ends). Zero means it can go.
 */
export function laneFundedIn(lane: Lane, limits: BatchLimits, limiter: ShardRateLimiter, now: number): number {
  const share = laneShare(lane, limits.ordered, limits.maxRecords, limits.maxBytes, true);
  return limiter.delayFor(lane.shardId, share.records, share.bytes, now);
}

/**
 * Take the next PutRecords batch out of the lanes, starting at lane `start` and going round, so every
 * shard gets its turn. A lane gives its share (see laneShare) only once its shard's rate budget funds
 * all of it, or a whole second's budget when the share is more than that: a shard at its limit then
 * sends one full request per refill, never a request per record's worth of refill.
 *
 * A lane with a request in flight is skipped: one shard's records are never in two requests at once,
 * so they are stored in the order they were put, and a failed entry is retried before later ones go.
 * (Throughput does not suffer: one 500-record request per round trip is far beyond a shard's 1000
 * records/s.) PutRecords can still fail any subset of a request's entries, so in ordered mode a
 * lane's share has distinct partition keys: a failed record is then never overtaken by a later one
 * of its key.
 */
export function takeBatch(
  lanes: readonly Lane[],
  start: number,
  limits: BatchLimits,
  limiter: ShardRateLimiter,
  now: number,
): QueuedRecord[] {
  const batch: QueuedRecord[] = [];
  let bytes = 0;
  const count = lanes.length;
  for (let step = 0; step < count && batch.length < limits.maxRecords; step++) {
    const lane = lanes[(start + step) % count]!;
    if (lane.queue.size === 0 || lane.inFlight > 0) continue;
    const share = laneShare(lane, limits.ordered, limits.maxRecords - batch.length, limits.maxBytes - bytes, batch.length === 0);
    if (share.records === 0 || limiter.delayFor(lane.shardId, share.records, share.bytes, now) > 0) continue;
    // Funded: take the share, or as much of it as one second's budget covers.
    for (let taken = 0; taken < share.records; taken++) {
      const record = lane.queue.peek()!;
      if (!limiter.tryTake(lane.shardId, 1, record.bytes, now)) break;
      lane.queue.shift();
      batch.push(record);
      bytes += record.bytes;
    }
  }
  return batch;
}
