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

/**
 * Take the next PutRecords batch out of the lanes, starting at lane `start` and going round, so every
 * shard gets its turn. A record is taken only if the batch has room and its shard's rate budget has it.
 *
 * A lane with a request in flight is skipped: one shard's records are never in two requests at once,
 * so they are stored in the order they were put, and a failed entry is retried before later ones go.
 * (Throughput does not suffer: one 500-record request per round trip is far beyond a shard's 1000
 * records/s.) PutRecords can still fail any subset of a request's entries, so in ordered mode only a
 * prefix of records with distinct partition keys is taken from each lane (an aggregate, which may hold
 * any key, only alone): a failed record is then never overtaken by a later one of its key.
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
    const keys = limits.ordered ? new Set<string>() : undefined;
    let takenHere = 0;
    for (;;) {
      const record = lane.queue.peek();
      if (record === undefined || batch.length >= limits.maxRecords) break;
      // Let one oversized record through alone, so a stream allowing records past 5 MiB still works.
      if (bytes + record.bytes > limits.maxBytes && batch.length > 0) break;
      if (keys !== undefined) {
        const aggregate = record.items.length > 1;
        if ((aggregate && takenHere > 0) || keys.has(record.partitionKey)) break;
        keys.add(aggregate ? "" : record.partitionKey);
      }
      if (!limiter.tryTake(lane.shardId, 1, record.bytes, now)) break;
      lane.queue.shift();
      batch.push(record);
      bytes += record.bytes;
      takenHere++;
      if (keys !== undefined && record.items.length > 1) break;
    }
  }
  return batch;
}
