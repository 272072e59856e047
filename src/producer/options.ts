import * as v from "valibot";
import { clientOptionEntries, type ClientOptions, DEFAULT_MAX_ATTEMPTS } from "../aws/client-options.ts";
import { abortSignal, parseOptions, positiveInteger, seconds } from "../config/validate.ts";
import type { Processor } from "../processors/types.ts";
import { MAX_BATCH_RECORDS } from "./batcher.ts";

/** What one PutRecords request did, given to `afterFlush`. */
export interface FlushStats {
  /** Kinesis records in the request. */
  records: number;
  /** User items in them (more than `records` when a processor aggregates). */
  userRecords: number;
  /** Data plus partition-key bytes sent. */
  bytes: number;
  /** Kinesis records the stream stored. */
  delivered: number;
  /** Records that failed this time and will be sent again. */
  retrying: number;
  /** Records given up on (persistent error, or out of attempts). */
  failed: number;
  /** Records refused for throttling (a subset of `retrying` and `failed`). */
  throttled: number;
  /** Distinct shards the request wrote to (as predicted by the shard map). */
  shards: number;
  /** Milliseconds the request took. */
  durationMs: number;
  /** The error code when the whole request failed (throttling, 5xx, network, access denied, ...). */
  requestError?: string;
}

/** Options of `new Producer()`; only `streamName` is required. Invalid values throw `ConfigError` from the constructor. */
export interface ProducerOptions<T = unknown> extends ClientOptions {
  /** Stream name or ARN. */
  streamName: string;
  /** Item encoding, and aggregation; default `JsonProcessor`. */
  processor?: Processor<T> | undefined;
  /**
   * Seconds an item may wait for a fuller batch before it is sent (default 0.5). With `sendWhenIdle`
   * (the default) that wait happens only while another request is in flight.
   */
  bufferTime?: number | undefined;
  /**
   * Send at once when no PutRecords request is in flight and the shard's budget allows, instead of
   * waiting `bufferTime` for a fuller batch (default true). Items put while a request is in flight wait
   * for it (or `bufferTime`, or a full batch) and then go together: a lone item goes out after one
   * round trip at most, and a busy producer still sends full requests. `false` always waits
   * `bufferTime` or a full batch: fewest requests at moderate rates, at the cost of that much latency.
   */
  sendWhenIdle?: boolean | undefined;
  /** Most Kinesis records per PutRecords request, 1 to 500 (default 500). */
  batchSize?: number | undefined;
  /** Items accepted but not yet delivered before `put` starts to wait (default 10000). */
  maxQueueSize?: number | undefined;
  /** Records per second per shard (default 1000, the service limit). */
  putRateLimitPerShard?: number | undefined;
  /** KB (1024 bytes) per second per shard (default 1024, the service limit). */
  putBandwidthLimitPerShard?: number | undefined;
  /**
   * Keep each partition key's order even when PutRecords fails some entries and not others: a request
   * then carries at most one record per key and shard. Without it order is kept except around such
   * partial failures. Use an aggregating processor (KPL) for many records per key per second.
   */
  ordered?: boolean | undefined;
  /** PutRecords requests in flight at once (default 8). */
  concurrency?: number | undefined;
  /**
   * Failed items kept for the next `flush`/`close` to report (default 1000). Past it the oldest are
   * dropped, and that `PutFailedError` counts them in `droppedFailures`.
   */
  maxRetainedFailures?: number | undefined;
  /** Called after every PutRecords request. Errors it throws are ignored. */
  afterFlush?: ((stats: FlushStats) => void | Promise<void>) | undefined;
  /** Aborting it stops the producer at once; what was not delivered is reported by `flush`/`close`. */
  signal?: AbortSignal | undefined;
}

const positiveNumber = (label: string) =>
  v.pipe(v.number(`${label} must be a number above 0`), v.finite(`${label} must be finite`), v.gtValue(0, `${label} must be > 0`));

/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const schema = v.object({
  ...clientOptionEntries,
  streamName: v.pipe(v.string("streamName must be a string"), v.minLength(1, "streamName must not be empty")),
  processor: v.optional(
    v.custom<Processor>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        typeof (value as Processor).aggregator === "function" &&
        typeof (value as Processor).parse === "function",
      "processor must have parse() and aggregator()",
    ),
  ),
  bufferTime: v.optional(seconds("bufferTime")),
  sendWhenIdle: v.optional(v.boolean("sendWhenIdle must be a boolean")),
  batchSize: v.optional(
    v.pipe(positiveInteger("batchSize"), v.maxValue(MAX_BATCH_RECORDS, `batchSize must be <= ${MAX_BATCH_RECORDS} (the PutRecords limit)`)),
  ),
  maxQueueSize: v.optional(positiveInteger("maxQueueSize")),
  putRateLimitPerShard: v.optional(positiveNumber("putRateLimitPerShard")),
  putBandwidthLimitPerShard: v.optional(positiveNumber("putBandwidthLimitPerShard")),
  ordered: v.optional(v.boolean("ordered must be a boolean")),
  concurrency: v.optional(positiveInteger("concurrency")),
  maxRetainedFailures: v.optional(positiveInteger("maxRetainedFailures")),
  afterFlush: v.optional(v.custom<(stats: FlushStats) => unknown>((x) => typeof x === "function", "afterFlush must be a function")),
  signal: v.optional(abortSignal),
});

export interface ResolvedProducerOptions {
  streamName: string;
  bufferTimeMs: number;
  sendWhenIdle: boolean;
  batchSize: number;
  maxQueueSize: number;
  recordsPerSecond: number;
  bytesPerSecond: number;
  ordered: boolean;
  concurrency: number;
  maxAttempts: number;
  maxRetainedFailures: number;
}

export const DEFAULT_MAX_RETAINED_FAILURES = 1000;

/** Validate (throwing `ConfigError` naming the option) and fill in the defaults. */
export function resolveProducerOptions(options: ProducerOptions<unknown>): ResolvedProducerOptions {
  const parsed = parseOptions(schema, options, "Producer");
  return {
    streamName: parsed.streamName,
    bufferTimeMs: (parsed.bufferTime ?? 0.5) * 1000,
    sendWhenIdle: parsed.sendWhenIdle ?? true,
    batchSize: parsed.batchSize ?? MAX_BATCH_RECORDS,
    maxQueueSize: parsed.maxQueueSize ?? 10_000,
    recordsPerSecond: parsed.putRateLimitPerShard ?? 1000,
    bytesPerSecond: (parsed.putBandwidthLimitPerShard ?? 1024) * 1024,
    ordered: parsed.ordered ?? false,
    concurrency: parsed.concurrency ?? 8,
    maxAttempts: parsed.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    maxRetainedFailures: parsed.maxRetainedFailures ?? DEFAULT_MAX_RETAINED_FAILURES,
  };
}
