import { performance } from "node:perf_hooks";
import { KinesisClient } from "../src/aws/index.ts";
import { Consumer, type ConsumerOptions, Producer, type ProducerOptions } from "../src/index.ts";
import { startLocalServers } from "../test/support/local-servers.ts";
import { type BenchContext, benchCredentials, type Measurement } from "./context.ts";
import type { Row } from "./table.ts";

/**
 * put → yield latency at a steady 100 records/s (issue 11 §6): a Producer puts one ~100-byte JSON
 * record every 10 ms into a 1-shard stream on kinesalite (in process), a Consumer yields them; each
 * record carries its `put` time, so latency = yield time − put-call time. Both run with default
 * options (the row that has the targets: p50 ≤ 120 ms, p99 ≤ 250 ms, never more than 5
 * GetRecords/s/shard, as a rate over the run and as the most calls in any 1-second window); the
 * previous defaults and a two-consumer-group share of the shard follow as extra rows, judged by the
 * same numbers.
 *
 * Through injected `fetch`es, each record's path is split in three: in the producer's buffer (put call
 * → the PutRecords carrying it is sent), the PutRecords round trip, and stored → yielded (waiting for
 * the consumer's next GetRecords, the call, decoding and the queue). GetRecords calls are counted
 * by their start time; the rate reported is the most calls that started in any sliding 1-second window.
 */
export const latency: Measurement = {
  id: "latency",
  async run(context: BenchContext) {
    const seconds = context.quick ? 6 : 30;
    const candidateSeconds = context.quick ? 4 : 15;
    const runs: Array<{ label: string; producer: ProducerTuning; consumer: ConsumerTuning; seconds: number }> = [
      { label: "default options", producer: {}, consumer: {}, seconds },
      // What the defaults were before issue 11 §6, on the same machine and run.
      { label: "sendWhenIdle false, shardFetchRate 4", producer: { sendWhenIdle: false }, consumer: { shardFetchRate: 4 }, seconds: candidateSeconds },
      // Two consumer groups sharing the shard's 5 GetRecords a second, as the docs advise.
      { label: "shardFetchRate 2.5", producer: {}, consumer: { shardFetchRate: 2.5 }, seconds: candidateSeconds },
    ];
    const results: Array<{ label: string; result: LatencyRun }> = [];
    for (const run of runs) {
      const result = await measure(run.producer, run.consumer, run.seconds);
      context.log(
        `latency (${run.label}): p50 ${result.latency.p50.toFixed(0)} ms, p99 ${result.latency.p99.toFixed(0)} ms, ` +
          `${result.getRecordsPerSecond.toFixed(2)} GetRecords/s over the run, at most ${result.maxGetRecordsPerSecond} in any second, ` +
          `${result.delivered}/${result.put} delivered`,
      );
      results.push({ label: run.label, result });
    }
    const rows: Row[] = results.flatMap(({ label, result }) => [
      { name: `p50 put → yield (${label})`, unit: "ms", better: "lower", ours: result.latency.p50, baseline: TARGET_P50_MS, target: 1 },
      { name: `p99 put → yield (${label})`, unit: "ms", better: "lower", ours: result.latency.p99, baseline: TARGET_P99_MS, target: 1 },
      {
        name: `GetRecords/s/shard over the run (${label})`,
        unit: "calls/s",
        better: "lower",
        ours: result.getRecordsPerSecond,
        baseline: MAX_GET_RECORDS_PER_SECOND,
        target: 1,
      },
      {
        name: `most GetRecords/shard in any 1-s window (${label})`,
        unit: "calls",
        better: "lower",
        ours: result.maxGetRecordsPerSecond,
        baseline: MAX_GET_RECORDS_PER_SECOND,
        target: 1,
      },
    ]);
    const notes = [
      `1-shard stream on kinesalite in this process; one Producer and one Consumer (MemoryCheckPointer, TRIM_HORIZON), ${RATE} records/s of ~100-byte JSON for ${seconds} s (candidates: ${candidateSeconds} s); the first ${
        WARM_UP_MS / 1000
      } s of records (stream lookup, first connections) are left out. "target" is the issue's bound; "≥1× met" means at or under it.`,
      verdict(results[0]!.result),
      ...results.map(({ label, result }) => {
        const s = result.stages;
        return (
          `${label}: ${result.delivered} of ${result.put} records yielded, ${result.putRequests} PutRecords (${
            (result.put / Math.max(1, result.putRequests)).toFixed(1)
          } records each), ` +
          `${result.getRecordsCalls} GetRecords (${result.getRecordsPerSecond.toFixed(2)}/s, ${result.emptyPages} empty, shortest gap between two ${
            result.shortestGetRecordsGapMs.toFixed(1)
          } ms). ` +
          `Where the time goes, p50 / p99 ms: buffered in the producer ${fmt(s.buffered)}, PutRecords round trip ${fmt(s.putRoundTrip)}, stored → yielded ${
            fmt(s.storedToYield)
          }.`
        );
      }),
    ];
    return [{ title: `Latency: put → yield at a steady ${RATE} records/s (kinesalite)`, baseline: "target", rows, notes }];
  },
};

