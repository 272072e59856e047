import { expect, it } from "vitest";
import type { Lease } from "../../src/checkpointers/types.ts";
import { type DecodeContext, decodeWireRecord } from "../../src/consumer/decode.ts";
import { type ItemPage, type QueueEntry, toConsumerRecord } from "../../src/consumer/entries.ts";
import { PageWriter } from "../../src/consumer/page-writer.ts";
import { KplAggregator } from "../../src/aggregation/kpl.ts";
import { encodeBase64 } from "../../src/internal/base64.ts";
import { JsonLineProcessor, JsonProcessor, type Processor } from "../../src/processors/index.ts";
import type { WireKinesisRecord } from "../../src/kinesis/types.ts";

/**
 * Queued items are flat (no public record, no Date per item while queued); `records()` builds the
 * public record at hand-out. These pin that the record it builds is the one the consumer always gave.
 */

const lease: Lease = { shardId: "shard-0", signal: new AbortController().signal, usable: () => true };

function decode(data: string, arrival: number | undefined): Array<QueueEntry<unknown>> {
  const context: DecodeContext<unknown> = { shardId: "shard-0", lease, processor: new JsonProcessor(), hashRange: undefined, millisBehindLatest: 42 };
  const out = new PageWriter<unknown>("shard-0", lease, 42);
  const wire = { SequenceNumber: "4959", PartitionKey: "pk", Data: btoa(data), ...(arrival === undefined ? {} : { ApproximateArrivalTimestamp: arrival }) };
  decodeWireRecord(wire, context, out);
  return out.entries();
}

function onlyPage(entries: Array<QueueEntry<unknown>>): ItemPage<unknown> {
  const [entry] = entries;
  if (entry?.kind !== "page" || entries.length !== 1) throw new Error("expected one page");
  return entry;
}

it("a queued item becomes the public record at hand-out: arrival as a Date, no KPL fields on a plain record", () => {
  const page = onlyPage(decode(`{"a":1}`, 1_767_225_600.123));
  expect(page.commitAt(0)).toBe("4959");
  expect(page.weight).toBe(1);
  const record = toConsumerRecord(page, 0, "orders");
  expect(record).toEqual({
    data: { a: 1 },
    partitionKey: "pk",
    sequenceNumber: "4959",
    shardId: "shard-0",
    streamName: "orders",
    approximateArrivalTimestamp: new Date(1_767_225_600_123),
    millisBehindLatest: 42,
  });
  expect(Object.keys(record)).not.toContain("subSequenceNumber");
  expect(Object.keys(record)).not.toContain("explicitHashKey");
  // Each hand-out gets its own record: a caller mutating one does not change a redelivery.
  expect(toConsumerRecord(page, 0, "orders")).not.toBe(record);
});

it("a record without an arrival time is stamped at the epoch, as before", () => {
  const page = onlyPage(decode(`"x"`, undefined));
  expect(toConsumerRecord(page, 0, "orders").approximateArrivalTimestamp.getTime()).toBe(0);
});

it("a payload that is not JSON becomes an error entry and a commit marker, with no item", () => {
  const out = decode("{not json", 1);
  expect(out.map((e) => e.kind)).toEqual(["error", "commit"]);
  expect(out[1]?.kind === "commit" && out[1].commit).toBe("4959");
});

/** Decode several wire records into one writer, as a reader decodes a page. */
function decodePage(processor: Processor<unknown>, wires: WireKinesisRecord[]): Array<QueueEntry<unknown>> {
  const context: DecodeContext<unknown> = { shardId: "shard-0", lease, processor, hashRange: undefined, millisBehindLatest: 0 };
  // Sized for the records, as the readers size it: a split page is cut to its items, one of many items grows.
  const out = new PageWriter<unknown>("shard-0", lease, 0, wires.length);
  for (const wire of wires) decodeWireRecord(wire, context, out);
  return out.entries();
}

const wireOf = (sequence: string, data: Uint8Array | string): WireKinesisRecord => ({
  SequenceNumber: sequence,
  PartitionKey: `pk-${sequence}`,
  Data: typeof data === "string" ? btoa(data) : encodeBase64(data),
});

it("a fetched page is one queue entry of columns; a decode error splits it, in shard order", () => {
  const entries = decodePage(new JsonProcessor(), [wireOf("1", `{"n":1}`), wireOf("2", `{"n":2}`), wireOf("3", "{bad"), wireOf("4", `{"n":4}`)]);
  expect(entries.map((e) => e.kind)).toEqual(["page", "error", "commit", "page"]);
  const first = entries[0] as ItemPage<unknown>;
  expect(first.data).toEqual([{ n: 1 }, { n: 2 }]);
  expect(first.sequenceNumber).toEqual(["1", "2"]);
  expect(first.weight).toBe(2);
  expect([first.commitAt(0), first.commitAt(1)]).toEqual(["1", "2"]);
  expect((entries[3] as ItemPage<unknown>).data).toEqual([{ n: 4 }]);
});

it("a payload of several items commits its record on its last item only, and the page weighs one record for it", () => {
  const page = onlyPage(decodePage(new JsonLineProcessor(), [wireOf("7", `{"a":1}\n{"a":2}\n{"a":3}`)]));
  expect(page.data).toHaveLength(3);
  expect(page.weight).toBe(1);
  expect([page.commitAt(0), page.commitAt(1), page.commitAt(2)]).toEqual([undefined, undefined, "7"]);
});

it("a KPL page: each sub-record carries its position, the last sub-record commits the record, the others a step's end", () => {
  const aggregator = new KplAggregator<string>(1 << 20, (text) => new TextEncoder().encode(text));
  aggregator.add(`{"s":0}`, "key-a");
  aggregator.add(`{"s":1}`, "key-b", "12345");
  aggregator.add(`{"s":2}`, "key-c");
  const aggregate = aggregator.flush()!;
  const page = onlyPage(decodePage(new JsonProcessor(), [wireOf("9", `"plain"`), wireOf("10", aggregate.data)]));
  expect(page.data).toEqual(["plain", { s: 0 }, { s: 1 }, { s: 2 }]);
  expect(page.weight).toBe(2);
  expect([1, 2, 3].map((at) => page.commitAt(at))).toEqual([undefined, undefined, "10"]);
  expect([1, 2, 3].map((at) => page.stepCommitAt(at))).toEqual(["10:0", "10:1", "10:2"]);
  expect(toConsumerRecord(page, 2, "orders")).toMatchObject({ partitionKey: "key-b", subSequenceNumber: 1, explicitHashKey: "12345", sequenceNumber: "10" });
  expect(Object.keys(toConsumerRecord(page, 0, "orders"))).not.toContain("subSequenceNumber");
  expect(Object.keys(toConsumerRecord(page, 1, "orders"))).not.toContain("explicitHashKey");
});

it("a processor with only parse and parseText (no single-item methods) still decodes as before", () => {
  const legacy: Processor<unknown> = {
    parse: (data) => [new TextDecoder().decode(data)],
    parseText: (text) => [text, text],
    aggregator: () => new JsonProcessor().aggregator(10),
  };
  const page = onlyPage(decodePage(legacy, [wireOf("1", "ab"), wireOf("2", new Uint8Array([0xc3, 0xa9]))]));
  expect(page.data).toEqual(["ab", "ab", "é"]);
  expect([page.commitAt(0), page.commitAt(1), page.commitAt(2)]).toEqual([undefined, "1", "2"]);
});
