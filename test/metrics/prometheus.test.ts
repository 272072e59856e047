/**
 * `toPrometheus`: consumer and producer stats as OpenMetrics text. One small snapshot is pinned to
 * the exact text; every other output goes through a strict reader of the format (openmetrics-check.ts).
 */
import { describe, expect, it } from "vitest";
import type { ConsumerStats, ShardStats } from "../../src/consumer/events.ts";
import { ConfigError } from "../../src/errors.ts";
import { OPENMETRICS_CONTENT_TYPE, toPrometheus } from "../../src/metrics/prometheus.ts";
import type { ProducerStats } from "../../src/producer/metrics.ts";
import { parseOpenMetrics, valueOf } from "./openmetrics-check.ts";

const shard = (over: Partial<ShardStats>): ShardStats => ({
  millisBehindLatest: undefined,
  millisBehindLatestAt: undefined,
  erroring: false,
  leased: true,
  recordsFetched: 0,
  bytesFetched: 0,
  recordsDelivered: 0,
  kplOutOfRange: 0,
  ...over,
});

const consumerStats: ConsumerStats = {
  recordsDelivered: 7,
  bytesDelivered: 700,
  recordsFetched: 9,
  bytesFetched: 900,
  leasesHeld: 1,
  checkpointWrites: 3,
  throttles: 2,
  errorsByName: { NetworkError: 1 },
  kplOutOfRange: 0,
  queuedRecords: 2,
  queuedBytes: 200,
  queueHighWater: 5,
  queueBytesHighWater: 500,
  shards: {
    "shardId-000000000000": shard({
      millisBehindLatest: 1500,
      millisBehindLatestAt: 1_700_000_000_250,
      erroring: true,
      recordsFetched: 9,
      bytesFetched: 900,
      recordsDelivered: 7,
    }),
    // No longer held: another worker reports this shard now.
    "shardId-000000000001": shard({ millisBehindLatest: 0, millisBehindLatestAt: 1_700_000_000_000, leased: false, recordsFetched: 4 }),
  },
};

const producerStats: ProducerStats = {
  recordsPut: 10,
  kinesisRecordsPut: 4,
  bytesPut: 1234,
  recordsFailed: 1,
  retries: 3,
  throttles: 2,
  requests: 5,
  recordsQueued: 0,
  failuresRetained: 1,
  failuresDropped: 0,
  errorsByName: { ProvisionedThroughputExceededException: 2, InternalFailure: 1 },
};

