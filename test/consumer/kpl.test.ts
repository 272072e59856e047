/**
 * KPL aggregates written by aws-kinesis-agg (the oracle), put by the AWS SDK, read by the Consumer:
 * unpacked into sub-records with their keys, passed through raw when the checksum or magic is wrong,
 * filtered to the shard's hash range, and committed even when nothing in them is for this shard.
 */
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { Shard } from "../../src/kinesis/types.ts";
import { BytesProcessor } from "../../src/processors/index.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { collect, hashKeyIn, inRange, keyOnShard, localConsumer, md5Hash, openShards } from "./harness.ts";

// aws-kinesis-agg's .d.ts imports packages it does not depend on: load it untyped, typed here.
interface OracleAggregator {
  addUserRecord(record: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
}
const oracle = createRequire(import.meta.url)("aws-kinesis-agg") as { RecordAggregator: new () => OracleAggregator };

const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

/** The parts of a ConsumerRecord these tests compare. */
interface Seen {
  data: { id: string };
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number | undefined;
  shardId: string;
  explicitHashKey?: string;
}

interface SubRecord {
  partitionKey: string;
  explicitHashKey?: string;
  payload: { id: string };
}

function oracleAggregate(subRecords: readonly SubRecord[]): Uint8Array {
  const aggregator = new oracle.RecordAggregator();
  for (const sub of subRecords) {
    const input: { partitionKey: string; explicitHashKey?: string; data: Buffer } = {
      partitionKey: sub.partitionKey,
      data: Buffer.from(JSON.stringify(sub.payload)),
    };
    if (sub.explicitHashKey !== undefined) input.explicitHashKey = sub.explicitHashKey;
    aggregator.addUserRecord(input);
  }
  const built = aggregator.build();
  if (built === undefined) throw new Error("aws-kinesis-agg built nothing");
  return new Uint8Array(built.data);
}

/** Hash of a sub-record as Kinesis and the KCL place it: the explicit hash key, else MD5 of the key. */
function hashOf(sub: SubRecord): bigint {
  return sub.explicitHashKey !== undefined ? BigInt(sub.explicitHashKey) : md5Hash(sub.partitionKey);
}

/** Sub-records alternating between "by partition key" and "by explicit hash key", all inside `shard`. */
function subRecordsFor(shard: Shard, count: number, tag: string, other?: Shard): SubRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${tag}-${i}`;
    if (i % 2 === 0) return { partitionKey: keyOnShard(shard, `${tag}-pk`, i), payload: { id } };
    // An explicit hash key wins over the partition key, even one that hashes to another shard.
    const partitionKey = other === undefined ? `${tag}-any-${i}` : keyOnShard(other, `${tag}-elsewhere`, i);
    return { partitionKey, explicitHashKey: hashKeyIn(shard, i / (count + 1)), payload: { id } };
  });
}

describe("Consumer reads KPL aggregates made by aws-kinesis-agg", () => {
  it("delivers each aggregate's sub-records with subSequenceNumber 0..n-1, partition keys and explicit hash keys", async () => {
    const stream = await createStream(localKinesis(), 2, "kpl-agg");
    const shards = await openShards(stream);
    const aggregates = shards.map((shard, s) => ({
      shard,
      subRecords: subRecordsFor(shard, 7 + s, `agg${s}`, shards[1 - s]),
    }));
    for (const { shard, subRecords } of aggregates) expect(subRecords.every((sub) => inRange(hashOf(sub), shard))).toBe(true);
    const put = await sdkPutAll(
      sdk,
      stream,
      aggregates.map(({ shard, subRecords }) => ({
        data: oracleAggregate(subRecords),
        partitionKey: subRecords[0]!.partitionKey,
        explicitHashKey: hashKeyIn(shard),
      })),
    );
    expect(put.map((p) => p.shardId)).toEqual(shards.map((s) => s.shardId));

    await using consumer = localConsumer<{ id: string }>(stream);
    const got: Array<ConsumerRecord<{ id: string }>> = await collect(consumer.records());
    const expected = aggregates.flatMap(({ subRecords }, a) =>
      subRecords.map((sub, i) => {
        const record: Seen = {
          data: sub.payload,
          partitionKey: sub.partitionKey,
          sequenceNumber: put[a]!.sequenceNumber,
          subSequenceNumber: i,
          shardId: put[a]!.shardId,
        };
        if (sub.explicitHashKey !== undefined) record.explicitHashKey = sub.explicitHashKey;
        return record;
      }),
    );
    const sortKey = (r: Seen): string => `${r.shardId}/${r.subSequenceNumber}`;
    const comparable = got
      .map(({ data, partitionKey, sequenceNumber, subSequenceNumber, shardId, explicitHashKey }) => {
        const record: Seen = { data, partitionKey, sequenceNumber, subSequenceNumber, shardId };
        if (explicitHashKey !== undefined) record.explicitHashKey = explicitHashKey;
        return record;
      })
      .sort((a, b) => sortKey(a).localeCompare(sortKey(b), "en", { numeric: true }));
    expect(comparable).toEqual(expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b), "en", { numeric: true })));
    // A sub-record without an explicit hash key has none: not the table's first entry.
    const withoutKey = got.filter((r) => r.data.id.endsWith("-0"));
    expect(withoutKey).toHaveLength(2);
    for (const record of withoutKey) expect(record).not.toHaveProperty("explicitHashKey");
  });

  it.each([
    ["a corrupt MD5", (bytes: Uint8Array) => (bytes[bytes.length - 1]! ^= 0x01)],
    ["a corrupt magic", (bytes: Uint8Array) => (bytes[0]! ^= 0x80)],
  ])("delivers a record with %s raw, byte for byte", async (_what, corrupt) => {
    const stream = await createStream(localKinesis(), 1, "kpl-corrupt");
    const good = oracleAggregate([
      { partitionKey: "a", payload: { id: "x" } },
      { partitionKey: "b", payload: { id: "y" } },
    ]);
    const bad = Uint8Array.from(good);
    corrupt(bad);
    const put = await sdkPutAll(sdk, stream, [
      { data: bad, partitionKey: "outer-bad" },
      { data: good, partitionKey: "outer-good" },
    ]);
    await using consumer = localConsumer<Uint8Array>(stream, { processor: new BytesProcessor() });
    const got = await collect(consumer.records());
    expect(got).toHaveLength(3);
    const [raw, ...unpacked] = got;
    expect(Buffer.from(raw!.data).equals(Buffer.from(bad))).toBe(true);
    expect(raw).toMatchObject({ partitionKey: "outer-bad", sequenceNumber: put[0]!.sequenceNumber });
    expect(raw).not.toHaveProperty("subSequenceNumber");
    // The intact aggregate next to it is still unpacked.
    expect(unpacked.map((r) => [new TextDecoder().decode(r.data), r.partitionKey, r.subSequenceNumber])).toEqual([
      ['{"id":"x"}', "a", 0],
      ['{"id":"y"}', "b", 1],
    ]);
  });
});

describe("Consumer drops KPL sub-records outside the shard's hash range", () => {
  it("keeps only the sub-records whose explicit hash key or partition key MD5 lies in the shard", async () => {
    const stream = await createStream(localKinesis(), 2, "kpl-range");
    const [mine, theirs] = await openShards(stream);
    const inside = subRecordsFor(mine!, 4, "in", theirs);
    const outside = subRecordsFor(theirs!, 4, "out", mine);
    // Interleaved: in-0, out-0, in-1, out-1, ... so the kept ones have subSequenceNumbers 0, 2, 4, 6.
    const mixed = inside.flatMap((sub, i) => [sub, outside[i]!]);
    const put = await sdkPutAll(sdk, stream, [{ data: oracleAggregate(mixed), partitionKey: "outer", explicitHashKey: hashKeyIn(mine!) }]);
    expect(put[0]!.shardId).toBe(mine!.shardId);

    await using consumer = localConsumer<{ id: string }>(stream);
    const got = await collect(consumer.records());
    expect(got.map((r) => [r.data.id, r.subSequenceNumber, r.partitionKey, r.explicitHashKey])).toEqual(
      inside.map((sub, i) => [sub.payload.id, 2 * i, sub.partitionKey, sub.explicitHashKey]),
    );
  });

  it("commits an aggregate wholly outside the range, so a restart does not read it again", async () => {
    const stream = await createStream(localKinesis(), 2, "kpl-outside");
    const [mine, theirs] = await openShards(stream);
    const put = await sdkPutAll(sdk, stream, [
      { data: oracleAggregate(subRecordsFor(theirs!, 4, "stray", mine)), partitionKey: "outer", explicitHashKey: hashKeyIn(mine!) },
    ]);
    expect(put[0]!.shardId).toBe(mine!.shardId);
    const checkpointer = new MemoryCheckPointer();

    const firstEvents: ConsumerEvent[] = [];
    const first = localConsumer<unknown>(stream, { checkpointer, onEvent: (e) => firstEvents.push(e) });
    expect(await collect(first)).toEqual([]);
    await first.close();
    const fetched = (events: ConsumerEvent[]): number =>
      events.reduce((n, e) => (e.type === "fetched" && e.shardId === mine!.shardId ? n + e.records : n), 0);
    expect(fetched(firstEvents)).toBe(1);

    const session = await checkpointer.start({ streamName: stream });
    expect((await session.get(mine!.shardId))?.sequence).toBe(put[0]!.sequenceNumber);
    await session.close();

    const secondEvents: ConsumerEvent[] = [];
    const second = localConsumer<unknown>(stream, { checkpointer, onEvent: (e) => secondEvents.push(e) });
    expect(await collect(second)).toEqual([]);
    await second.close();
    expect(secondEvents).toContainEqual({ type: "shardStarted", shardId: mine!.shardId, position: `AFTER_SEQUENCE_NUMBER ${put[0]!.sequenceNumber}` });
    expect(fetched(secondEvents)).toBe(0);
  });
});
