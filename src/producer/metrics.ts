/** A snapshot of what a producer has done so far, for metrics scrapers (see `Producer.stats()`). */
export interface ProducerStats {
  /** Items (as given to `put`) the stream stored, each counted once (also one re-sent after a reshard). */
  recordsPut: number;
  /** Kinesis records the stream stored: fewer than `recordsPut` when a processor aggregates. */
  kinesisRecordsPut: number;
  /** Data plus partition-key bytes of those Kinesis records (what the service counts). */
  bytesPut: number;
  /** Accepted items given up on: reported by a `PutFailedError` (listed, or counted as dropped). */
  recordsFailed: number;
  /** Kinesis records that failed an attempt and were queued to be sent again. */
  retries: number;
  /** Kinesis records refused for throttling, one per refusal (a whole request throttled counts each of its records). */
  throttles: number;
  /** PutRecords requests sent. */
  requests: number;
  /** Items accepted and not yet stored or failed (aggregating, queued or in flight); at most `maxQueueSize`. */
  recordsQueued: number;
  /** Failures waiting for the next `flush`/`close` to report them; at most `maxRetainedFailures`. */
  failuresRetained: number;
  /** Failures dropped unlisted, oldest first, because more than `maxRetainedFailures` were waiting. */
  failuresDropped: number;
  /**
   * Errors by code: one per failed PutRecords entry (`ProvisionedThroughputExceededException`,
   * `InternalFailure`, KMS codes) and one per failed request (its service code, or `NetworkError`, ...).
   */
  errorsByName: Record<string, number>;
}

/** The counters the delivery engine updates as PutRecords requests go out and come back. */
export class ProducerMetrics {
  recordsPut = 0;
  kinesisRecordsPut = 0;
  bytesPut = 0;
  retries = 0;
  throttles = 0;
  requests = 0;
  readonly errorsByName = new Map<string, number>();

  error(code: string, count = 1): void {
    this.errorsByName.set(code, (this.errorsByName.get(code) ?? 0) + count);
  }
}