describe("toPrometheus", () => {
  it("renders a consumer snapshot as exactly this OpenMetrics text (types, units, help, _total, lag of held shards only, # EOF)", () => {
    expect(toPrometheus(consumerStats, { prefix: "app" })).toBe(
      [
        "# TYPE app_consumer_records_fetched counter",
        "# HELP app_consumer_records_fetched Kinesis records read by GetRecords (an aggregate counts once).",
        "app_consumer_records_fetched_total 9",
        "# TYPE app_consumer_fetched_bytes counter",
        "# UNIT app_consumer_fetched_bytes bytes",
        "# HELP app_consumer_fetched_bytes Payload bytes of the Kinesis records read.",
        "app_consumer_fetched_bytes_total 900",
        "# TYPE app_consumer_records_delivered counter",
        "# HELP app_consumer_records_delivered Items handed to the application (each KPL sub-record counts).",
        "app_consumer_records_delivered_total 7",
        "# TYPE app_consumer_delivered_bytes counter",
        "# UNIT app_consumer_delivered_bytes bytes",
        "# HELP app_consumer_delivered_bytes Payload bytes of the items handed to the application, before decoding.",
        "app_consumer_delivered_bytes_total 700",
        "# TYPE app_consumer_throttles counter",
        "# HELP app_consumer_throttles Kinesis calls refused for throttling.",
        "app_consumer_throttles_total 2",
        "# TYPE app_consumer_errors counter",
        "# HELP app_consumer_errors Errors reported (error events), by error class.",
        'app_consumer_errors_total{error="NetworkError"} 1',
        "# TYPE app_consumer_kpl_out_of_range_records counter",
        "# HELP app_consumer_kpl_out_of_range_records KPL sub-records whose hash key lies outside their shard.",
        "app_consumer_kpl_out_of_range_records_total 0",
        "# TYPE app_consumer_checkpoint_writes counter",
        "# HELP app_consumer_checkpoint_writes Checkpoint writes that landed in the store.",
        "app_consumer_checkpoint_writes_total 3",
        "# TYPE app_consumer_leases_held gauge",
        "# HELP app_consumer_leases_held Shard leases this consumer holds.",
        "app_consumer_leases_held 1",
        "# TYPE app_consumer_queued_records gauge",
        "# HELP app_consumer_queued_records Kinesis records read and not yet handed to the application.",
        "app_consumer_queued_records 2",
        "# TYPE app_consumer_queued_bytes gauge",
        "# UNIT app_consumer_queued_bytes bytes",
        "# HELP app_consumer_queued_bytes Payload bytes read and not yet handed to the application.",
        "app_consumer_queued_bytes 200",
        "# TYPE app_consumer_queue_high_water_records gauge",
        "# HELP app_consumer_queue_high_water_records The most Kinesis records the queue has held at once.",
        "app_consumer_queue_high_water_records 5",
        "# TYPE app_consumer_queue_high_water_bytes gauge",
        "# UNIT app_consumer_queue_high_water_bytes bytes",
        "# HELP app_consumer_queue_high_water_bytes The most payload bytes the queue has held at once.",
        "app_consumer_queue_high_water_bytes 500",
        "# TYPE app_consumer_shard_lag_seconds gauge",
        "# UNIT app_consumer_shard_lag_seconds seconds",
        "# HELP app_consumer_shard_lag_seconds MillisBehindLatest of the shard's last page, in seconds; kept while the shard's reads fail.",
        'app_consumer_shard_lag_seconds{shard_id="shardId-000000000000"} 1.5',
        "# TYPE app_consumer_shard_lag_observed_timestamp_seconds gauge",
        "# UNIT app_consumer_shard_lag_observed_timestamp_seconds seconds",
        "# HELP app_consumer_shard_lag_observed_timestamp_seconds When the shard's lag was last reported (Unix time); stops moving while the shard's reads fail.",
        'app_consumer_shard_lag_observed_timestamp_seconds{shard_id="shardId-000000000000"} 1700000000.25',
        "# TYPE app_consumer_shard_erroring gauge",
        "# HELP app_consumer_shard_erroring 1 while the shard's reads fail and are retried, else 0.",
        'app_consumer_shard_erroring{shard_id="shardId-000000000000"} 1',
        "# TYPE app_consumer_shard_records_fetched counter",
        "# HELP app_consumer_shard_records_fetched Kinesis records read from the shard.",
        'app_consumer_shard_records_fetched_total{shard_id="shardId-000000000000"} 9',
        "# TYPE app_consumer_shard_records_delivered counter",
        "# HELP app_consumer_shard_records_delivered Items from the shard handed to the application.",
        'app_consumer_shard_records_delivered_total{shard_id="shardId-000000000000"} 7',
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  it("renders a producer snapshot that a strict reader accepts: records and bytes out, throttles, errors by code", () => {
    const families = parseOpenMetrics(toPrometheus(producerStats));
    expect(families.map((f) => f.name)).toContain("kinesis_producer_records_put");
    expect(valueOf(families, "kinesis_producer_records_put")).toBe(10);
    expect(valueOf(families, "kinesis_producer_kinesis_records_put")).toBe(4);
    expect(valueOf(families, "kinesis_producer_put_bytes")).toBe(1234);
    expect(families.find((f) => f.name === "kinesis_producer_put_bytes")?.unit).toBe("bytes");
    expect(valueOf(families, "kinesis_producer_throttles")).toBe(2);
    expect(valueOf(families, "kinesis_producer_errors", { error: "ProvisionedThroughputExceededException" })).toBe(2);
    expect(valueOf(families, "kinesis_producer_errors", { error: "InternalFailure" })).toBe(1);
    expect(valueOf(families, "kinesis_producer_records_queued")).toBe(0);
    for (const family of families) expect(family.type === "counter" || family.type === "gauge", family.name).toBe(true);
  });

  it("escapes backslashes, double quotes and line feeds in label values", () => {
    const text = toPrometheus({ ...producerStats, errorsByName: {} }, { labels: { app: 'a\\b"c\nd' } });
    expect(text).toContain('kinesis_producer_records_put_total{app="a\\\\b\\"c\\nd"} 10\n');
    expect(valueOf(parseOpenMetrics(text), "kinesis_producer_records_put", { app: 'a\\b"c\nd' })).toBe(10);
  });

  it("puts several consumers and producers in one exposition: one family header each, one # EOF, series told apart by their labels", () => {
    const text = toPrometheus(
      [
        { stats: consumerStats, labels: { consumer: "orders" } },
        { stats: { ...consumerStats, recordsFetched: 1 }, labels: { consumer: "billing" } },
        { stats: producerStats },
      ],
      { labels: { app: "shop" } },
    );
    const families = parseOpenMetrics(text);
    expect(text.match(/^# EOF$/gm)).toHaveLength(1);
    expect(text.match(/^# TYPE kinesis_consumer_records_fetched /gm)).toHaveLength(1);
    expect(valueOf(families, "kinesis_consumer_records_fetched", { app: "shop", consumer: "orders" })).toBe(9);
    expect(valueOf(families, "kinesis_consumer_records_fetched", { app: "shop", consumer: "billing" })).toBe(1);
    expect(valueOf(families, "kinesis_consumer_shard_lag_seconds", { app: "shop", consumer: "billing", shard_id: "shardId-000000000000" })).toBe(1.5);
    expect(valueOf(families, "kinesis_producer_requests", { app: "shop" })).toBe(5);
  });

  it("refuses two sources that would write the same series, bad names, reserved labels and unknown options with ConfigError", () => {
    const refused = (call: () => unknown, option: string): void => {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).option).toBe(option);
    };
    refused(() => toPrometheus([{ stats: consumerStats }, { stats: consumerStats }]), "labels");
    refused(() => toPrometheus(consumerStats, { prefix: "my-app" }), "prefix");
    refused(() => toPrometheus(consumerStats, { prefix: "9lives" }), "prefix");
    refused(() => toPrometheus(consumerStats, { labels: { "bad-name": "x" } }), "labels.bad-name");
    refused(() => toPrometheus(consumerStats, { labels: { shard_id: "x" } }), "labels.shard_id");
    refused(() => toPrometheus(consumerStats, { labels: { __name__: "x" } }), "labels.__name__");
    refused(() => toPrometheus([{ stats: consumerStats, labels: { app: "a" } }], { labels: { app: "b" } }), "sources[0].labels");
    refused(() => toPrometheus(consumerStats, { prefx: "x" } as never), "prefx");
    refused(() => toPrometheus({ nothing: 1 } as never), "stats");
  });

  it("the strict reader used here refuses what a scraper would: a counter sample without _total, a unit not in the name, a missing # EOF, a duplicate series", () => {
    const ok = "# TYPE a_bytes counter\n# UNIT a_bytes bytes\na_bytes_total 1\n# EOF\n";
    expect(parseOpenMetrics(ok)).toHaveLength(1);
    expect(() => parseOpenMetrics(ok.replace("a_bytes_total", "a_bytes"))).toThrow(/must be a_bytes_total/);
    expect(() => parseOpenMetrics(ok.replace("# UNIT a_bytes bytes", "# UNIT a_bytes seconds"))).toThrow(/suffix/);
    expect(() => parseOpenMetrics(ok.replace("# EOF\n", ""))).toThrow(/EOF/);
    expect(() => parseOpenMetrics(ok.replace("a_bytes_total 1\n", "a_bytes_total 1\na_bytes_total 2\n"))).toThrow(/duplicate/);
    expect(() => parseOpenMetrics(ok.replace("a_bytes_total 1", 'a_bytes_total{x="\\q"} 1'))).toThrow(/bad escape/);
  });

  it("says which content type to serve the text with", () => {
    expect(OPENMETRICS_CONTENT_TYPE).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
  });
});
