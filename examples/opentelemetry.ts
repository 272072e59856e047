/**
 * OpenTelemetry metrics for async-kinesis: observable instruments fed from `consumer.stats()` and
 * `producer.stats()`. One batch callback reads each snapshot once per collection, so the library
 * counts nothing extra and nothing runs between scrapes. Works with any meter provider (the OTel
 * SDK with an OTLP or Prometheus exporter); only `@opentelemetry/api` is imported here.
 *
 *   import { observeKinesis } from "./opentelemetry.ts";
 *   const stop = observeKinesis({ consumer, producer, attributes: { "kinesis.stream": "orders" } });
 *   // ... on shutdown, after consumer.close(): stop();
 *
 * See docs/metrics.md for what each instrument means, and toPrometheus() for a scrape endpoint
 * without OpenTelemetry.
 */
import { type Attributes, type BatchObservableResult, type Meter, metrics, type Observable, ValueType } from "@opentelemetry/api";
import type { ConsumerStats, ProducerStats } from "async-kinesis";

export interface KinesisMetricsOptions {
  /** A `Consumer` (anything with its `stats()`). */
  consumer?: { stats(): ConsumerStats } | undefined;
  /** A `Producer` (anything with its `stats()`). */
  producer?: { stats(): ProducerStats } | undefined;
  /** Attributes on every observation, e.g. the stream or the application. */
  attributes?: Attributes | undefined;
  /** Default: the global meter provider's meter "async-kinesis". */
  meter?: Meter | undefined;
}

/** Register the instruments; returns a function that unregisters them. */
export function observeKinesis(options: KinesisMetricsOptions): () => void {
  const meter = options.meter ?? metrics.getMeter("async-kinesis");
  const base: Attributes = options.attributes ?? {};
  const counter = (name: string, description: string, unit: string): Observable =>
    meter.createObservableCounter(name, { description, unit, valueType: ValueType.INT });
  const gauge = (name: string, description: string, unit: string, valueType = ValueType.INT): Observable =>
    meter.createObservableGauge(name, { description, unit, valueType });

  const consumer = options.consumer === undefined ? undefined : {
    recordsFetched: counter("kinesis.consumer.records.fetched", "Kinesis records read by GetRecords", "{record}"),
    bytesFetched: counter("kinesis.consumer.bytes.fetched", "Payload bytes of the records read", "By"),
    recordsDelivered: counter("kinesis.consumer.records.delivered", "Items handed to the application", "{record}"),
    bytesDelivered: counter("kinesis.consumer.bytes.delivered", "Payload bytes of the items handed to the application", "By"),
    throttles: counter("kinesis.consumer.throttles", "Kinesis calls refused for throttling", "{call}"),
    errors: counter("kinesis.consumer.errors", "Errors reported, by error class (error.type)", "{error}"),
    checkpointWrites: counter("kinesis.consumer.checkpoint.writes", "Checkpoint writes that landed in the store", "{write}"),
    leasesHeld: gauge("kinesis.consumer.leases.held", "Shard leases this consumer holds", "{lease}"),
    queuedRecords: gauge("kinesis.consumer.queue.records", "Records read and not yet handed to the application", "{record}"),
    shardLag: gauge("kinesis.consumer.shard.lag", "MillisBehindLatest of the shard's last page, kept while its reads fail", "s", ValueType.DOUBLE),
    shardErroring: gauge("kinesis.consumer.shard.erroring", "1 while the shard's reads fail and are retried", "1"),
  };
  const producer = options.producer === undefined ? undefined : {
    recordsPut: counter("kinesis.producer.records.put", "Items the stream stored", "{record}"),
    bytesPut: counter("kinesis.producer.bytes.put", "Data plus partition-key bytes stored", "By"),
    recordsFailed: counter("kinesis.producer.records.failed", "Items given up on", "{record}"),
    throttles: counter("kinesis.producer.throttles", "Kinesis records refused for throttling", "{record}"),
    requests: counter("kinesis.producer.requests", "PutRecords requests sent", "{request}"),
    errors: counter("kinesis.producer.errors", "Failed entries and requests, by error code (error.type)", "{error}"),
    recordsQueued: gauge("kinesis.producer.queue.records", "Items accepted and not yet stored or failed", "{record}"),
  };

  const callback = (result: BatchObservableResult): void => {
    if (options.consumer !== undefined && consumer !== undefined) {
      const stats = options.consumer.stats();
      result.observe(consumer.recordsFetched, stats.recordsFetched, base);
      result.observe(consumer.bytesFetched, stats.bytesFetched, base);
      result.observe(consumer.recordsDelivered, stats.recordsDelivered, base);
      result.observe(consumer.bytesDelivered, stats.bytesDelivered, base);
      result.observe(consumer.throttles, stats.throttles, base);
      for (const [type, count] of Object.entries(stats.errorsByName)) result.observe(consumer.errors, count, { ...base, "error.type": type });
      result.observe(consumer.checkpointWrites, stats.checkpointWrites, base);
      result.observe(consumer.leasesHeld, stats.leasesHeld, base);
      result.observe(consumer.queuedRecords, stats.queuedRecords, base);
      // Only shards held now: another worker reports the others.
      for (const [shardId, shard] of Object.entries(stats.shards)) {
        if (!shard.leased) continue;
        const attributes = { ...base, "kinesis.shard.id": shardId };
        if (shard.millisBehindLatest !== undefined) result.observe(consumer.shardLag, shard.millisBehindLatest / 1000, attributes);
        result.observe(consumer.shardErroring, shard.erroring ? 1 : 0, attributes);
      }
    }
    if (options.producer !== undefined && producer !== undefined) {
      const stats = options.producer.stats();
      result.observe(producer.recordsPut, stats.recordsPut, base);
      result.observe(producer.bytesPut, stats.bytesPut, base);
      result.observe(producer.recordsFailed, stats.recordsFailed, base);
      result.observe(producer.throttles, stats.throttles, base);
      result.observe(producer.requests, stats.requests, base);
      for (const [type, count] of Object.entries(stats.errorsByName)) result.observe(producer.errors, count, { ...base, "error.type": type });
      result.observe(producer.recordsQueued, stats.recordsQueued, base);
    }
  };
  const observables = [...Object.values(consumer ?? {}), ...Object.values(producer ?? {})];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
