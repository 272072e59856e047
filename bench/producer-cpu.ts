import { performance } from "node:perf_hooks";
import { KinesisClient as SdkKinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { partitionKeyHash } from "../src/aggregation/md5.ts";
import { nodeHttpFetch } from "../src/node/http-fetch.ts";
import { setSigningCrypto } from "../src/aws/signing-crypto.ts";
import { nodeSigningCrypto } from "../src/node/signing-crypto.ts";
import { BytesProcessor, type FlushStats, JsonProcessor, KPLJsonProcessor, type Processor, Producer, type ProducerOptions } from "../src/index.ts";
import { withSink } from "./client-cpu.ts";
import { ProduceFloor } from "./producer-floor.ts";
import { type PacedResult, producerPaced } from "./producer-paced.ts";
import { type BenchContext, benchCredentials, collectGarbage, type Measurement } from "./context.ts";
import { jsonEvent, PUT_BATCH, RECORD_BYTES, recordBytes, SINK_STREAM } from "./sink-shape.ts";
import { median, type Row, type Section } from "./table.ts";

/**
 * Producer records per client CPU-second against the loopback sink, next to AWS SDK v3 sending the
 * same records with PutRecordsCommand in batches of 500; and the KPL aggregation ratio.
 *
 * - ours: `Producer.put` awaited per record, then `flush()`: validation, MD5 routing to the shard,
 *   the processor's encoding, batching, the per-shard rate limiter (limits raised so it never waits),
 *   signing, base64 + JSON, sending, and settling each record.
 * - baseline: the SDK's PutRecordsCommand with the same 500-record batches, sent one after another.
 * - aggregation ratio: ~100-byte JSON items through KPLJsonProcessor; a stub fetch answers in process
 *   (the sink always answers 500 entries), so only the count matters there, not the time.
 */
export const producerCpu: Measurement = {
  id: "producer-cpu",
  run: (context: BenchContext) =>
    withSink(context, [], async (endpoint) => {
      const paced = await producerPaced(context, endpoint, TRANSPORTS.http, (work) => asBuild("http", work));
      return [...(await measure(context, endpoint, paced)), paced.section];
    }),
};

const TARGET = 2;
const clientOptions = { region: "us-east-1", credentials: benchCredentials };
/**
 * Limits that never make the producer wait: this bench measures CPU, not pacing. Every request carries
 * 500 records (the sink answers 500 entries): a batch waits until it is full, never sent early because
 * the producer is idle (`sendWhenIdle`) or a slow moment passed `bufferTime`.
 */
const UNPACED = { putRateLimitPerShard: 1e9, putBandwidthLimitPerShard: 1e9, bufferTime: 60, sendWhenIdle: false, maxAttempts: 1 };

type Transport = "fetch" | "http";
const TRANSPORTS: Record<Transport, typeof fetch> = { fetch: (input, init) => globalThis.fetch(input, init), http: nodeHttpFetch };

/**
 * Run `work` as the given build would: the Node build also signs with node:crypto (what
 * useNodeDefaults registers), the Web build with WebCrypto. The registration is process-wide, so it is
 * switched per round; the rounds never overlap.
 */
export async function asBuild(transport: Transport, work: () => Promise<void>): Promise<void> {
  setSigningCrypto(transport === "http" ? nodeSigningCrypto : undefined);
  try {
    await work();
  } finally {
    setSigningCrypto(undefined);
  }
}
const TRANSPORT_NAMES: Record<Transport, string> = { fetch: "Web build (fetch)", http: "Node build (node:http)" };

interface RoundResult {
  cpuMs: number;
  wallMs: number;
}

async function measure(context: BenchContext, endpoint: string, paced: PacedResult) {
  const batches = context.quick ? 4 : 40;
  const perRound = batches * PUT_BATCH;
  const rounds = context.quick ? 3 : 7;
  const keys = Array.from({ length: PUT_BATCH }, (_, i) => `pk-${i}`);
  const bytes = Array.from({ length: PUT_BATCH }, (_, i) => recordBytes(i));
  const events = Array.from({ length: PUT_BATCH }, (_, i) => jsonEvent(i));

  const sdk = new SdkKinesisClient({ ...clientOptions, endpoint, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
  const sdkBytes = bytes.map((data, i) => ({ Data: data, PartitionKey: keys[i]! }));
  const sdkSend = async (records: Array<{ Data: Uint8Array; PartitionKey: string }>): Promise<void> => {
    const out = await sdk.send(new PutRecordsCommand({ StreamName: SINK_STREAM, Records: records }));
    check(out.Records?.length === PUT_BATCH && out.FailedRecordCount === 0, "SDK PutRecords");
  };

  const checked = (stats: FlushStats): void => check(stats.records === PUT_BATCH && stats.delivered === PUT_BATCH, "Producer PutRecords");
  /** One producer per case and transport: the Web build's (the runtime's fetch) and the Node build's (node:http). */
  const producer = <T>(processor: Processor<T>, transport: Transport): Producer<T> =>
    new Producer<T>({ ...clientOptions, ...UNPACED, endpoint, streamName: SINK_STREAM, processor, afterFlush: checked, fetch: TRANSPORTS[transport] });
  const putAll = async <T>(target: Producer<T>, items: readonly T[]): Promise<void> => {
    for (let i = 0; i < perRound; i++) await target.put(items[i % PUT_BATCH]!, keys[i % PUT_BATCH]!);
    await target.flush();
  };
  const bytesProducers = { fetch: producer(new BytesProcessor(), "fetch"), http: producer(new BytesProcessor(), "http") };
  const jsonProducers = { fetch: producer<unknown>(new JsonProcessor(), "fetch"), http: producer<unknown>(new JsonProcessor(), "http") };

  const floor = new ProduceFloor(endpoint);
  const cases: Array<{ name: string; ours: (transport: Transport) => Promise<void>; sdk: () => Promise<void>; floor?: () => Promise<void> }> = [
    {
      name: `${RECORD_BYTES}-byte records (BytesProcessor)`,
      ours: (transport: Transport) => asBuild(transport, () => putAll(bytesProducers[transport], bytes)),
      sdk: async () => {
        for (let b = 0; b < batches; b++) await sdkSend(sdkBytes);
      },
    },
    {
      name: "~100-byte JSON events (JsonProcessor)",
      ours: (transport: Transport) => asBuild(transport, () => putAll(jsonProducers[transport], events)),
      // The SDK user serialises each event themselves: JSON.stringify + UTF-8, then the same batches.
      sdk: async () => {
        const encoder = new TextEncoder();
        for (let b = 0; b < batches; b++) {
          await sdkSend(events.map((event, i) => ({ Data: encoder.encode(JSON.stringify(event)), PartitionKey: keys[i]! })));
        }
      },
      // The same events and keys with nothing but the irreducible work (bench/producer-floor.ts).
      floor: async () => {
        for (let b = 0; b < batches; b++) await floor.putBatch(events, keys);
      },
    },
  ];

  const rows: Row[] = [];
  const notes: string[] = [];
  let jsonSdkCpuPerRecord = Number.NaN;
  /** CPU-µs per record of the JSON case: the producer on each transport, the SDK and the floor. */
  let jsonPerRecord: { fetch: number; http: number; sdk: number; floor: number } | undefined;
  for (const c of cases) {
    await c.ours("fetch");
    await c.ours("http");
    await c.sdk();
    await c.floor?.();
    const ours: Record<Transport, RoundResult[]> = { fetch: [], http: [] };
    const theirs: RoundResult[] = [];
    const floors: RoundResult[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.fetch.push(await round(() => c.ours("fetch")));
      ours.http.push(await round(() => c.ours("http")));
      theirs.push(await round(c.sdk));
      if (c.floor !== undefined) floors.push(await round(c.floor));
    }
    const sdkCpu = median(theirs.map((x) => x.cpuMs));
    if (c.name.includes("JSON")) jsonSdkCpuPerRecord = sdkCpu / perRound;
    const cpu = { fetch: median(ours.fetch.map((x) => x.cpuMs)), http: median(ours.http.map((x) => x.cpuMs)) };
    if (floors.length > 0) {
      const us = (ms: number): number => (ms * 1000) / perRound;
      jsonPerRecord = { fetch: us(cpu.fetch), http: us(cpu.http), sdk: us(sdkCpu), floor: us(median(floors.map((x) => x.cpuMs))) };
    }
    context.log(
      `producer-cpu ${c.name}: ours ${cpu.fetch.toFixed(0)} CPU-ms on fetch, ${cpu.http.toFixed(0)} on node:http; SDK ${
        sdkCpu.toFixed(0)
      } CPU-ms per ${perRound} records`,
    );
    for (const transport of ["fetch", "http"] as const) {
      rows.push({
        name: `${c.name}, ${TRANSPORT_NAMES[transport]}: records per CPU-second`,
        unit: "rec/s",
        better: "higher",
        ours: (perRound * 1000) / cpu[transport],
        baseline: (perRound * 1000) / sdkCpu,
        target: TARGET,
      });
    }
    notes.push(
      `${c.name}: wall time per ${perRound} records ${median(ours.fetch.map((x) => x.wallMs)).toFixed(0)} ms ours on fetch, ${
        median(ours.http.map((x) => x.wallMs)).toFixed(0)
      } ms on node:http, ${median(theirs.map((x) => x.wallMs)).toFixed(0)} ms SDK.`,
    );
  }
  await Promise.all([...Object.values(bytesProducers), ...Object.values(jsonProducers)].map((p) => p.close()));
  sdk.destroy();
  floor.close();

  rows.push({
    name: `~100-byte JSON events, default options (rate limits on, 1 shard at its limit), ${TRANSPORT_NAMES.http}: records per CPU-second`,
    unit: "rec/s",
    better: "higher",
    ours: 1_000_000 / paced.cpuPerRecordUs,
    baseline: 1000 / jsonSdkCpuPerRecord,
    target: TARGET,
  });
  const ratio = await aggregationRatio(context.quick ? 20_000 : 100_000);
  rows.push({ name: "KPLJsonProcessor, ~100-byte JSON items: user records per Kinesis record", unit: "ratio", better: "higher", ours: ratio });
  notes.push(
    `Median of ${rounds} rounds of ${perRound} records per side, rounds alternating (fetch, node:http, SDK), after a warm-up round; garbage collected before each round.`,
    `Ours: one Producer per case and transport (one-shard stream as the sink describes it; rate limits raised, bufferTime 60 s so a slow moment never sends a short request, maxQueueSize default 10,000; every request carries ${PUT_BATCH} records; put awaited per record, then flush). "Web build" is the runtime's fetch (undici on Node), what Deno, Bun and workerd users get with their own fetch; "Node build" is the node:http transport and node:crypto signing of src/node/ (the \`node\` export condition), what Node users get by default. SDK: KinesisClient with NodeHttpHandler, PutRecordsCommand per ${PUT_BATCH} records, sequential. All maxAttempts 1.`,
    `The default-options row is the at-the-limit run of the next section (${
      paced.records.toLocaleString("en-US")
    } records, limits on, clock sped up), against the SDK's JSON number above.`,
    "Aggregation ratio: a 4-shard stream answered in process, 1000 partition keys, items packed per shard into 1 MiB KPL records.",
  );
  const main: Section = { title: "Producer CPU against a loopback sink", baseline: "AWS SDK v3 PutRecords", rows, notes };
  return jsonPerRecord === undefined ? [main] : [main, floorSection(jsonPerRecord, perRound, rounds)];
}

/**
 * The JSON case against the produce floor (bench/producer-floor.ts): how far each side is from the
 * least work the same records need, and whether 2× the SDK is below that floor at all.
 */
function floorSection(perRecord: { fetch: number; http: number; sdk: number; floor: number }, perRound: number, rounds: number): Section {
  const row = (name: string, cpuUs: number): Row => ({ name, unit: "CPU-µs/rec", better: "lower", ours: cpuUs, baseline: perRecord.floor });
  const twiceSdk = perRecord.sdk / TARGET;
  return {
    title: "Produce against the floor: ~100-byte JSON events, CPU per record",
    baseline: "produce floor",
    rows: [
      row(`Producer, ${TRANSPORT_NAMES.fetch}`, perRecord.fetch),
      row(`Producer, ${TRANSPORT_NAMES.http}`, perRecord.http),
      row("AWS SDK v3 PutRecordsCommand (the SDK's number in the first column)", perRecord.sdk),
    ],
    notes: [
      `The floor: per record JSON.stringify + UTF-8 + base64 (Buffer), per ${PUT_BATCH} records one PutRecords body (string concatenation), its SHA-256 (node:crypto), one POST over node:http (keep-alive), JSON.parse of the answer; no signing HMACs, no producer. Same events, keys and sink; rounds of ${perRound} records interleaved with the rows above, median of ${rounds}.`,
      `Ratios to the floor: Web build ${(perRecord.fetch / perRecord.floor).toFixed(2)}×, Node build ${(perRecord.http / perRecord.floor).toFixed(2)}×, SDK ${
        (perRecord.sdk / perRecord.floor).toFixed(2)
      }×. 2× the SDK would be ${twiceSdk.toFixed(2)} CPU-µs per record, ${
        twiceSdk < perRecord.floor
          ? `below the floor (${perRecord.floor.toFixed(2)}): not reachable by any producer`
          : `above the floor (${perRecord.floor.toFixed(2)})`
      }.`,
    ],
  };
}

async function round(fn: () => Promise<void>): Promise<RoundResult> {
  collectGarbage();
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0 };
}

/** User records per Kinesis record for `items` ~100-byte JSON items through KPLJsonProcessor. */
async function aggregationRatio(items: number): Promise<number> {
  let records = 0;
  let userRecords = 0;
  const options: ProducerOptions<unknown> = {
    ...clientOptions,
    endpoint: "http://127.0.0.1:9",
    streamName: SINK_STREAM,
    processor: new KPLJsonProcessor(),
    fetch: stubKinesis(4),
    maxQueueSize: 1_000_000,
    putRateLimitPerShard: 1e9,
    putBandwidthLimitPerShard: 1e9,
    bufferTime: 60,
    afterFlush: (stats) => {
      records += stats.records;
      userRecords += stats.userRecords;
    },
  };
  const producer = new Producer<unknown>(options);
  for (let i = 0; i < items; i++) await producer.put(jsonEvent(i), `device-${i % 1000}`);
  await producer.close();
  check(userRecords === items, "aggregation run");
  return userRecords / records;
}

/** A fetch that plays a stream of `shards` even shards and accepts every PutRecords entry. */
function stubKinesis(shards: number): typeof fetch {
  const max = (1n << 128n) - 1n;
  const width = (max + 1n) / BigInt(shards);
  const listing = {
    Shards: Array.from({ length: shards }, (_, i) => ({
      ShardId: `shardId-${String(i).padStart(12, "0")}`,
      HashKeyRange: { StartingHashKey: String(width * BigInt(i)), EndingHashKey: String(i === shards - 1 ? max : width * BigInt(i + 1) - 1n) },
      SequenceNumberRange: { StartingSequenceNumber: "1" },
    })),
  };
  const summary = {
    StreamDescriptionSummary: {
      StreamName: SINK_STREAM,
      StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/bench",
      StreamStatus: "ACTIVE",
      OpenShardCount: shards,
    },
  };
  return async (_input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target") ?? "";
    let body: unknown;
    if (target.endsWith(".DescribeStreamSummary")) body = summary;
    else if (target.endsWith(".ListShards")) body = listing;
    else {
      const raw = init?.body;
      const request = JSON.parse(raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw)) as {
        Records: Array<{ PartitionKey: string; ExplicitHashKey?: string }>;
      };
      // Answer with the shard Kinesis would pick, so the producer never thinks the stream resharded.
      body = {
        FailedRecordCount: 0,
        Records: request.Records.map((entry, i) => {
          const hash = entry.ExplicitHashKey === undefined ? partitionKeyHash(entry.PartitionKey) : BigInt(entry.ExplicitHashKey);
          const shard = Number(hash / width < BigInt(shards) ? hash / width : BigInt(shards - 1));
          return { SequenceNumber: String(i + 1), ShardId: listing.Shards[shard]!.ShardId };
        }),
      };
    }
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/x-amz-json-1.1" } });
  };
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} returned an unexpected result; the bench would measure the wrong thing`);
}
