import { expect, it } from "vitest";
import type { Lease } from "../../src/checkpointers/types.ts";
import { type DecodeContext, decodeWireRecord } from "../../src/consumer/decode.ts";
import { type QueueEntry, toConsumerRecord } from "../../src/consumer/entries.ts";
import { JsonProcessor } from "../../src/index.ts";

/**
 * Queued items are flat (no public record, no Date per item while queued); `records()` builds the
 * public record at hand-out. These pin that the record it builds is the one the consumer always gave.
 */

const lease: Lease = { shardId: "shard-0", signal: new AbortController().signal, usable: () => true };

function decode(data: string, arrival: number | undefined): Array<QueueEntry<unknown>> {
  const context: DecodeContext<unknown> = { shardId: "shard-0", lease, processor: new JsonProcessor(), hashRange: undefined, millisBehindLatest: 42 };
  const out: Array<QueueEntry<unknown>> = [];
  const wire = { SequenceNumber: "4959", PartitionKey: "pk", Data: btoa(data), ...(arrival === undefined ? {} : { ApproximateArrivalTimestamp: arrival }) };
  decodeWireRecord(wire, context, out);
  return out;
}

it("a queued item becomes the public record at hand-out: arrival as a Date, no KPL fields on a plain record", () => {
  const [entry] = decode(`{"a":1}`, 1_767_225_600.123);
  expect(entry?.kind).toBe("item");
  if (entry?.kind !== "item") return;
  expect(entry.commit).toBe("4959");
  expect(entry.weight).toBe(1);
  const record = toConsumerRecord(entry, "orders");
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
  expect(toConsumerRecord(entry, "orders")).not.toBe(record);
});

it("a record without an arrival time is stamped at the epoch, as before", () => {
  const [entry] = decode(`"x"`, undefined);
  if (entry?.kind !== "item") throw new Error("expected an item");
  expect(toConsumerRecord(entry, "orders").approximateArrivalTimestamp.getTime()).toBe(0);
});

it("a payload that is not JSON becomes an error entry and a commit marker, with no item", () => {
  const out = decode("{not json", 1);
  expect(out.map((e) => e.kind)).toEqual(["error", "commit"]);
  expect(out[1]?.commit).toBe("4959");
});
