import { performance } from "node:perf_hooks";
import { GetRecordsCommand, KinesisClient as SdkKinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Lease } from "../src/checkpointers/types.ts";
import { decodeWireRecord, type DecodeContext } from "../src/consumer/decode.ts";
import type { QueueEntry } from "../src/consumer/entries.ts";
import { Consumer, JsonProcessor, KinesisClient } from "../src/index.ts";
import { withSink } from "./client-cpu.ts";
import { benchCredentials, collectGarbage, type BenchContext, type Measurement } from "./context.ts";
import { GET_BATCH, SINK_SHARD, SINK_STREAM, jsonRecordBytes } from "./sink-shape.ts";
import { median, type Row } from "./table.ts";

/**
 * Decoded records per client CPU-second: what a consumer pays to turn GetRecords pages into user
 * items. The sink (another process) serves the same page every time: 10,000 JSON events of ~100 B.
 *
 * - ours, client + decode: KinesisClient.getRecordsRaw, then decodeWireRecord with JsonProcessor (KPL check,
 *   UTF-8, JSON.parse, queue entries with metadata) — the reader's work without the queue.
 * - ours, Consumer end to end: `for await` over `consumer.records()` on a one-shard stream, including
 *   start-up calls, pacing, the queue, per-record commits to a MemoryCheckPointer and metrics.
 * - baseline: AWS SDK v3 GetRecordsCommand, then JSON.parse(TextDecoder.decode(Data)) per record.
 */
export const consumerDecode: Measurement = {
  id: "consumer-decode",
  run: (context: BenchContext) => withSink(context, ["--payload=json"], async (endpoint) => [await measure(context, endpoint)]),
};

interface RoundResult {
  cpuMs: number;
  wallMs: number;
  records: number;
}

const TARGET = 2;

