import type { Lease } from "../checkpointers/types.ts";
import type { DecodeError } from "../errors.ts";

/** One user item with where it came from. `data` is the decoded item. */
export interface ConsumerRecord<T = unknown> {
  /** The decoded item, as the consumer's processor produced it. */
  data: T;
  /** The partition key the record was put with (a KPL sub-record's own key). */
  partitionKey: string;
  /** The Kinesis sequence number, a decimal string; shared by all sub-records of one KPL aggregate. */
  sequenceNumber: string;
  /** Position inside a KPL aggregate; absent for plain records. */
  subSequenceNumber?: number;
  /** A KPL sub-record's explicit hash key, when its producer set one. */
  explicitHashKey?: string;
  /** The shard the record was read from. */
  shardId: string;
  /** The stream the record was read from, as named in the options (`streamName`, or its entry in `streams`). */
  streamName: string;
  /** When Kinesis accepted the record. */
  approximateArrivalTimestamp: Date;
  /** How far the shard's reader was behind the tip when it fetched this record, in milliseconds; undefined if Kinesis did not say. */
  millisBehindLatest: number | undefined;
}

interface EntryBase {
  shardId: string;
  /** The lease the reader held when it fetched this; entries of a lost lease are never delivered. */
  lease: Lease;
  /** 1 on the entry that completes a Kinesis record (see RecordQueue). */
  weight: number;
  /** Set on the entry that completes a Kinesis record: commit this sequence once it is consumed. */
  commit: string | undefined;
}

/**
 * A queued item: the record's fields as they came, flat. The public `ConsumerRecord` (with its `Date`)
 * is built only when `records()` hands the item out (`toConsumerRecord`): `for await` over the
 * consumer itself needs just `data`, and two objects and a `Date` per queued item, alive until the
 * caller takes it, were most of the garbage collector's work on the consume path.
 */
export interface ItemFields<T> {
  data: T;
  partitionKey: string;
  sequenceNumber: string;
  /** `ApproximateArrivalTimestamp` as the wire gives it: epoch seconds. */
  arrivalSeconds: number;
  millisBehindLatest: number | undefined;
  subSequenceNumber: number | undefined;
  explicitHashKey: string | undefined;
  bytes: number;
}

/** The public record of a queued item. */
export function toConsumerRecord<T>(entry: ItemFields<T> & { shardId: string }, streamName: string): ConsumerRecord<T> {
  const record: ConsumerRecord<T> = {
    data: entry.data,
    partitionKey: entry.partitionKey,
    sequenceNumber: entry.sequenceNumber,
    shardId: entry.shardId,
    streamName,
    approximateArrivalTimestamp: new Date(entry.arrivalSeconds * 1000),
    millisBehindLatest: entry.millisBehindLatest,
  };
  if (entry.subSequenceNumber !== undefined) record.subSequenceNumber = entry.subSequenceNumber;
  if (entry.explicitHashKey !== undefined) record.explicitHashKey = entry.explicitHashKey;
  return record;
}

/** What the shard readers hand to the iterator, in shard order. */
export type QueueEntry<T> =
  | (EntryBase & ItemFields<T> & {
    kind: "item";
    /**
     * On the last item of a KPL sub-record that does not complete its Kinesis record: the position
     * (`<sequence>:<sub>`) a bounded step that ends here commits, so the next step resumes at the next
     * sub-record. Only a step's end commits it; otherwise records are committed whole (`commit`).
     * Always present (undefined elsewhere), so every item entry has one shape.
     */
    stepCommit: string | undefined;
  })
  /** A record that carried no items (an empty list, a KPL aggregate wholly outside the shard's range). */
  | (EntryBase & { kind: "commit" })
  | (EntryBase & { kind: "error"; error: DecodeError })
  /** Every record of the shard has been queued before this: once consumed, the shard is finished. */
  | (EntryBase & { kind: "end"; lastSequence: string | undefined });
