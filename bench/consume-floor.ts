/**
 * Consume cost against its floor, measured in whichever runtime imports this file: Node (the bench
 * driver, consumer-decode.ts) and Bun and Deno (consume-runtime.ts, started by consumer-decode.ts).
 * Portable on purpose: `fetch`, `performance`, `process.cpuUsage()` (Node, Bun and Deno all have it)
 * and the library's own source, so the same code is timed on every runtime.
 *
 * - floor: `fetch` + `response.text()` + `JSON.parse` of the page, then per record the runtime's
 *   cheapest native base64 → UTF-8 text and `JSON.parse`. Nothing else: no signing, no retries, no
 *   metadata. What any consumer must pay, so no library can go below it.
 * - ours: `KinesisClient.getRecordsRaw` + `decodeWireRecord` with `JsonProcessor` on every record
 *   (the shard reader's work without the queue).
 * - Consumer: `for await` over a fresh one-shard `Consumer`, in its steady state: the CPU from its
 *   first item to the first item of page `consumerPages + 1`, i.e. `consumerPages` pages fetched,
 *   decoded, queued, handed out and checkpointed, paced as the service requires. Its start-up (the
 *   describe/list/iterator calls, the lease, the first page) and `close()` are measured apart and
 *   reported beside it: a consumer pays them once, not per page.
 */
import type { Lease } from "../src/checkpointers/types.ts";
import { type DecodeContext, decodeWireRecord } from "../src/consumer/decode.ts";
import { PageWriter } from "../src/consumer/page-writer.ts";
import { KinesisClient } from "../src/aws/index.ts";
import { Consumer, JsonProcessor } from "../src/index.ts";
import { GET_BATCH, jsonRecordBytes, SINK_SHARD, SINK_STREAM } from "./sink-shape.ts";

export interface ConsumeOptions {
  endpoint: string;
  quick: boolean;
  /** The `fetch` our clients use; default the runtime's. */
  fetch?: typeof fetch | undefined;
  /** More sides to time in the same alternating rounds (e.g. the AWS SDK on Node); each returns its item count. */
  extraSides?: Record<string, () => Promise<number>> | undefined;
}

/** Median CPU-ms per GetRecords page of GET_BATCH records, per side. */
export interface ConsumeResult {
  runtime: string;
  /** Which native decode the floor uses here (the cheaper of the candidates on this runtime). */
  floorDecode: string;
  floorMs: number;
  oursMs: number;
  consumerMs: number;
  /** Median CPU-ms of a Consumer's start-up (to its first item) plus its `close()`: once per consumer, not per page. */
  consumerStartupMs: number;
  /**
   * The floor paced as the Consumer must be (one page per 1 / CONSUMER_FETCH_RATE s, the service's
   * per-shard limit): the baseline for the Consumer, whose pages arrive after an idle wait each.
   */
  pacedFloorMs: number;
  /** Median CPU-ms per page of each of `extraSides`. */
  extraMs: Record<string, number>;
  /** Median wall-ms per page: floor, ours, and the Consumer (paced by shardFetchRate). */
  wallMs: { floor: number; ours: number; consumer: number; pacedFloor: number };
  rounds: number;
  pagesPerRound: number;
  consumerRounds: number;
}

const CREDENTIALS = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret-not-real" };
/** GetRecords calls per second for the Consumer (the service's per-shard maximum) and the paced floor. */
export const CONSUMER_FETCH_RATE = 5;

interface ProcessLike {
  cpuUsage(): { user: number; system: number };
  version?: string;
}

export function runtimeName(): string {
  const globals = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string }; process?: ProcessLike };
  if (globals.Deno !== undefined) return `Deno ${globals.Deno.version.deno}`;
  if (globals.Bun !== undefined) return `Bun ${globals.Bun.version}`;
  return `Node ${globals.process?.version ?? "?"}`;
}

function cpuMs(): number {
  const usage = (globalThis as unknown as { process: ProcessLike }).process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Node and Deno expose `gc` with --expose-gc; Bun has `Bun.gc(true)`. */
function collectGarbage(): void {
  const globals = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (globals.gc !== undefined) globals.gc();
  else globals.Bun?.gc(true);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type TextOfBase64 = (data: string) => string;

/** The native ways from base64 to UTF-8 text a runtime may have; the floor uses the cheapest. */
function nativeDecoders(): Array<{ name: string; decode: TextOfBase64 }> {
  const out: Array<{ name: string; decode: TextOfBase64 }> = [];
  const buffer = (globalThis as { Buffer?: { from(data: string, encoding: "base64"): { toString(encoding: "utf8"): string } } }).Buffer;
  if (buffer !== undefined) out.push({ name: "Buffer.from(base64).toString()", decode: (data) => buffer.from(data, "base64").toString("utf8") });
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (data: string) => Uint8Array }).fromBase64;
  if (fromBase64 !== undefined) {
    const text = new TextDecoder();
    out.push({ name: "TextDecoder(Uint8Array.fromBase64())", decode: (data) => text.decode(fromBase64(data)) });
  }
  return out;
}