async function measure(context: BenchContext, endpoint: string) {
  const options = { endpoint, region: "us-east-1", credentials: benchCredentials, maxAttempts: 1 };
  const ours = new KinesisClient(options);
  const sdk = new SdkKinesisClient({ ...options, requestHandler: new NodeHttpHandler() });
  const expectedLast = new TextDecoder().decode(jsonRecordBytes(GET_BATCH - 1));

  const lease: Lease = { shardId: SINK_SHARD, signal: new AbortController().signal, usable: () => true };
  const decodeContext: DecodeContext<unknown> = {
    shardId: SINK_SHARD,
    lease,
    processor: new JsonProcessor(),
    hashRange: { start: 0n, end: 2n ** 128n - 1n },
    millisBehindLatest: 0,
  };
  const oursBatch = async (): Promise<number> => {
    const page = await ours.getRecordsRaw("bench-iterator", GET_BATCH);
    decodeContext.millisBehindLatest = page.millisBehindLatest;
    const entries: Array<QueueEntry<unknown>> = [];
    for (const record of page.records) decodeWireRecord(record, decodeContext, entries);
    const last = entries[entries.length - 1];
    check(entries.length === GET_BATCH && last?.kind === "item" && JSON.stringify(last.record.data) === expectedLast, "ours decode");
    return entries.length;
  };
  const decoder = new TextDecoder();
  const sdkBatch = async (): Promise<number> => {
    const out = await sdk.send(new GetRecordsCommand({ ShardIterator: "bench-iterator", Limit: GET_BATCH }));
    const items: unknown[] = [];
    for (const record of out.Records ?? []) items.push(JSON.parse(decoder.decode(record.Data)));
    check(items.length === GET_BATCH && JSON.stringify(items[GET_BATCH - 1]) === expectedLast, "SDK decode");
    return items.length;
  };

  const rounds = context.quick ? 3 : 9;
  const batchesPerRound = context.quick ? 2 : 5;
  for (let i = 0; i < (context.quick ? 2 : 10); i++) {
    await oursBatch();
    await sdkBatch();
  }
  const oursRounds: RoundResult[] = [];
  const sdkRounds: RoundResult[] = [];
  // Alternate sides round by round so drift (thermal, other tenants) hits both alike.
  for (let r = 0; r < rounds; r++) {
    oursRounds.push(await round(oursBatch, batchesPerRound));
    sdkRounds.push(await round(sdkBatch, batchesPerRound));
  }

  // The Consumer runs on its own, a fresh one per round: its reader prefetches in the background,
  // so its rounds cannot interleave with the SDK's without billing one side's work to the other.
  const consumerItems = (context.quick ? 3 : 10) * GET_BATCH;
  const consumerRounds: RoundResult[] = [];
  await consumerRound(endpoint, GET_BATCH, expectedLast); // warm-up
  for (let r = 0; r < (context.quick ? 2 : 5); r++) consumerRounds.push(await consumerRound(endpoint, consumerItems, expectedLast));

  const perSecond = (results: RoundResult[]): number => median(results.map((x) => (x.records * 1000) / x.cpuMs));
  const sdkRate = perSecond(sdkRounds);
  const oursRate = perSecond(oursRounds);
  const consumerRate = perSecond(consumerRounds);
  context.log(
    `consumer-decode: ours client+decode ${Math.round(oursRate)} rec/CPU-s, Consumer ${Math.round(consumerRate)} rec/CPU-s, SDK+JSON.parse ${Math.round(sdkRate)} rec/CPU-s`,
  );
  const rows: Row[] = [
    { name: `GetRecords ${GET_BATCH.toLocaleString("en-US")} JSON × ~100 B + decode: records per CPU-second`, unit: "rec/s", better: "higher", ours: oursRate, baseline: sdkRate, target: TARGET },
    { name: "Consumer end to end (for await records()): records per CPU-second", unit: "rec/s", better: "higher", ours: consumerRate, baseline: sdkRate, target: TARGET },
  ];
  const wall = (results: RoundResult[]): number => median(results.map((x) => (x.wallMs * GET_BATCH) / x.records));
  const notes = [
    `Client + decode: KinesisClient.getRecordsRaw + decodeWireRecord (KPL check, base64, JSON.parse, metadata) with JsonProcessor; baseline: SDK GetRecordsCommand + JSON.parse(TextDecoder.decode(Data)) per record. Median of ${rounds} rounds of ${batchesPerRound} pages per side, alternating, after warm-up, GC before each round.`,
    `Consumer: a fresh Consumer per round (one-shard stream, MemoryCheckPointer, shardFetchRate 5) until ${consumerItems.toLocaleString("en-US")} items are taken; median of ${consumerRounds.length} rounds. Its CPU includes start-up calls and the page its reader prefetches ahead (the sink ignores Limit), so it is an upper bound.`,
    `Wall time per 10,000 records: client + decode ${wall(oursRounds).toFixed(1)} ms, SDK ${wall(sdkRounds).toFixed(1)} ms, Consumer ${wall(consumerRounds).toFixed(0)} ms (paced to 5 GetRecords/s, the service limit).`,
  ];
  return { title: "Consumer decode: GetRecords pages to user items, per client CPU-second", baseline: "AWS SDK v3 + JSON.parse", rows, notes };
}

async function round(batch: () => Promise<number>, batches: number): Promise<RoundResult> {
  collectGarbage();
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  let records = 0;
  for (let i = 0; i < batches; i++) records += await batch();
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0, records };
}

async function consumerRound(endpoint: string, items: number, expectedLast: string): Promise<RoundResult> {
  collectGarbage();
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const consumer = new Consumer({
    streamName: SINK_STREAM,
    endpoint,
    region: "us-east-1",
    credentials: benchCredentials,
    maxAttempts: 1,
    shardFetchRate: 5,
  });
  let records = 0;
  let last: unknown;
  for await (const item of consumer) {
    last = item;
    if (++records === items) break;
  }
  await consumer.close();
  const cpu = process.cpuUsage(cpu0);
  check(JSON.stringify(last) === expectedLast, "Consumer");
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0, records };
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} returned an unexpected result; the bench would measure the wrong thing`);
}