export const RATE = 100;
export const WARM_UP_MS = 2000;

/**
 * Puts `total` records of ~100 bytes at a steady RATE a second, then flushes. The i-th put is due at
 * start + i / RATE, so a late tick does not push the rest back. Shared by the polling and fan-out rows.
 */
export async function putSteadily<T>(
  producer: { put(item: T, partitionKey: string): Promise<void>; flush(): Promise<unknown> },
  total: number,
  item: (i: number, pad: string) => T,
): Promise<void> {
  const start = performance.now();
  const puts: Array<Promise<void>> = [];
  const pad = "x".repeat(60);
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    puts.push(producer.put(item(i, pad), `pk-${i % 1000}`));
  }
  await Promise.all(puts);
  await producer.flush();
}
const TARGET_P50_MS = 120;
const TARGET_P99_MS = 250;
const MAX_GET_RECORDS_PER_SECOND = 5;
const STREAM = "bench-latency";

/** The only options a run changes from the defaults. */
type ProducerTuning = Pick<ProducerOptions<Item>, "bufferTime" | "sendWhenIdle">;
type ConsumerTuning = Pick<ConsumerOptions<Item>, "shardFetchRate" | "sleepTimeNoRecords">;

interface Percentiles {
  p50: number;
  p99: number;
}

interface LatencyRun {
  seconds: number;
  put: number;
  delivered: number;
  latency: Percentiles;
  stages: { buffered: Percentiles; putRoundTrip: Percentiles; storedToYield: Percentiles };
  putRequests: number;
  getRecordsCalls: number;
  /** Calls over the time from the first GetRecords start to the last (the whole run's rate). */
  getRecordsPerSecond: number;
  emptyPages: number;
  maxGetRecordsPerSecond: number;
  shortestGetRecordsGapMs: number;
}

interface Item {
  i: number;
  /** performance.now() at the `put` call. */
  t: number;
  pad: string;
}

/** Whether a run met all three of the bounds, said in one line for the notes. */
function verdict(run: LatencyRun): string {
  const met = run.latency.p50 <= TARGET_P50_MS && run.latency.p99 <= TARGET_P99_MS && run.maxGetRecordsPerSecond <= MAX_GET_RECORDS_PER_SECOND;
  return `Default options: target ${met ? "MET" : "NOT MET"} (p50 ${run.latency.p50.toFixed(0)} ≤ ${TARGET_P50_MS} ms, p99 ${
    run.latency.p99.toFixed(0)
  } ≤ ${TARGET_P99_MS} ms, at most ${run.maxGetRecordsPerSecond} ≤ ${MAX_GET_RECORDS_PER_SECOND} GetRecords in any second; ${
    run.getRecordsPerSecond.toFixed(2)
  }/s over the run).`;
}

function fmt(p: Percentiles): string {
  return `${p.p50.toFixed(0)} / ${p.p99.toFixed(0)}`;
}

/** Nearest-rank percentile. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

/** Timestamps (ms, ascending) per second from the first to the last: n − 1 gaps over their span. */
function ratePerSecond(starts: readonly number[]): number {
  if (starts.length < 2) return Number.NaN;
  return ((starts.length - 1) * 1000) / (starts[starts.length - 1]! - starts[0]!);
}

