import * as v from "valibot";
import { clientOptionEntries, type ClientOptions } from "../aws/client-options.ts";
import type { CheckPointer } from "../checkpointers/types.ts";
import { abortSignal, parseOptions, positiveInteger, seconds } from "../config/validate.ts";
import { ConfigError, type DecodeError } from "../errors.ts";
import type { Processor } from "../processors/types.ts";
import type { ConsumerEvent } from "./events.ts";
import type { StopAfter } from "./step-budget.ts";
import type { StreamDiscovery } from "./stream-list.ts";
import { type FanOutOptions, fanOutSchema } from "./fan-out-options.ts";

/** Where a shard with no checkpoint starts: its oldest record, new records only, or `startTimestamp`. */
export type ConsumerIteratorType = "TRIM_HORIZON" | "LATEST" | "AT_TIMESTAMP";

/**
 * What to do with a record whose payload cannot be decoded: `"throw"` (default) rejects the
 * iterator's `next()` with the `DecodeError` (iterate again to go on past it), `"skip"` drops it with
 * an event, a function decides per error.
 */
export type DecodeErrorPolicy = "throw" | "skip" | ((error: DecodeError) => "throw" | "skip");

/**
 * KPL sub-records whose hash key lies outside the shard that holds their aggregate: `"deliver"`
 * (default: no loss with producers that aggregate many keys per record) or `"drop"` (the KCL's way,
 * for producers that re-send misrouted sub-records to the right shard). Both count and emit an event.
 */
export type KplHashRangeCheck = "deliver" | "drop";

/**
 * Options of `new Consumer()`; only `streamName` (one stream) or `streams` (several) is required. Invalid
 * values throw `ConfigError` from the constructor.
 */
export interface ConsumerOptions<T = unknown> extends ClientOptions {
  /** Stream name or ARN. Required unless `streams` is given (not both). */
  streamName?: string | undefined;
  /**
   * Several streams read by one consumer (instead of `streamName`): names or ARNs, each once; or a
   * function returning them, asked again every `streamDiscoveryInterval` seconds (streams it stops naming
   * are removed, new ones added). Records tell their stream (`streamName`); see "Several streams" in docs/consumer.md.
   */
  streams?: readonly string[] | StreamDiscovery | undefined;
  /** With `streams` as a function: seconds between calls to it (default 60). */
  streamDiscoveryInterval?: number | undefined;
  /** Leases and checkpoints; default a private `MemoryCheckPointer`. */
  checkpointer?: CheckPointer | undefined;
  /** Payload decoding; default `JsonProcessor`. KPL aggregates are unpacked before it runs. */
  processor?: Processor<T> | undefined;
  /** Where to start a shard that has no checkpoint (default TRIM_HORIZON). */
  iteratorType?: ConsumerIteratorType | undefined;
  /**
   * With `iteratorType: "AT_TIMESTAMP"` (and only then): where to start, as a Date or epoch **seconds**
   * (a number that looks like milliseconds, e.g. `Date.now()`, is a ConfigError).
   */
  timestamp?: Date | number | undefined;
  /** Kinesis records held between the readers and the iterator (default 10000). */
  maxQueueSize?: number | undefined;
  /** Payload bytes held between the readers and the iterator (default 64 MiB); see the README. */
  maxQueueBytes?: number | undefined;
  /** GetRecords `Limit` (default 10000, the service maximum). */
  recordLimit?: number | undefined;
  /**
   * GetRecords calls per second per shard, at most 5 (default 5, the service limit). The limit is the
   * shard's, shared by every consumer group reading it: with several groups on one stream, give each a
   * share (two groups: 2.5 each), or use enhanced fan-out. A throttled call is retried with backoff.
   */
  shardFetchRate?: number | undefined;
  /** Seconds to wait after an empty GetRecords page (default 1 / shardFetchRate). */
  sleepTimeNoRecords?: number | undefined;
  /** End iteration after this many seconds without a record (default: run until closed). */
  idleTimeout?: number | undefined;
  /**
   * A bounded step: end iteration at whichever bound comes first — items yielded, seconds since
   * construction, HTTP requests (Kinesis and the checkpointer's, closing included) — then `close()`
   * commits and releases so the next step, anywhere, resumes after the last item. See docs/edge.md.
   */
  stopAfter?: StopAfter | undefined;
  /** Most shards this consumer reads at once (default: no limit). */
  maxShardConsumers?: number | undefined;
  /**
   * This worker's byte budget (default: none): it takes no shard whose recent throughput, as the lease
   * rows record it, would put it over this many bytes per second, unless no other live worker could take
   * it within the same budget; it asks for no handoff past it. See docs/consumer.md, "Balance by load".
   */
  maxBytesPerSecond?: number | undefined;
  /** Seconds between ListShards refreshes to find new shards (default 30). */
  shardRefreshInterval?: number | undefined;
  /** Decode failures: "throw" (default), "skip", or a function choosing per error. */
  onDecodeError?: DecodeErrorPolicy | undefined;
  /** KPL sub-records outside the shard's hash range: "deliver" (default) or "drop" (as the KCL). Counted either way. */
  kplHashRangeCheck?: KplHashRangeCheck | undefined;
  /** Observe what the consumer does (shards, leases, throttles, errors, deliveries). Never throws into the consumer. */
  onEvent?: ((event: ConsumerEvent) => void) | undefined;
  /** Aborting it closes the consumer. */
  signal?: AbortSignal | undefined;
  /**
   * Close on SIGINT / SIGTERM (Node, Bun, Deno), releasing the leases at once, then let the signal's
   * default action proceed (the process ends). Default false. See src/consumer/signals.ts.
   */
  handleSignals?: boolean | undefined;
  /** Read with enhanced fan-out (SubscribeToShard, HTTP/2) as this registered stream consumer instead of polling; see docs/fan-out.md. */
  fanOut?: FanOutOptions | undefined;
}

