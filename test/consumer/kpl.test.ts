/**
 * KPL aggregates written by aws-kinesis-agg (the oracle), put by the AWS SDK, read by the Consumer:
 * unpacked into sub-records with their keys, passed through raw when the checksum or magic is wrong.
 * Sub-records outside the shard's hash range are delivered by default (producers that aggregate
 * without shard awareness put many keys in one record), counted and announced; with
 * `kplHashRangeCheck: "drop"` they are dropped, and an aggregate wholly outside is still committed.
 */
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { ConfigError } from "../../src/errors.ts";
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
      })
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

describe('Consumer with kplHashRangeCheck: "drop" drops KPL sub-records outside the shard\'s hash range', () => {
  it("keeps only the sub-records whose explicit hash key or partition key MD5 lies in the shard", async () => {
    const stream = await createStream(localKinesis(), 2, "kpl-range");
    const [mine, theirs] = await openShards(stream);
    const inside = subRecordsFor(mine!, 4, "in", theirs);
    const outside = subRecordsFor(theirs!, 4, "out", mine);
    // Interleaved: in-0, out-0, in-1, out-1, ... so the kept ones have subSequenceNumbers 0, 2, 4, 6.
    const mixed = inside.flatMap((sub, i) => [sub, outside[i]!]);
    const put = await sdkPutAll(sdk, stream, [{ data: oracleAggregate(mixed), partitionKey: "outer", explicitHashKey: hashKeyIn(mine!) }]);
    expect(put[0]!.shardId).toBe(mine!.shardId);

    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { kplHashRangeCheck: "drop", onEvent: (e) => events.push(e) });
    const got = await collect(consumer.records());
    expect(got.map((r) => [r.data.id, r.subSequenceNumber, r.partitionKey, r.explicitHashKey])).toEqual(
      inside.map((sub, i) => [sub.payload.id, 2 * i, sub.partitionKey, sub.explicitHashKey]),
    );
    expect(events.filter((e) => e.type === "kplOutOfRange")).toEqual([
      { type: "kplOutOfRange", shardId: mine!.shardId, sequenceNumber: put[0]!.sequenceNumber, count: 4, action: "dropped" },
    ]);
    expect(consumer.stats().kplOutOfRange).toBe(4);
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
    const first = localConsumer<unknown>(stream, { checkpointer, kplHashRangeCheck: "drop", onEvent: (e) => firstEvents.push(e) });
    expect(await collect(first)).toEqual([]);
    await first.close();
    const fetched = (events: ConsumerEvent[]): number => events.reduce((n, e) => (e.type === "fetched" && e.shardId === mine!.shardId ? n + e.records : n), 0);
    expect(fetched(firstEvents)).toBe(1);

    const session = await checkpointer.start({ streamName: stream });
    expect((await session.get(mine!.shardId))?.sequence).toBe(put[0]!.sequenceNumber);
    await session.close();

    const secondEvents: ConsumerEvent[] = [];
    const second = localConsumer<unknown>(stream, { checkpointer, kplHashRangeCheck: "drop", onEvent: (e) => secondEvents.push(e) });
    expect(await collect(second)).toEqual([]);
    await second.close();
    expect(secondEvents).toContainEqual({ type: "shardStarted", shardId: mine!.shardId, position: `AFTER_SEQUENCE_NUMBER ${put[0]!.sequenceNumber}` });
    expect(fetched(secondEvents)).toBe(0);
  });
});

/** An aggregate as a producer without shard awareness builds it: many keys, the first key outside. */
function manyKeyAggregates(count: number, keysEach: number): Array<{ data: Uint8Array; partitionKey: string; subRecords: SubRecord[] }> {
  return Array.from({ length: count }, (_, a) => {
    const subRecords = Array.from({ length: keysEach }, (_, i) => ({ partitionKey: `user-${a}-${i}`, payload: { id: `${a}-${i}` } }));
    const aggregator = new oracle.RecordAggregator();
    for (const sub of subRecords) aggregator.addUserRecord({ partitionKey: sub.partitionKey, data: Buffer.from(JSON.stringify(sub.payload)) });
    const built = aggregator.build();
    if (built === undefined) throw new Error("aws-kinesis-agg built nothing");
    return { data: new Uint8Array(built.data), partitionKey: built.partitionKey, subRecords };
  });
}