/** The most timestamps (ms, ascending) inside any 1-second window. */
function maxPerSecond(starts: readonly number[]): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < starts.length; to++) {
    while (starts[to]! - starts[from]! >= 1000) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

function target(init: RequestInit | undefined): string {
  const value = new Headers(init?.headers).get("x-amz-target") ?? "";
  return value.slice(value.lastIndexOf(".") + 1);
}

/** A request body as text, whichever form the client sent it in (string or bytes). */
function bodyText(init: RequestInit | undefined): string | undefined {
  const body = init?.body;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  return undefined;
}

async function measure(producerOptions: ProducerTuning, consumerOptions: ConsumerTuning, seconds: number): Promise<LatencyRun> {
  const servers = await startLocalServers();
  const aws = { endpoint: servers.kinesisEndpoint, region: "us-east-1", credentials: benchCredentials };
  const admin = new KinesisClient(aws);
  await admin.createStream(STREAM, 1);
  await admin.waitForActive(STREAM, { pollInterval: 0.05 });

  const sentAt = new Map<number, number>();
  const storedAt = new Map<number, number>();
  let putRequests = 0;
  const producerFetch: typeof fetch = async (input, init) => {
    const body = bodyText(init);
    if (target(init) !== "PutRecords" || body === undefined) return fetch(input, init);
    const sent = performance.now();
    putRequests++;
    const indexes = (JSON.parse(body) as { Records: Array<{ Data: string }> }).Records.map(
      (r) => (JSON.parse(atob(r.Data)) as Item).i,
    );
    for (const i of indexes) if (!sentAt.has(i)) sentAt.set(i, sent);
    const response = await fetch(input, init);
    const stored = performance.now();
    for (const i of indexes) storedAt.set(i, stored);
    return response;
  };

  const getRecordsStarts: number[] = [];
  let emptyPages = 0;
  const consumerFetch: typeof fetch = async (input, init) => {
    if (target(init) !== "GetRecords") return fetch(input, init);
    getRecordsStarts.push(performance.now());
    const response = await fetch(input, init);
    const body = await response.clone().text();
    if ((JSON.parse(body) as { Records?: unknown[] }).Records?.length === 0) emptyPages++;
    return response;
  };

  const consumer = new Consumer<Item>({ streamName: STREAM, ...aws, fetch: consumerFetch, ...consumerOptions });
  const producer = new Producer<Item>({ streamName: STREAM, ...aws, fetch: producerFetch, ...producerOptions });
  const latencies: number[] = [];
  const buffered: number[] = [];
  const putRoundTrip: number[] = [];
  const storedToYield: number[] = [];
  const total = RATE * seconds;
  let delivered = 0;
  try {
    await consumer.waitReady();
    const reading = (async () => {
      for await (const item of consumer) {
        const now = performance.now();
        delivered++;
        if (item.i < (RATE * WARM_UP_MS) / 1000) {
          if (delivered === total) break;
          continue;
        }
        latencies.push(now - item.t);
        const sent = sentAt.get(item.i);
        const stored = storedAt.get(item.i);
        if (sent !== undefined && stored !== undefined) {
          buffered.push(sent - item.t);
          putRoundTrip.push(stored - sent);
          storedToYield.push(now - stored);
        }
        if (delivered === total) break;
      }
    })();

    await putSteadily(producer, total, (i, pad) => ({ i, t: performance.now(), pad }));
    // Everything put is stored; give the consumer a few polls to yield the tail, then stop.
    const tail = setTimeout(() => void consumer.close(), 5000);
    await reading;
    clearTimeout(tail);
    return {
      seconds,
      put: total,
      delivered,
      latency: percentiles(latencies),
      stages: { buffered: percentiles(buffered), putRoundTrip: percentiles(putRoundTrip), storedToYield: percentiles(storedToYield) },
      putRequests,
      getRecordsCalls: getRecordsStarts.length,
      getRecordsPerSecond: ratePerSecond(getRecordsStarts),
      emptyPages,
      maxGetRecordsPerSecond: maxPerSecond(getRecordsStarts),
      shortestGetRecordsGapMs: Math.min(...getRecordsStarts.slice(1).map((t, k) => t - getRecordsStarts[k]!)),
    };
  } finally {
    await producer.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await servers.close();
  }
}
