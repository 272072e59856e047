import { performance } from "node:perf_hooks";
import { KinesisClient as SdkKinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { partitionKeyHash } from "../src/aggregation/md5.ts";
import { BytesProcessor, JsonProcessor, KPLJsonProcessor, Producer, type FlushStats, type ProducerOptions } from "../src/index.ts";
import { withSink } from "./client-cpu.ts";
import { producerPaced } from "./producer-paced.ts";
import { benchCredentials, collectGarbage, type BenchContext, type Measurement } from "./context.ts";
import { PUT_BATCH, RECORD_BYTES, SINK_STREAM, jsonEvent, recordBytes } from "./sink-shape.ts";
import { median, type Row } from "./table.ts";

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
  run: (context: BenchContext) => withSink(context, [], async (endpoint) => [await measure(context, endpoint), await producerPaced(context, endpoint)]),
};

const TARGET = 2;
const clientOptions = { region: "us-east-1", credentials: benchCredentials };
/** Limits that never make the producer wait: this bench measures CPU, not pacing. */
const UNPACED = { putRateLimitPerShard: 1e9, putBandwidthLimitPerShard: 1e9, bufferTime: 60, maxQueueSize: 1_000_000, maxAttempts: 1 };

interface RoundResult {
  cpuMs: number;
  wallMs: number;
}


async function measure(context: BenchContext, endpoint: string) {
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
  const bytesProducer = new Producer<Uint8Array>({ ...clientOptions, ...UNPACED, endpoint, streamName: SINK_STREAM, processor: new BytesProcessor(), afterFlush: checked });
  const jsonProducer = new Producer<unknown>({ ...clientOptions, ...UNPACED, endpoint, streamName: SINK_STREAM, processor: new JsonProcessor(), afterFlush: checked });

  const cases = [
    {
      name: `${RECORD_BYTES}-byte records (BytesProcessor)`,
      ours: async () => {
        for (let i = 0; i < perRound; i++) await bytesProducer.put(bytes[i % PUT_BATCH]!, keys[i % PUT_BATCH]!);
        await bytesProducer.flush();
      },
      sdk: async () => {
        for (let b = 0; b < batches; b++) await sdkSend(sdkBytes);
      },
    },
    {
      name: "~100-byte JSON events (JsonProcessor)",
      ours: async () => {
        for (let i = 0; i < perRound; i++) await jsonProducer.put(events[i % PUT_BATCH]!, keys[i % PUT_BATCH]!);
        await jsonProducer.flush();
      },
      // The SDK user serialises each event themselves: JSON.stringify + UTF-8, then the same batches.
      sdk: async () => {
        const encoder = new TextEncoder();
        for (let b = 0; b < batches; b++) {
          await sdkSend(events.map((event, i) => ({ Data: encoder.encode(JSON.stringify(event)), PartitionKey: keys[i]! })));
        }
      },
    },
  ];

  const rows: Row[] = [];
  const notes: string[] = [];
  for (const c of cases) {
    await c.ours();
    await c.sdk();
    const ours: RoundResult[] = [];
    const theirs: RoundResult[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await round(c.ours));
      theirs.push(await round(c.sdk));
    }
    const oursCpu = median(ours.map((x) => x.cpuMs));
    const sdkCpu = median(theirs.map((x) => x.cpuMs));
    context.log(`producer-cpu ${c.name}: ours ${oursCpu.toFixed(0)} CPU-ms, SDK ${sdkCpu.toFixed(0)} CPU-ms per ${perRound} records`);
    rows.push({
      name: `${c.name}: records per CPU-second`,
      unit: "rec/s",
      better: "higher",
      ours: (perRound * 1000) / oursCpu,
      baseline: (perRound * 1000) / sdkCpu,
      target: TARGET,
    });
    notes.push(
      `${c.name}: wall time per ${perRound} records ${median(ours.map((x) => x.wallMs)).toFixed(0)} ms ours, ${median(theirs.map((x) => x.wallMs)).toFixed(0)} ms SDK.`,
    );
  }
  await Promise.all([bytesProducer.close(), jsonProducer.close()]);
  sdk.destroy();

  const ratio = await aggregationRatio(context.quick ? 20_000 : 100_000);
  rows.push({ name: "KPLJsonProcessor, ~100-byte JSON items: user records per Kinesis record", unit: "ratio", better: "higher", ours: ratio });
  notes.push(
    `Median of ${rounds} rounds of ${perRound} records per side, rounds alternating, after a warm-up round; garbage collected before each round.`,
    `Ours: one Producer per case (one-shard stream as the sink describes it; rate limits raised, bufferTime 60 s, so every request carries ${PUT_BATCH} records; put awaited per record, then flush). SDK: KinesisClient with NodeHttpHandler, PutRecordsCommand per ${PUT_BATCH} records, sequential. Both maxAttempts 1.`,
    "Aggregation ratio: a 4-shard stream answered in process, 1000 partition keys, items packed per shard into 1 MiB KPL records.",
  );
  return { title: "Producer CPU against a loopback sink", baseline: "AWS SDK v3 PutRecords", rows, notes };
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
  const summary = { StreamDescriptionSummary: { StreamName: SINK_STREAM, StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/bench", StreamStatus: "ACTIVE", OpenShardCount: shards } };
  return async (_input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target") ?? "";
    let body: unknown;
    if (target.endsWith(".DescribeStreamSummary")) body = summary;
    else if (target.endsWith(".ListShards")) body = listing;
    else {
      const raw = init?.body;
      const request = JSON.parse(raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw)) as { Records: Array<{ PartitionKey: string; ExplicitHashKey?: string }> };
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