describe("Consumer reads aggregates of many keys from a producer without shard awareness", () => {
  /** 12 aggregates of 25 keys each on a 4-shard stream: about three in four sub-records land outside their record's shard. */
  async function putManyKeyAggregates() {
    const stream = await createStream(localKinesis(), 4, "kpl-many-keys");
    const shards = await openShards(stream);
    const aggregates = manyKeyAggregates(12, 25);
    const put = await sdkPutAll(sdk, stream, aggregates);
    const outside = aggregates.map(({ subRecords }, a) => {
      const shard = shards.find((s) => s.shardId === put[a]!.shardId)!;
      return subRecords.filter((sub) => !inRange(hashOf(sub), shard));
    });
    const expectedEvents = (action: "delivered" | "dropped") =>
      outside.flatMap((
        subs,
        a,
      ) => (subs.length === 0
        ? []
        : [{ type: "kplOutOfRange", shardId: put[a]!.shardId, sequenceNumber: put[a]!.sequenceNumber, count: subs.length, action }])
      );
    return { stream, shards, aggregates, outside, expectedEvents };
  }

  const sortedIds = (ids: string[]): string[] => [...ids].sort();
  // Sequence numbers are decimal strings of any length: compared as BigInt.
  const bySequence = <E extends { sequenceNumber: string }>(events: E[]): E[] =>
    [...events].sort((a, b) => (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1));
  const outOfRangeEvents = (events: ConsumerEvent[]) => bySequence(events.filter((e) => e.type === "kplOutOfRange"));

  it("delivers every sub-record by default, and counts and announces those outside their shard", async () => {
    const { stream, shards, aggregates, outside, expectedEvents } = await putManyKeyAggregates();
    const outsideTotal = outside.reduce((n, subs) => n + subs.length, 0);
    expect(outsideTotal).toBeGreaterThan(aggregates.length * 10);

    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { onEvent: (e) => events.push(e) });
    const got = await collect(consumer.records());
    expect(sortedIds(got.map((r) => r.data.id))).toEqual(sortedIds(aggregates.flatMap((a) => a.subRecords.map((sub) => sub.payload.id))));
    expect(outOfRangeEvents(events)).toEqual(bySequence(expectedEvents("delivered")));
    const stats = consumer.stats();
    expect(stats.kplOutOfRange).toBe(outsideTotal);
    const expectedPerShard = Object.fromEntries(shards.map((shard) => [shard.shardId, 0]));
    for (const e of expectedEvents("delivered")) expectedPerShard[e.shardId]! += e.count;
    expect(Object.fromEntries(Object.entries(stats.shards).map(([id, s]) => [id, s.kplOutOfRange]))).toEqual(expectedPerShard);
  });

  it('with kplHashRangeCheck: "drop" delivers only the sub-records inside their shard, and counts the rest', async () => {
    const { stream, aggregates, outside, expectedEvents } = await putManyKeyAggregates();
    const events: ConsumerEvent[] = [];
    await using consumer = localConsumer<{ id: string }>(stream, { kplHashRangeCheck: "drop", onEvent: (e) => events.push(e) });
    const got = await collect(consumer.records());
    const dropped = new Set(outside.flatMap((subs) => subs.map((sub) => sub.payload.id)));
    const inside = aggregates.flatMap((a) => a.subRecords.map((sub) => sub.payload.id)).filter((id) => !dropped.has(id));
    expect(sortedIds(got.map((r) => r.data.id))).toEqual(sortedIds(inside));
    expect(outOfRangeEvents(events)).toEqual(bySequence(expectedEvents("dropped")));
    expect(consumer.stats().kplOutOfRange).toBe(dropped.size);
  });

  it("rejects an unknown kplHashRangeCheck with a ConfigError naming the option", () => {
    const make = () => localConsumer("never-created", { kplHashRangeCheck: "keep" as "drop" });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/kplHashRangeCheck/);
  });
});
