import { describe, expect, it } from "vitest";
import { deaggregate, recordHashKey } from "../src/aggregation/kpl.ts";
import { decodeUtf8 } from "../src/internal/utf8.ts";
import { JsonLineProcessor, KPLJsonProcessor } from "../src/processors/index.ts";
import { ShardMap } from "../src/producer/shard-map.ts";
import { createStream, localKinesis } from "./support/clients.ts";
import { localProducer, recordingFetch } from "./support/producer.ts";
import { readAllRecords } from "./support/read-stream.ts";

const kinesis = localKinesis();

async function split(stream: string): Promise<void> {
  const [only] = await kinesis.listShards(stream);
  const middle = ((BigInt(only!.hashKeyRange.endingHashKey) + 1n) / 2n).toString();
  await kinesis.splitShard(stream, only!.shardId, middle);
  await kinesis.waitForActive(stream, { pollInterval: 0.05 });
}

describe("Producer across a reshard (kinesalite split)", () => {
  it("notices the split from PutRecords answers, refreshes its shard map and keeps every record", async () => {
    const stream = await createStream(kinesis, 1, "producer-split");
    const recording = recordingFetch();
    const producer = localProducer(stream, { fetch: recording.fetch, bufferTime: 0.01 });
    for (let i = 0; i < 100; i++) await producer.put({ i }, `k${i}`);
    await producer.flush();
    await split(stream);
    for (let round = 0; round < 30 && recording.count("ListShards") < 2; round++) {
      for (let i = 0; i < 20; i++) await producer.put({ i: 100 + round * 20 + i }, `k${i}`);
      await producer.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recording.count("ListShards")).toBe(2);
    await producer.close();
    const stored = await readAllRecords(kinesis, stream);
    const values = stored.map((r) => (JSON.parse(decodeUtf8(r.data)) as { i: number }).i);
    expect(new Set(values).size).toBe(values.length);
    expect(values.length).toBeGreaterThan(100);
  });

  it("re-sends the items of a KPL aggregate built before the split that landed outside their new shard", async () => {
    const stream = await createStream(kinesis, 1, "producer-split-kpl");
    const producer = localProducer<{ i: number }>(stream, { processor: new KPLJsonProcessor(), bufferTime: 60 });
    await producer.put({ i: -1 }, "warm-up");
    await producer.flush();
    await split(stream);
    // Built with the old map: one aggregate for the parent, holding keys of both children.
    for (let i = 0; i < 300; i++) await producer.put({ i }, `key-${i}`);
    await producer.close();

    // Read as the KCL (and our consumer) do: a sub-record counts only on the shard its hash belongs to.
    const map = new ShardMap(await kinesis.listShards(stream));
    const counted: number[] = [];
    let strays = 0;
    for (const record of await readAllRecords(kinesis, stream)) {
      const range = map.rangeOf(record.shardId)!;
      for (const sub of deaggregate(record.data)!) {
        const hash = recordHashKey(sub);
        if (hash < range.start || hash > range.end) {
          strays++;
          continue;
        }
        counted.push((JSON.parse(decodeUtf8(sub.data)) as { i: number }).i);
      }
    }
    // The stale aggregate did land with items outside its shard, and each of those came again.
    expect(strays).toBeGreaterThan(0);
    expect(counted.sort((a, b) => a - b)).toEqual(Array.from({ length: 301 }, (_, i) => i - 1));
  });

  it("sends each item of a json-lines aggregate built before the split exactly once (consumers keep whole non-KPL records)", async () => {
    const stream = await createStream(kinesis, 1, "producer-split-lines");
    const producer = localProducer<{ i: number }>(stream, { processor: new JsonLineProcessor(), bufferTime: 60 });
    await producer.put({ i: -1 }, "warm-up");
    await producer.flush();
    await split(stream);
    // Built with the old map: one JSON-lines record for the parent, holding keys of both children.
    for (let i = 0; i < 300; i++) await producer.put({ i }, `key-${i}`);
    await producer.close();

    // Any consumer delivers every line of a non-KPL record, whichever shard it was stored on.
    const processor = new JsonLineProcessor<{ i: number }>();
    const stored = await readAllRecords(kinesis, stream);
    const delivered = stored.flatMap((record) => processor.parse(record.data).map((item) => item.i));
    // The stale aggregate did land on a child holding keys of the other child (else this proves nothing).
    const map = new ShardMap(await kinesis.listShards(stream));
    const keyOf = (i: number): string => (i === -1 ? "warm-up" : `key-${i}`);
    const straddles = stored.some((record) => {
      const range = map.rangeOf(record.shardId)!;
      return processor.parse(record.data).some(({ i }) => {
        const hash = recordHashKey({ partitionKey: keyOf(i) });
        return hash < range.start || hash > range.end;
      });
    });
    expect(straddles).toBe(true);
    expect(delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 301 }, (_, i) => i - 1));
  });
});
