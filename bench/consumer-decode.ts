import { GetRecordsCommand, KinesisClient as SdkKinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { nodeHttpFetch } from "../src/node/http-fetch.ts";
import { withSink } from "./client-cpu.ts";
import { CONSUMER_FETCH_RATE, type ConsumeResult, measureConsume } from "./consume-floor.ts";
import { type BenchContext, benchCredentials, type Measurement } from "./context.ts";
import { consumeOn, type OtherRuntime } from "./runtime-children.ts";
import { GET_BATCH, jsonRecordBytes } from "./sink-shape.ts";
import type { Row, Section } from "./table.ts";

/**
 * Decoded records per client CPU-second: what a consumer pays to turn GetRecords pages into user
 * items. The sink (another process) serves the same page every time: 10,000 JSON events of ~100 B.
 * The timing itself is consume-floor.ts, shared with Bun and Deno (runtime-children.ts runs it there).
 *
 * - floor: fetch + JSON.parse of the page + the runtime's native base64 + JSON.parse per record.
 * - ours, client + decode: KinesisClient.getRecordsRaw, then decodeWireRecord with JsonProcessor (KPL check,
 *   UTF-8, JSON.parse, queue entries with metadata) — the reader's work without the queue.
 * - ours, Consumer end to end: `for await` over a Consumer on a one-shard stream in its steady state
 *   (pacing, the queue, per-record commits to a MemoryCheckPointer, metrics); its start-up and close()
 *   are reported apart (once per consumer, not per page).
 * - SDK (Node only): AWS SDK v3 GetRecordsCommand, then JSON.parse(TextDecoder.decode(Data)) per record.
 */
export const consumerDecode: Measurement = {
  id: "consumer-decode",
  run: (context: BenchContext) => withSink(context, ["--payload=json"], (endpoint) => measure(context, endpoint)),
};

const TARGET = 2;
/** Ours at most 1.15× the floor's CPU, i.e. at least 1/1.15 of its records per CPU-second. */
const FLOOR_TARGET = 0.87;

async function measure(context: BenchContext, endpoint: string): Promise<Section[]> {
  const sdk = new SdkKinesisClient({ endpoint, region: "us-east-1", credentials: benchCredentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
  const expectedLast = new TextDecoder().decode(jsonRecordBytes(GET_BATCH - 1));
  const decoder = new TextDecoder();
  const sdkPage = async (): Promise<number> => {
    const out = await sdk.send(new GetRecordsCommand({ ShardIterator: "bench-iterator", Limit: GET_BATCH }));
    const items: unknown[] = [];
    for (const record of out.Records ?? []) items.push(JSON.parse(decoder.decode(record.Data)));
    check(items.length === GET_BATCH && JSON.stringify(items[GET_BATCH - 1]) === expectedLast, "SDK decode");
    return items.length;
  };

  // On Node, ours is what the package's node condition loads: the Node build's node:http transport.
  const node = await measureConsume({ endpoint, quick: context.quick, fetch: nodeHttpFetch, extraSides: { sdk: sdkPage } });
  const others: Array<{ runtime: OtherRuntime; result: ConsumeResult | Error }> = [];
  for (const runtime of ["bun", "deno"] as const) {
    context.log(`consumer-decode: running on ${runtime}...`);
    others.push({ runtime, result: await consumeOn(runtime, context.root, context.workDir, endpoint, context.quick) });
  }

  const rate = (cpuMsPerPage: number): number => (GET_BATCH * 1000) / cpuMsPerPage;
  const sdkMs = node.extraMs["sdk"]!;
  context.log(`consumer-decode: ${node.runtime} SDK ${sdkMs.toFixed(1)} CPU-ms per page`);
  const sdkSection: Section = {
    title: "Consumer decode: GetRecords pages to user items, per client CPU-second",
    baseline: "AWS SDK v3 + JSON.parse",
    rows: [
      {
        name: `GetRecords ${GET_BATCH.toLocaleString("en-US")} JSON × ~100 B + decode: records per CPU-second`,
        unit: "rec/s",
        better: "higher",
        ours: rate(node.oursMs),
        baseline: rate(sdkMs),
        target: TARGET,
      },
      {
        name: "Consumer end to end (for await), steady state: records per CPU-second",
        unit: "rec/s",
        better: "higher",
        ours: rate(node.consumerMs),
        baseline: rate(sdkMs),
        target: TARGET,
      },
    ],
    notes: [
      `Client + decode: KinesisClient.getRecordsRaw + decodeWireRecord (KPL check, base64, JSON.parse, metadata) with JsonProcessor; baseline: SDK GetRecordsCommand + JSON.parse(TextDecoder.decode(Data)) per record. Median of ${node.rounds} rounds of ${node.pagesPerRound} pages per side, alternating with the floor, after warm-up, GC before each round.`,
      `Consumer: a fresh Consumer per round (one-shard stream, MemoryCheckPointer, shardFetchRate 5), CPU from its first item to the first item of page 11: 10 pages fetched on its pace, decoded, queued, handed out and committed; median of ${node.consumerRounds} rounds after a warm-up round as long. Start-up (describe, list, iterator, lease, first page) plus close(): ${
        node.consumerStartupMs.toFixed(1)
      } CPU-ms per Consumer, not included.`,
      `Wall time per 10,000 records: client + decode ${node.wallMs.ours.toFixed(1)} ms, floor ${node.wallMs.floor.toFixed(1)} ms, Consumer ${
        node.wallMs.consumer.toFixed(0)
      } ms (paced to 5 GetRecords/s, the service limit).`,
    ],
  };

  const floorRows: Row[] = [];
  const floorNotes: string[] = [];
  for (const { runtime, result } of [{ runtime: "node", result: node as ConsumeResult | Error }, ...others]) {
    if (result instanceof Error) {
      floorRows.push({ name: `${runtime}: not measured`, unit: "rec/s", better: "higher", ours: NaN });
      floorNotes.push(`${runtime}: ${result.message}`);
      continue;
    }
    context.log(
      `consumer-decode: ${result.runtime} CPU-ms per page: floor ${result.floorMs.toFixed(1)}, ours ${result.oursMs.toFixed(1)}, Consumer ${
        result.consumerMs.toFixed(1)
      }`,
    );
    floorRows.push(
      {
        name: `${result.runtime}: client + decode, records per CPU-second`,
        unit: "rec/s",
        better: "higher",
        ours: rate(result.oursMs),
        baseline: rate(result.floorMs),
        target: FLOOR_TARGET,
      },
      {
        name: `${result.runtime}: Consumer steady state vs the floor paced at ${CONSUMER_FETCH_RATE} pages/s, records per CPU-second`,
        unit: "rec/s",
        better: "higher",
        ours: rate(result.consumerMs),
        baseline: rate(result.pacedFloorMs),
        target: FLOOR_TARGET,
      },
    );
    floorNotes.push(
      `${result.runtime}: CPU-ms per 10,000-record page: floor ${result.floorMs.toFixed(1)} (${result.floorDecode}), client + decode ${
        result.oursMs.toFixed(1)
      } (${(result.oursMs / result.floorMs).toFixed(2)}× the floor), Consumer ${result.consumerMs.toFixed(1)} (${
        (result.consumerMs / result.pacedFloorMs).toFixed(2)
      }× the floor paced at ${CONSUMER_FETCH_RATE} pages/s, ${result.pacedFloorMs.toFixed(1)}; ${
        (result.consumerMs / result.floorMs).toFixed(2)
      }× the unpaced floor); a Consumer's start-up + close() ${result.consumerStartupMs.toFixed(1)} CPU-ms once.`,
    );
  }
  floorNotes.push(
    "Floor: fetch + response.text() + JSON.parse of the page, then per record the runtime's cheapest native base64-to-text (Buffer or TextDecoder(Uint8Array.fromBase64()), whichever costs less there, picked by timing both) + JSON.parse. Nothing else: no signing, no metadata, no queue. Target: ours ≤ 1.15× the floor's CPU (≥ 0.87× its records per CPU-second).",
    `The Consumer must pace GetRecords (at most ${CONSUMER_FETCH_RATE} per second per shard, the service limit), so each page starts after an idle wait; its baseline is the same floor paced the same way (one page every ${
      1000 / CONSUMER_FETCH_RATE
    } ms, start to start), in rounds alternating with the Consumer's. Client + decode runs back to back, against the unpaced floor.`,
    "Each runtime runs bench/consume-floor.ts in one process against the same sink: Node in the bench driver (ours on the Node build's node:http transport, as the node export condition loads it), Bun and Deno as children (bench/consume-runtime.ts) on their own fetch.",
  );
  const floorSection: Section = { title: "Consume against the floor, per runtime", baseline: "floor", rows: floorRows, notes: floorNotes };
  return [sdkSection, floorSection];
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} returned an unexpected result; the bench would measure the wrong thing`);
}
