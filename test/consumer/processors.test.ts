/**
 * Every processor end to end: payloads packed by the processor's own aggregator, put by the AWS SDK,
 * read back by the Consumer on 2- and 4-shard streams. Each original item must come out exactly once
 * with the metadata the SDK reported for the record that carried it.
 */
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import { afterAll, describe, expect, it } from "vitest";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { Shard } from "../../src/kinesis/types.ts";
import {
  BytesProcessor,
  JsonLineProcessor,
  JsonListProcessor,
  JsonProcessor,
  KPLJsonProcessor,
  KPLStringProcessor,
  MsgpackProcessor,
  type Processor,
  StringProcessor,
} from "../../src/processors/index.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";
import { collect, localConsumer, md5Hash, openShards, shardOfHash } from "./harness.ts";

const sdk = sdkKinesis();
afterAll(() => sdk.destroy());

const ITEMS = 120;
const MAX_RECORD_BYTES = 1024 * 1024;

interface Case<T> {
  name: string;
  processor: () => Processor<T>;
  item: (i: number) => T;
  id: (item: T) => string;
  /** Packs several items per record. */
  aggregates: boolean;
  /** KPL aggregates: items keep their own partition keys and get a subSequenceNumber. */
  kpl: boolean;
}

type JsonItem = { id: string; n: number; text: string; nested: { list: number[]; flag: boolean; none: null } };
const jsonItem = (i: number): JsonItem => ({
  id: `j-${i}`,
  n: i * 1.5,
  text: `ünïcødé ✓ 🚀 line "${i}"`,
  nested: { list: [i, -i - 1, 2 ** 40 + i], flag: i % 2 === 0, none: null },
});
const stringItem = (i: number): string => `s-${i}: ünïcødé ✓ 🚀 ${"x".repeat(i % 50)}`;
const bytesItem = (i: number): Uint8Array => Uint8Array.from({ length: 1 + (i % 97) }, (_, k) => (i * 31 + k * 7) & 255);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
type MsgpackItem = { id: string; n: number; bin: Uint8Array; list: Array<string | number> };
const msgpackItem = (i: number): MsgpackItem => ({ id: `m-${i}`, n: i - 60, bin: bytesItem(i), list: ["a", i, 2 ** 33 + i] });

const CASES = [
  { name: "JsonProcessor", processor: () => new JsonProcessor<JsonItem>(), item: jsonItem, id: (x: JsonItem) => x.id, aggregates: false, kpl: false },
  { name: "StringProcessor", processor: () => new StringProcessor(), item: stringItem, id: (x: string) => x, aggregates: false, kpl: false },
  { name: "BytesProcessor", processor: () => new BytesProcessor(), item: bytesItem, id: hex, aggregates: false, kpl: false },
  { name: "JsonLineProcessor", processor: () => new JsonLineProcessor<JsonItem>(), item: jsonItem, id: (x: JsonItem) => x.id, aggregates: true, kpl: false },
  { name: "JsonListProcessor", processor: () => new JsonListProcessor<JsonItem>(), item: jsonItem, id: (x: JsonItem) => x.id, aggregates: true, kpl: false },
  {
    name: "MsgpackProcessor",
    processor: () => new MsgpackProcessor<MsgpackItem>({ encode: msgpackEncode, decode: msgpackDecode }),
    item: msgpackItem,
    id: (x: MsgpackItem) => x.id,
    aggregates: true,
    kpl: false,
  },
  { name: "KPLJsonProcessor", processor: () => new KPLJsonProcessor<JsonItem>(), item: jsonItem, id: (x: JsonItem) => x.id, aggregates: true, kpl: true },
  { name: "KPLStringProcessor", processor: () => new KPLStringProcessor(), item: stringItem, id: (x: string) => x, aggregates: true, kpl: true },
] as Array<Case<unknown>>;

interface Placed<T> {
  item: T;
  /** Index of the record that carries it, in put order. */
  record: number;
  /** Its position inside a KPL aggregate. */
  subSequenceNumber: number | undefined;
  /** The item's own key (the record's key unless KPL keeps per-item keys). */
  partitionKey: string;
}

interface Packed<T> {
  records: Array<{ data: Uint8Array; partitionKey: string }>;
  placed: Array<Placed<T>>;
}

