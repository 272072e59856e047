import type { ConsumerStats } from "../consumer/events.ts";
import { counter, type FamilySet, gauge, type Labels } from "./family-set.ts";

/** The consumer's families, named after `ConsumerStats` (see docs/metrics.md for the full list). */
export const CONSUMER = {
  recordsFetched: counter("consumer_records_fetched", "Kinesis records read by GetRecords (an aggregate counts once)."),
  bytesFetched: counter("consumer_fetched_bytes", "Payload bytes of the Kinesis records read.", "bytes"),
  recordsDelivered: counter("consumer_records_delivered", "Items handed to the application (each KPL sub-record counts)."),
  bytesDelivered: counter("consumer_delivered_bytes", "Payload bytes of the items handed to the application, before decoding.", "bytes"),
  throttles: counter("consumer_throttles", "Kinesis calls refused for throttling."),
  errors: counter("consumer_errors", "Errors reported (error events), by error class."),
  kplOutOfRange: counter("consumer_kpl_out_of_range_records", "KPL sub-records whose hash key lies outside their shard."),
  checkpointWrites: counter("consumer_checkpoint_writes", "Checkpoint writes that landed in the store."),
  leasesHeld: gauge("consumer_leases_held", "Shard leases this consumer holds."),
  queuedRecords: gauge("consumer_queued_records", "Kinesis records read and not yet handed to the application."),
  queuedBytes: gauge("consumer_queued_bytes", "Payload bytes read and not yet handed to the application.", "bytes"),
  queueHighWater: gauge("consumer_queue_high_water_records", "The most Kinesis records the queue has held at once."),
  queueBytesHighWater: gauge("consumer_queue_high_water_bytes", "The most payload bytes the queue has held at once.", "bytes"),
  shardLag: gauge("consumer_shard_lag_seconds", "MillisBehindLatest of the shard's last page, in seconds; kept while the shard's reads fail.", "seconds"),
  shardLagObservedAt: gauge(
    "consumer_shard_lag_observed_timestamp_seconds",
    "When the shard's lag was last reported (Unix time); stops moving while the shard's reads fail.",
    "seconds",
  ),
  shardErroring: gauge("consumer_shard_erroring", "1 while the shard's reads fail and are retried, else 0."),
  shardRecordsFetched: counter("consumer_shard_records_fetched", "Kinesis records read from the shard."),
  shardRecordsDelivered: counter("consumer_shard_records_delivered", "Items from the shard handed to the application."),
} as const;

/** Add one consumer's samples; per-shard series only for shards whose lease it holds now. */
export function addConsumer(set: FamilySet, stats: ConsumerStats, base: Labels): void {
  set.add(CONSUMER.recordsFetched, base, stats.recordsFetched);
  set.add(CONSUMER.bytesFetched, base, stats.bytesFetched);
  set.add(CONSUMER.recordsDelivered, base, stats.recordsDelivered);
  set.add(CONSUMER.bytesDelivered, base, stats.bytesDelivered);
  set.add(CONSUMER.throttles, base, stats.throttles);
  set.declare(CONSUMER.errors);
  for (const [name, count] of Object.entries(stats.errorsByName)) set.add(CONSUMER.errors, base, count, [["error", name]]);
  set.add(CONSUMER.kplOutOfRange, base, stats.kplOutOfRange);
  set.add(CONSUMER.checkpointWrites, base, stats.checkpointWrites);
  set.add(CONSUMER.leasesHeld, base, stats.leasesHeld);
  set.add(CONSUMER.queuedRecords, base, stats.queuedRecords);
  set.add(CONSUMER.queuedBytes, base, stats.queuedBytes);
  set.add(CONSUMER.queueHighWater, base, stats.queueHighWater);
  set.add(CONSUMER.queueBytesHighWater, base, stats.queueBytesHighWater);
  for (const spec of [CONSUMER.shardLag, CONSUMER.shardLagObservedAt, CONSUMER.shardErroring, CONSUMER.shardRecordsFetched, CONSUMER.shardRecordsDelivered]) {
    set.declare(spec);
  }
  for (const [shardId, shard] of Object.entries(stats.shards)) {
    if (!shard.leased) continue;
    const labels: Labels = [["shard_id", shardId]];
    if (shard.millisBehindLatest !== undefined) set.add(CONSUMER.shardLag, base, shard.millisBehindLatest / 1000, labels);
    if (shard.millisBehindLatestAt !== undefined) set.add(CONSUMER.shardLagObservedAt, base, shard.millisBehindLatestAt / 1000, labels);
    set.add(CONSUMER.shardErroring, base, shard.erroring ? 1 : 0, labels);
    set.add(CONSUMER.shardRecordsFetched, base, shard.recordsFetched, labels);
    set.add(CONSUMER.shardRecordsDelivered, base, shard.recordsDelivered, labels);
  }
}