/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const schema = v.object({
  ...clientOptionEntries,
  streamName: v.optional(
    v.pipe(v.string("streamName must be a string (to read several streams, give streams: [...])"), v.minLength(1, "streamName must not be empty")),
  ),
  streams: v.optional(
    v.custom<readonly string[] | StreamDiscovery>(
      (value) => Array.isArray(value) || typeof value === "function",
      "streams must be an array of stream names or ARNs, or a function returning them",
    ),
  ),
  streamDiscoveryInterval: v.optional(v.pipe(seconds("streamDiscoveryInterval"), v.gtValue(0, "streamDiscoveryInterval must be > 0"))),
  checkpointer: v.optional(
    v.custom<CheckPointer>(
      (value) => typeof value === "object" && value !== null && typeof (value as CheckPointer).start === "function",
      "checkpointer must be a checkpointer (MemoryCheckPointer, DynamoDBCheckPointer, RedisCheckPointer)",
    ),
  ),
  processor: v.optional(
    v.custom<Processor>(
      (value) => typeof value === "object" && value !== null && typeof (value as Processor).parse === "function",
      "processor must have parse() and aggregator()",
    ),
  ),
  iteratorType: v.optional(
    v.picklist(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"], "iteratorType must be TRIM_HORIZON, LATEST or AT_TIMESTAMP"),
  ),
  timestamp: v.optional(v.union([v.date(), seconds("timestamp")], "timestamp must be a Date or epoch seconds")),
  maxQueueSize: v.optional(positiveInteger("maxQueueSize")),
  maxQueueBytes: v.optional(positiveInteger("maxQueueBytes")),
  recordLimit: v.optional(v.pipe(positiveInteger("recordLimit"), v.maxValue(10000, "recordLimit must be <= 10000"))),
  shardFetchRate: v.optional(
    v.pipe(
      v.number("shardFetchRate must be a number of calls per second, above 0 and at most 5"),
      v.gtValue(0, "shardFetchRate must be > 0"),
      v.maxValue(5, "shardFetchRate must be <= 5 (the service limit)"),
    ),
  ),
  sleepTimeNoRecords: v.optional(seconds("sleepTimeNoRecords")),
  idleTimeout: v.optional(v.pipe(seconds("idleTimeout"), v.gtValue(0, "idleTimeout must be > 0"))),
  stopAfter: v.optional(
    v.pipe(
      v.object(
        {
          records: v.optional(positiveInteger("stopAfter.records")),
          seconds: v.optional(v.pipe(seconds("stopAfter.seconds"), v.gtValue(0, "stopAfter.seconds must be > 0"))),
          requests: v.optional(positiveInteger("stopAfter.requests")),
        },
        "stopAfter must be an object with records, seconds or requests",
      ),
      v.check(
        (bounds) => bounds.records !== undefined || bounds.seconds !== undefined || bounds.requests !== undefined,
        "stopAfter needs records, seconds or requests",
      ),
    ),
  ),
  maxShardConsumers: v.optional(positiveInteger("maxShardConsumers")),
  maxBytesPerSecond: v.optional(
    v.pipe(
      v.number("maxBytesPerSecond must be a number of bytes per second"),
      v.finite("maxBytesPerSecond must be finite"),
      v.gtValue(0, "maxBytesPerSecond must be > 0"),
    ),
  ),
  shardRefreshInterval: v.optional(v.pipe(seconds("shardRefreshInterval"), v.gtValue(0, "shardRefreshInterval must be > 0"))),
  onDecodeError: v.optional(
    v.union(
      [v.picklist(["throw", "skip"]), v.custom<(e: DecodeError) => "throw" | "skip">((x) => typeof x === "function")],
      'onDecodeError must be "throw", "skip" or a function',
    ),
  ),
  kplHashRangeCheck: v.optional(v.picklist(["deliver", "drop"], 'kplHashRangeCheck must be "deliver" or "drop"')),
  onEvent: v.optional(v.custom<(event: ConsumerEvent) => void>((x) => typeof x === "function", "onEvent must be a function")),
  signal: v.optional(abortSignal),
  handleSignals: v.optional(v.boolean("handleSignals must be a boolean")),
  fanOut: v.optional(fanOutSchema),
});

export interface ResolvedConsumerOptions {
  iteratorType: ConsumerIteratorType;
  timestamp: Date | undefined;
  maxQueueSize: number;
  maxQueueBytes: number;
  recordLimit: number;
  fetchIntervalMs: number;
  idleSleepMs: number;
  idleTimeoutMs: number | undefined;
  stopAfter: StopAfter | undefined;
  maxShardConsumers: number;
  /** Infinity when not set. */
  maxBytesPerSecond: number;
  shardRefreshMs: number;
  onDecodeError: DecodeErrorPolicy;
  kplHashRangeCheck: KplHashRangeCheck;
}

/** GetRecords calls per second per shard the service allows, across all consumers of the shard. */
export const MAX_SHARD_FETCH_RATE = 5;

/** 64 records of the service's 1 MiB maximum, or 6 of the 10 MiB newer streams accept. */
const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;

/**
 * Epoch seconds beyond this (the year 5138) are taken for milliseconds passed by mistake: `Date.now()`
 * is about 1.8e12, a thousand times any date a stream can hold, and the service would answer with a
 * less helpful error only once the consumer starts.
 */
const MAX_PLAUSIBLE_EPOCH_SECONDS = 1e11;

export function resolveConsumerOptions(options: ConsumerOptions<unknown>): ResolvedConsumerOptions {
  const parsed = parseOptions(schema, options, "Consumer");
  const iteratorType = parsed.iteratorType ?? "TRIM_HORIZON";
  if (iteratorType === "AT_TIMESTAMP" && parsed.timestamp === undefined) {
    throw new ConfigError("timestamp", 'is required when iteratorType is "AT_TIMESTAMP": give a Date or epoch seconds');
  }
  if (iteratorType !== "AT_TIMESTAMP" && parsed.timestamp !== undefined) {
    // Silently ignoring it would start the consumer somewhere the user did not ask for.
    throw new ConfigError(
      "timestamp",
      `applies only with iteratorType "AT_TIMESTAMP" (it is "${iteratorType}"): add iteratorType: "AT_TIMESTAMP", or remove timestamp`,
    );
  }
  if (typeof parsed.timestamp === "number" && parsed.timestamp > MAX_PLAUSIBLE_EPOCH_SECONDS) {
    throw new ConfigError(
      "timestamp",
      `${parsed.timestamp} looks like milliseconds, but a number is epoch seconds: write ${Math.floor(parsed.timestamp / 1000)} (ms / 1000) or a Date`,
    );
  }
  const timestamp = parsed.timestamp === undefined ? undefined : parsed.timestamp instanceof Date ? parsed.timestamp : new Date(parsed.timestamp * 1000);
  // The service's maximum: polling puts a floor of half an interval (p50) to a whole one (p99) under
  // put → yield latency, 100 / 200 ms at 5 per second, and the reader paces from the end of each call,
  // so the shard never sees more than 5 a second (see ShardReader).
  const fetchRate = parsed.shardFetchRate ?? MAX_SHARD_FETCH_RATE;
  const fetchIntervalMs = 1000 / fetchRate;
  return {
    iteratorType,
    timestamp,
    maxQueueSize: parsed.maxQueueSize ?? 10000,
    maxQueueBytes: parsed.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
    recordLimit: parsed.recordLimit ?? 10000,
    fetchIntervalMs,
    idleSleepMs: parsed.sleepTimeNoRecords === undefined ? fetchIntervalMs : Math.max(fetchIntervalMs, parsed.sleepTimeNoRecords * 1000),
    idleTimeoutMs: parsed.idleTimeout === undefined ? undefined : parsed.idleTimeout * 1000,
    stopAfter: parsed.stopAfter,
    maxShardConsumers: parsed.maxShardConsumers ?? Number.POSITIVE_INFINITY,
    maxBytesPerSecond: parsed.maxBytesPerSecond ?? Number.POSITIVE_INFINITY,
    shardRefreshMs: (parsed.shardRefreshInterval ?? 30) * 1000,
    onDecodeError: parsed.onDecodeError ?? "throw",
    kplHashRangeCheck: parsed.kplHashRangeCheck ?? "deliver",
  };
}