/**
 * Pack items into records with the processor's aggregator, 1 to 5 items per record where it
 * aggregates. KPL items are grouped by the shard their own partition key hashes to, so every
 * sub-record lies in the range of the shard its aggregate lands on.
 */
function pack<T>(testCase: Case<T>, shards: readonly Shard[]): Packed<T> {
  const items = Array.from({ length: ITEMS }, (_, i) => ({ item: testCase.item(i), partitionKey: `key-${i}` }));
  const groups = new Map<string, typeof items>();
  for (const entry of items) {
    const group = testCase.kpl ? shardOfHash(md5Hash(entry.partitionKey), shards).shardId : "all";
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  const processor = testCase.processor();
  const packed: Packed<T> = { records: [], placed: [] };
  let target = 1;
  for (const group of groups.values()) {
    const aggregator = processor.aggregator(MAX_RECORD_BYTES);
    let pending: Array<Placed<T>> = [];
    const flush = (): void => {
      const record = aggregator.flush();
      if (record === undefined) return;
      expect(record.count).toBe(pending.length);
      for (const p of pending) {
        p.record = packed.records.length;
        if (!testCase.kpl) p.partitionKey = record.partitionKey;
      }
      packed.records.push({ data: record.data, partitionKey: record.partitionKey });
      packed.placed.push(...pending);
      pending = [];
      target = testCase.aggregates ? (target % 5) + 1 : 1;
    };
    for (const { item, partitionKey } of group) {
      if (!aggregator.add(item, partitionKey)) {
        flush();
        expect(aggregator.add(item, partitionKey)).toBe(true);
      }
      pending.push({ item, record: -1, subSequenceNumber: testCase.kpl ? pending.length : undefined, partitionKey });
      if (aggregator.count >= target) flush();
    }
    flush();
  }
  return packed;
}

describe.each(CASES)("$name through the Consumer", (testCase) => {
  it.each([2, 4])("delivers every item of a %i-shard stream exactly once, with the SDK's metadata", async (shardCount) => {
    const stream = await createStream(localKinesis(), shardCount, "proc");
    const { records, placed } = pack(testCase, await openShards(stream));
    if (testCase.aggregates) expect(records.length).toBeLessThan(ITEMS / 2);
    else expect(records.length).toBe(ITEMS);
    const put = await sdkPutAll(sdk, stream, records);
    expect(new Set(put.map((p) => p.shardId)).size).toBe(shardCount);

    await using consumer = localConsumer<unknown>(stream, { processor: testCase.processor() });
    const got: Array<ConsumerRecord<unknown>> = await collect(consumer.records());

    expect(got).toHaveLength(ITEMS);
    const byId = new Map(got.map((r) => [testCase.id(r.data), r]));
    expect(byId.size).toBe(ITEMS);
    for (const expected of placed) {
      const record = byId.get(testCase.id(expected.item));
      expect(record, testCase.id(expected.item)).toBeDefined();
      const carrier = put[expected.record]!;
      expect(record!.data).toEqual(expected.item);
      expect({
        sequenceNumber: record!.sequenceNumber,
        shardId: record!.shardId,
        partitionKey: record!.partitionKey,
        subSequenceNumber: record!.subSequenceNumber,
      }).toEqual({
        sequenceNumber: carrier.sequenceNumber,
        shardId: carrier.shardId,
        partitionKey: expected.partitionKey,
        subSequenceNumber: expected.subSequenceNumber,
      });
      expect(record!.approximateArrivalTimestamp).toBeInstanceOf(Date);
      expect(Math.abs(record!.approximateArrivalTimestamp.getTime() - Date.now())).toBeLessThan(120_000);
    }
    // Within a shard, items come in (sequence, subSequence) order.
    for (const shardId of new Set(got.map((r) => r.shardId))) {
      const order = got.filter((r) => r.shardId === shardId).map((r) => [BigInt(r.sequenceNumber), r.subSequenceNumber ?? 0] as const);
      const sorted = [...order].sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] - b[1]));
      expect(order).toEqual(sorted);
    }
    expect(consumer.stats().recordsDelivered).toBe(ITEMS);
  });
});