interface WirePage {
  Records: Array<{ Data: string }>;
}

export async function measureConsume(options: ConsumeOptions): Promise<ConsumeResult> {
  const { endpoint, quick } = options;
  const expectedLast = new TextDecoder().decode(jsonRecordBytes(GET_BATCH - 1));
  const requestBody = JSON.stringify({ ShardIterator: "bench-iterator", Limit: GET_BATCH });
  const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Kinesis_20131202.GetRecords" };

  const floorPage = async (decode: TextOfBase64): Promise<number> => {
    const response = await fetch(`${endpoint}/`, { method: "POST", headers, body: requestBody });
    const page = JSON.parse(await response.text()) as WirePage;
    const records = page.Records;
    const items = new Array<unknown>(records.length);
    for (let i = 0; i < records.length; i++) items[i] = JSON.parse(decode(records[i]!.Data));
    check(items.length === GET_BATCH && JSON.stringify(items[GET_BATCH - 1]) === expectedLast, "floor");
    return items.length;
  };

  // The floor is the cheapest native decode this runtime has: time each candidate on a few pages.
  const candidates = nativeDecoders();
  if (candidates.length === 0) throw new Error(`${runtimeName()} has neither Buffer nor Uint8Array.fromBase64`);
  // Rounds alternate between the candidates and the medians decide: one round each picked the slower
  // one now and then (a GC in the wrong round), and the floor moved by half between runs.
  for (const candidate of candidates) for (let i = 0; i < 3; i++) await floorPage(candidate.decode);
  const candidateCosts = candidates.map(() => [] as number[]);
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    for (const [i, candidate] of candidates.entries()) candidateCosts[i]!.push((await round(() => floorPage(candidate.decode), quick ? 2 : 3)).cpuMs);
  }
  const candidateMedians = candidateCosts.map(median);
  const floor = candidates[candidateMedians.indexOf(Math.min(...candidateMedians))]!;

  const client = new KinesisClient({ endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 1, fetch: options.fetch });
  const lease: Lease = { shardId: SINK_SHARD, signal: new AbortController().signal, usable: () => true };
  const context: DecodeContext<unknown> = {
    shardId: SINK_SHARD,
    lease,
    processor: new JsonProcessor(),
    hashRange: { start: 0n, end: 2n ** 128n - 1n },
    millisBehindLatest: 0,
  };
  const oursPage = async (): Promise<number> => {
    const page = await client.getRecordsRaw("bench-iterator", GET_BATCH);
    context.millisBehindLatest = page.millisBehindLatest;
    const writer = new PageWriter<unknown>(SINK_SHARD, lease, page.millisBehindLatest, page.records.length);
    for (const record of page.records) decodeWireRecord(record, context, writer);
    const entries = writer.entries();
    const only = entries[0];
    const items = only?.kind === "page" ? only.data : [];
    check(entries.length === 1 && items.length === GET_BATCH && JSON.stringify(items[items.length - 1]) === expectedLast, "ours");
    return items.length;
  };

  const rounds = quick ? 3 : 9;
  const pagesPerRound = quick ? 2 : 5;
  const sides: Record<string, () => Promise<number>> = { floor: () => floorPage(floor.decode), ours: oursPage, ...options.extraSides };
  for (let i = 0; i < (quick ? 2 : 10); i++) for (const page of Object.values(sides)) await page();
  const results: Record<string, Round[]> = {};
  // Alternate sides round by round so drift (thermal, other tenants) hits all alike.
  for (let r = 0; r < rounds; r++) for (const [name, page] of Object.entries(sides)) (results[name] ??= []).push(await round(page, pagesPerRound));

  // Not interleaved with the rounds above: the Consumer's reader prefetches in the background. Its
  // rounds alternate with the paced floor's; a Consumer round ends with close(), so nothing overlaps.
  const consumerPages = quick ? 3 : 10;
  const consumerRounds: Array<Round & { startupMs: number }> = [];
  const pacedFloorRounds: Round[] = [];
  // Warm-up as long as a measured round, as the floor's is: the Consumer's code paths are many and the
  // runtimes optimize them over its first pages.
  await consumerRound(endpoint, consumerPages, options.fetch);
  for (let r = 0; r < (quick ? 2 : 7); r++) {
    consumerRounds.push(await consumerRound(endpoint, consumerPages, options.fetch));
    pacedFloorRounds.push(await pacedRound(() => floorPage(floor.decode), consumerPages));
  }

  const cpu = (name: string): number => median(results[name]!.map((x) => x.cpuMs));
  const extraMs: Record<string, number> = {};
  for (const name of Object.keys(options.extraSides ?? {})) extraMs[name] = cpu(name);
  return {
    runtime: runtimeName(),
    floorDecode: floor.name,
    floorMs: cpu("floor"),
    oursMs: cpu("ours"),
    consumerMs: median(consumerRounds.map((x) => x.cpuMs)),
    consumerStartupMs: median(consumerRounds.map((x) => x.startupMs)),
    pacedFloorMs: median(pacedFloorRounds.map((x) => x.cpuMs)),
    extraMs,
    wallMs: {
      floor: median(results["floor"]!.map((x) => x.wallMs)),
      ours: median(results["ours"]!.map((x) => x.wallMs)),
      consumer: median(consumerRounds.map((x) => x.wallMs)),
      pacedFloor: median(pacedFloorRounds.map((x) => x.wallMs)),
    },
    rounds,
    pagesPerRound,
    consumerRounds: consumerRounds.length,
  };
}

