import type { ProducerStats } from "../producer/metrics.ts";
import { counter, type FamilySet, gauge, type Labels } from "./family-set.ts";

/** The producer's families, named after `ProducerStats` (see docs/metrics.md for the full list). */
export const PRODUCER = {
  recordsPut: counter("producer_records_put", "Items the stream stored."),
  kinesisRecordsPut: counter("producer_kinesis_records_put", "Kinesis records the stream stored (fewer than items when aggregating)."),
  bytesPut: counter("producer_put_bytes", "Data plus partition-key bytes of the Kinesis records stored.", "bytes"),
  recordsFailed: counter("producer_records_failed", "Items given up on (reported by PutFailedError)."),
  retries: counter("producer_retries", "Kinesis records that failed an attempt and were queued to be sent again."),
  throttles: counter("producer_throttles", "Kinesis records refused for throttling."),
  requests: counter("producer_requests", "PutRecords requests sent."),
  errors: counter("producer_errors", "Failed PutRecords entries and requests, by error code."),
  failuresDropped: counter("producer_failures_dropped", "Failures dropped unlisted because more than maxRetainedFailures were waiting."),
  recordsQueued: gauge("producer_records_queued", "Items accepted and not yet stored or failed."),
  failuresRetained: gauge("producer_failures_retained", "Failures waiting for the next flush or close to report them."),
} as const;

/** Add one producer's samples. */
export function addProducer(set: FamilySet, stats: ProducerStats, base: Labels): void {
  set.add(PRODUCER.recordsPut, base, stats.recordsPut);
  set.add(PRODUCER.kinesisRecordsPut, base, stats.kinesisRecordsPut);
  set.add(PRODUCER.bytesPut, base, stats.bytesPut);
  set.add(PRODUCER.recordsFailed, base, stats.recordsFailed);
  set.add(PRODUCER.retries, base, stats.retries);
  set.add(PRODUCER.throttles, base, stats.throttles);
  set.add(PRODUCER.requests, base, stats.requests);
  set.declare(PRODUCER.errors);
  for (const [name, count] of Object.entries(stats.errorsByName)) set.add(PRODUCER.errors, base, count, [["error", name]]);
  set.add(PRODUCER.failuresDropped, base, stats.failuresDropped);
  set.add(PRODUCER.recordsQueued, base, stats.recordsQueued);
  set.add(PRODUCER.failuresRetained, base, stats.failuresRetained);
}
