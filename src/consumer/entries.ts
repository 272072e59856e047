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
 * A reader's decoded page as ONE queue entry: its items' fields in parallel arrays (columns), taken one
 * item at a time at `cursor`. The public `ConsumerRecord` (with its `Date`) is built only when
 * `records()` hands an item out (`toConsumerRecord`): `for await` over the consumer itself needs just
 * `data`. An object per queued item, alive until the caller took it, was most of the garbage
 * collector's work on the consume path; a page holds a handful of arrays instead.
 *
 * The queue counts it as the records and bytes its items not yet taken hold (`weight`, `bytes`): an
 * item that completes a Kinesis record frees that record when it is taken (see RecordQueue).
 */
export class ItemPage<T> {
  readonly kind = "page";
  readonly shardId: string;
  /** The lease the reader held when it fetched this; items of a lost lease are never delivered. */
  readonly lease: Lease;
  /** How far the reader was behind the tip when it fetched the page. */
  readonly millisBehindLatest: number | undefined;
  readonly data: T[];
  readonly partitionKey: string[];
  readonly sequenceNumber: string[];
  /** `ApproximateArrivalTimestamp` as the wire gives it: epoch seconds. */
  readonly arrivalSeconds: number[];
  /** Payload bytes of each item (a payload's size shared by its items). */
  readonly itemBytes: number[];
  /** Items that do not complete their Kinesis record (set at their index only; the others each complete one). */
  partial: boolean[] | undefined;
  /** Sparse columns, created when a page first holds a KPL sub-record. */
  subSequenceNumber: number[] | undefined;
  explicitHashKey: string[] | undefined;
  /**
   * On the last item of a KPL sub-record that does not complete its Kinesis record: the position
   * (`<sequence>:<sub>`) a bounded step that ends here commits, so the next step resumes at the next
   * sub-record. Only a step's end commits it; otherwise records are committed whole.
   */
  stepCommit: string[] | undefined;
  /** The next item to take. */
  cursor = 0;
  /** Kinesis records the items not yet taken complete. */
  weight = 0;
  /** Payload bytes of the items not yet taken. */
  bytes = 0;

  /** `capacity`: how many items the page is expected to hold (its columns are made that long; see `PageWriter`). */
  constructor(shardId: string, lease: Lease, millisBehindLatest: number | undefined, capacity = 0) {
    this.data = new Array<T>(capacity);
    this.partitionKey = new Array<string>(capacity);
    this.sequenceNumber = new Array<string>(capacity);
    this.arrivalSeconds = new Array<number>(capacity);
    this.itemBytes = new Array<number>(capacity);
    this.shardId = shardId;
    this.lease = lease;
    this.millisBehindLatest = millisBehindLatest;
  }

  /** Items not taken yet. */
  get left(): number {
    return this.data.length - this.cursor;
  }

  /** Take the item at the cursor: the page then holds that item's record (if it completes one) and bytes no more. */
  step(): void {
    const at = this.cursor++;
    if (at > 0) this.#release(at - 1);
    if (this.partial?.[at] !== true) this.weight--;
    // Exactly 0 once empty, so what the queue subtracts adds up to what it added, fractions and all.
    this.bytes = this.cursor === this.data.length ? 0 : this.bytes - this.itemBytes[at]!;
  }

  /**
   * Let go of item `at`, handed out before the one in hand: only the item in hand can be put back
   * (`stepBack`), and a page holding every item it handed out kept them all alive until its end (the
   * garbage collector then copied them on every scavenge).
   */
  #release(at: number): void {
    (this.data as Array<T | undefined>)[at] = undefined;
    this.partitionKey[at] = "";
    this.sequenceNumber[at] = "";
  }

  /** Give back the item taken last: it is the next one again. */
  stepBack(): void {
    const at = --this.cursor;
    if (this.partial?.[at] !== true) this.weight++;
    this.bytes += this.itemBytes[at]!;
  }

  /** The sequence to commit once item `at` is consumed: its record's, when it completes one. */
  commitAt(at: number): string | undefined {
    return this.partial?.[at] === true ? undefined : this.sequenceNumber[at];
  }

  /** What a bounded step that ends at item `at` commits when the item does not complete its record (see `stepCommit`). */
  stepCommitAt(at: number): string | undefined {
    return this.stepCommit?.[at];
  }
}

/** The public record of item `at` of a page. */
export function toConsumerRecord<T>(page: ItemPage<T>, at: number, streamName: string): ConsumerRecord<T> {
  const record: ConsumerRecord<T> = {
    data: page.data[at]!,
    partitionKey: page.partitionKey[at]!,
    sequenceNumber: page.sequenceNumber[at]!,
    shardId: page.shardId,
    streamName,
    approximateArrivalTimestamp: new Date(page.arrivalSeconds[at]! * 1000),
    millisBehindLatest: page.millisBehindLatest,
  };
  const subSequenceNumber = page.subSequenceNumber?.[at];
  if (subSequenceNumber !== undefined) record.subSequenceNumber = subSequenceNumber;
  const explicitHashKey = page.explicitHashKey?.[at];
  if (explicitHashKey !== undefined) record.explicitHashKey = explicitHashKey;
  return record;
}

interface MarkerBase {
  shardId: string;
  /** The lease the reader held when it fetched this; entries of a lost lease are never delivered. */
  lease: Lease;
  /** 1 on a marker that completes a Kinesis record (see RecordQueue). */
  weight: number;
  /** Set on a marker that completes a Kinesis record: commit this sequence once it is consumed. */
  commit: string | undefined;
}

/** What the shard readers hand to the iterator, in shard order. */
export type QueueEntry<T> =
  | ItemPage<T>
  /** A record that carried no items (an empty list, a KPL aggregate wholly outside the shard's range). */
  | (MarkerBase & { kind: "commit" })
  | (MarkerBase & { kind: "error"; error: DecodeError })
  /** Every record of the shard has been queued before this: once consumed, the shard is finished. */
  | (MarkerBase & { kind: "end"; lastSequence: string | undefined });

/** Any entry but a page: taken whole. */
export type MarkerEntry<T> = Exclude<QueueEntry<T>, ItemPage<T>>;