interface Round {
  cpuMs: number;
  wallMs: number;
}

/** CPU-ms and wall-ms per page over `pages` sequential pages, after a GC. */
async function round(page: () => Promise<number>, pages: number): Promise<Round> {
  collectGarbage();
  const cpu0 = cpuMs();
  const wall0 = performance.now();
  for (let i = 0; i < pages; i++) await page();
  return { cpuMs: (cpuMs() - cpu0) / pages, wallMs: (performance.now() - wall0) / pages };
}

/**
 * `round`, but one page every 1 / CONSUMER_FETCH_RATE s (start to start), idle in between, as any
 * consumer within the service's per-shard limit runs: each page then starts after an idle wait (cold
 * caches, the runtime's idle-time garbage collection), which costs CPU a back-to-back loop does not pay.
 */
async function pacedRound(page: () => Promise<number>, pages: number): Promise<Round> {
  collectGarbage();
  const cpu0 = cpuMs();
  const wall0 = performance.now();
  const interval = 1000 / CONSUMER_FETCH_RATE;
  for (let i = 0; i < pages; i++) {
    const wait = wall0 + i * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await page();
  }
  return { cpuMs: (cpuMs() - cpu0) / pages, wallMs: (performance.now() - wall0) / pages };
}

/**
 * A fresh Consumer's steady state, per page: from its first item to the first item of page `pages + 1`
 * (every page in between fetched on the Consumer's pace, decoded, queued, handed out and committed),
 * and apart from that its start-up (to the first item) plus `close()`.
 */
async function consumerRound(endpoint: string, pages: number, fetchFn: typeof fetch | undefined): Promise<Round & { startupMs: number }> {
  collectGarbage();
  const cpu0 = cpuMs();
  const consumer = new Consumer({
    streamName: SINK_STREAM,
    endpoint,
    region: "us-east-1",
    credentials: CREDENTIALS,
    maxAttempts: 1,
    shardFetchRate: CONSUMER_FETCH_RATE,
    ...(fetchFn === undefined ? {} : { fetch: fetchFn }),
  });
  const expectedFirst = new TextDecoder().decode(jsonRecordBytes(0));
  const items = pages * GET_BATCH + 1;
  let taken = 0;
  let steadyFrom = { cpu: 0, wall: 0 };
  let steadyTo = { cpu: 0, wall: 0 };
  for await (const item of consumer) {
    if (++taken === 1) steadyFrom = { cpu: cpuMs(), wall: performance.now() };
    if (taken === items) {
      steadyTo = { cpu: cpuMs(), wall: performance.now() };
      // Every page starts again at record 0: this is the first item of page `pages + 1`.
      check(JSON.stringify(item) === expectedFirst, "Consumer");
      break;
    }
  }
  const closeFrom = cpuMs();
  await consumer.close();
  const startupMs = steadyFrom.cpu - cpu0 + (cpuMs() - closeFrom);
  return { cpuMs: (steadyTo.cpu - steadyFrom.cpu) / pages, wallMs: (steadyTo.wall - steadyFrom.wall) / pages, startupMs };
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} returned an unexpected result; the bench would measure the wrong thing`);
}
