import type { ConsumerStats } from "../consumer/events.ts";
import { ConfigError } from "../errors.ts";
import type { ProducerStats } from "../producer/metrics.ts";
import { addConsumer } from "./consumer-families.ts";
import { FamilySet } from "./family-set.ts";
import { checkName, writeOpenMetrics } from "./openmetrics.ts";
import { addProducer } from "./producer-families.ts";

/** The `Content-Type` to serve `toPrometheus` output with, so Prometheus parses it as OpenMetrics. */
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** One stats snapshot and the labels that set its series apart from other sources' (say `{ consumer: "orders" }`). */
export interface MetricsSource {
  /** `consumer.stats()` or `producer.stats()`. */
  stats: ConsumerStats | ProducerStats;
  /** Constant labels on every series of this source. */
  labels?: Record<string, string> | undefined;
}

/** Options of `toPrometheus`. */
export interface PrometheusOptions {
  /** First part of every metric name (default `kinesis`): `kinesis_consumer_records_fetched_total`. */
  prefix?: string | undefined;
  /** Constant labels on every series (say `{ app: "billing" }`), written before a source's own. */
  labels?: Record<string, string> | undefined;
}

/** Labels the renderer writes itself: a user label of the same name would make series ambiguous. */
const RESERVED_LABELS = new Set(["shard_id", "error"]);
const OPTION_KEYS = new Set(["prefix", "labels"]);

/**
 * Render `consumer.stats()` and/or `producer.stats()` as OpenMetrics text (what Prometheus scrapes;
 * serve it with `OPENMETRICS_CONTENT_TYPE`): records and bytes in and out, lag per shard (kept while
 * a shard's reads fail, beside a `shard_erroring` gauge), throttles, errors by class, leases held and
 * checkpoint writes. Pass an array of `{ stats, labels }` to put several consumers and producers in
 * one exposition. No dependency; cheap enough to call per scrape. Bad names or labels throw `ConfigError`.
 */
export function toPrometheus(stats: ConsumerStats | ProducerStats | readonly MetricsSource[], options: PrometheusOptions = {}): string {
  checkOptions(options);
  const prefix = options.prefix ?? "kinesis";
  checkName(prefix, "prefix");
  const common = labelEntries(options.labels, "labels");
  const sources: readonly MetricsSource[] = Array.isArray(stats) ? stats : [{ stats: stats as ConsumerStats | ProducerStats }];
  const set = new FamilySet(prefix);
  sources.forEach((source, i) => {
    const own = labelEntries(source.labels, `sources[${i}].labels`);
    for (const [name] of own) {
      if (common.some(([other]) => other === name)) throw new ConfigError(`sources[${i}].labels`, `label "${name}" is also in options.labels`);
    }
    const base = [...common, ...own];
    if (isConsumerStats(source.stats)) addConsumer(set, source.stats, base);
    else if (isProducerStats(source.stats)) addProducer(set, source.stats, base);
    else throw new ConfigError(Array.isArray(stats) ? `sources[${i}].stats` : "stats", "expected consumer.stats() or producer.stats()");
  });
  return writeOpenMetrics(set.families());
}

function checkOptions(options: PrometheusOptions): void {
  if (typeof options !== "object" || options === null) throw new ConfigError("toPrometheus", "options must be an object");
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new ConfigError(key, `unknown option of toPrometheus (known: prefix, labels)`);
  }
  if (options.prefix !== undefined && typeof options.prefix !== "string") throw new ConfigError("prefix", "prefix must be a string");
}

function labelEntries(labels: Record<string, string> | undefined, option: string): Array<readonly [string, string]> {
  if (labels === undefined) return [];
  if (typeof labels !== "object" || labels === null) throw new ConfigError(option, "labels must be an object of strings");
  return Object.entries(labels).map(([name, value]) => {
    checkName(name, `${option}.${name}`);
    if (name.startsWith("__")) throw new ConfigError(`${option}.${name}`, "label names starting with __ are reserved");
    if (RESERVED_LABELS.has(name)) throw new ConfigError(`${option}.${name}`, `"${name}" is a label toPrometheus writes itself`);
    if (typeof value !== "string") throw new ConfigError(`${option}.${name}`, "label values must be strings");
    return [name, value] as const;
  });
}

function isConsumerStats(stats: unknown): stats is ConsumerStats {
  return typeof stats === "object" && stats !== null && typeof (stats as ConsumerStats).recordsDelivered === "number" &&
    typeof (stats as ConsumerStats).shards === "object";
}

function isProducerStats(stats: unknown): stats is ProducerStats {
  return typeof stats === "object" && stats !== null && typeof (stats as ProducerStats).recordsPut === "number";
}
