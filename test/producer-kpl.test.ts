import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { recordHashKey } from "../src/aggregation/kpl.ts";
import { KPLJsonProcessor, KPLStringProcessor } from "../src/processors/index.ts";
import { ShardMap } from "../src/producer/shard-map.ts";
import { createStream, localKinesis } from "./support/clients.ts";
import { flushLog, localProducer } from "./support/producer.ts";
import { readAllRecords } from "./support/read-stream.ts";

// aws-kinesis-agg's own .d.ts imports packages it does not depend on: load it untyped, typed here.
interface OracleUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  data: string | Buffer;
}
interface Oracle {
  deaggregateSync(
    record: { partitionKey: string; data: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (error: Error | null | undefined, records?: OracleUserRecord[]) => void,
  ): void;
}
const oracle = createRequire(import.meta.url)("aws-kinesis-agg") as Oracle;

function oracleDeaggregate(data: Uint8Array, partitionKey: string): OracleUserRecord[] {
  let result: OracleUserRecord[] | undefined;
  let failure: unknown;
  oracle.deaggregateSync({ partitionKey, data: Buffer.from(data).toString("base64"), sequenceNumber: "1" }, true, (error, records) => {
    if (error) failure = error;
    else result = records;
  });
  if (failure !== undefined) throw failure;
  return result ?? [];
}

/** The oracle hands aggregated sub-records back as base64 and pass-through records as bytes. */
function oracleText(record: OracleUserRecord): string {
  return typeof record.data === "string" ? Buffer.from(record.data, "base64").toString("utf8") : record.data.toString("utf8");
}

const kinesis = localKinesis();
const EXPLICIT = ["0", "170141183460469231731687303715884105728", "340282366920938463463374607431768211455", "85070591730234615865843651857942052864"];

describe("Producer KPL aggregation, checked with aws-kinesis-agg", () => {
  it("aws-kinesis-agg deaggregates the stream into the same records, keys and explicit hash keys", async () => {
    const stream = await createStream(kinesis, 4, "producer-kpl");
    const producer = localProducer<string>(stream, { processor: new KPLStringProcessor() });
    const put: Array<{ text: string; partitionKey: string; explicitHashKey?: string }> = [];
    for (let i = 0; i < 3000; i++) {
      const entry = {
        text: `record ${i} ${"ü".repeat(i % 40)}`,
        partitionKey: i % 11 === 0 ? `ключ-${i}` : `user-${i % 37}`,
        ...(i % 5 === 0 ? { explicitHashKey: EXPLICIT[i % EXPLICIT.length]! } : {}),
      };
      put.push(entry);
      await producer.put(entry.text, entry.partitionKey, entry.explicitHashKey === undefined ? {} : { explicitHashKey: entry.explicitHashKey });
    }
    await producer.close();

    const stored = await readAllRecords(kinesis, stream);
    const map = new ShardMap(await kinesis.listShards(stream));
    const seen: Array<{ text: string; partitionKey: string; explicitHashKey?: string }> = [];
    for (const record of stored) {
      const subRecords = oracleDeaggregate(record.data, record.partitionKey);
      expect(subRecords.length).toBeGreaterThan(0);
      for (const sub of subRecords) {
        const original = put.find((p) => p.text === oracleText(sub))!;
        expect(original, oracleText(sub)).toBeDefined();
        expect(sub.partitionKey).toBe(original.partitionKey);
        // The oracle reports table entry 0 for sub-records without one; compare where we set one.
        if (original.explicitHashKey !== undefined) expect(sub.explicitPartitionKey).toBe(original.explicitHashKey);
        // Every sub-record belongs on the shard its aggregate landed on, or a KCL consumer drops it.
        expect(map.lookup(recordHashKey(original))!.shardId).toBe(record.shardId);
        seen.push(original);
      }
    }
    expect(seen).toHaveLength(put.length);
    expect(new Set(seen.map((s) => s.text)).size).toBe(put.length);
  });

  // Also pins that back-pressure never waits out bufferTime: 20000 items exceed maxQueueSize (10000)
  // while every aggregate could still take more, so the waiting puts must make the producer send.
  it("packs 100-byte JSON records many to a Kinesis record (aggregation ratio)", async () => {
    const stream = await createStream(kinesis, 2, "producer-kpl-ratio");
    const log = flushLog();
    const producer = localProducer(stream, { processor: new KPLJsonProcessor(), afterFlush: log.afterFlush, bufferTime: 60 });
    for (let i = 0; i < 20_000; i++) await producer.put({ id: i, body: "x".repeat(80) }, `device-${i % 1000}`);
    await producer.close();
    const records = log.stats.reduce((n, s) => n + s.records, 0);
    const userRecords = log.stats.reduce((n, s) => n + s.userRecords, 0);
    expect(userRecords).toBe(20_000);
    // ~2 MB of items in 1 MiB aggregates: a handful of Kinesis records, not thousands.
    expect(userRecords / records).toBeGreaterThan(1000);
    const parsed = (await readAllRecords(kinesis, stream)).flatMap((r) => new KPLJsonProcessor().parse(r.data));
    expect(parsed).toHaveLength(20_000);
  });
});
