import type { Lease } from "../checkpointers/types.ts";
import { ItemPage, type MarkerEntry, type QueueEntry } from "./entries.ts";

/**
 * Collects one fetch's decoded records as queue entries: items go into the open `ItemPage`'s columns;
 * a marker (a decode error, a record with no items, the shard's end) closes that page and follows it,
 * so shard order holds across pages and markers.
 */
export class PageWriter<T> {
  readonly #shardId: string;
  readonly #lease: Lease;
  readonly #millisBehindLatest: number | undefined;
  readonly #entries: Array<QueueEntry<T>> = [];
  #page: ItemPage<T> | undefined;
  /** Items and markers written so far (a record's decode tells what it added by the difference). */
  #written = 0;
  #lastIsItem = false;

  /** Records of the fetch: a page's columns are made this long at once, not grown item by item. */
  readonly #capacity: number;
  /** Items in the open page. */
  #count = 0;

  constructor(shardId: string, lease: Lease, millisBehindLatest: number | undefined, capacity = 0) {
    this.#capacity = capacity;
    this.#shardId = shardId;
    this.#lease = lease;
    this.#millisBehindLatest = millisBehindLatest;
  }

  get shardId(): string {
    return this.#shardId;
  }

  get lease(): Lease {
    return this.#lease;
  }

  /** How many items and markers were written: pass it to `lastItemSince` later. */
  get written(): number {
    return this.#written;
  }

  /** True when the last thing written is an item, written after `mark` (a `written` value). */
  lastItemSince(mark: number): boolean {
    return this.#lastIsItem && this.#written > mark;
  }

  /** Add one item; `completes` when it is the last item of its Kinesis record. */
  item(data: T, partitionKey: string, sequenceNumber: string, arrivalSeconds: number, bytes: number, completes: boolean): void {
    let page = this.#page;
    if (page === undefined) page = this.#page = new ItemPage<T>(this.#shardId, this.#lease, this.#millisBehindLatest, this.#capacity);
    // Past the capacity (records of several items) the columns grow.
    const at = this.#count++;
    page.data[at] = data;
    page.partitionKey[at] = partitionKey;
    page.sequenceNumber[at] = sequenceNumber;
    page.arrivalSeconds[at] = arrivalSeconds;
    page.itemBytes[at] = bytes;
    page.bytes += bytes;
    if (completes) page.weight++;
    else (page.partial ??= [])[at] = true;
    this.#written++;
    this.#lastIsItem = true;
  }

  /** The last item (written just before) is a KPL sub-record's: its position in the aggregate. */
  subRecord(subSequenceNumber: number, explicitHashKey: string | undefined): void {
    const page = this.#page!;
    const at = this.#count - 1;
    (page.subSequenceNumber ??= [])[at] = subSequenceNumber;
    if (explicitHashKey !== undefined) (page.explicitHashKey ??= [])[at] = explicitHashKey;
  }

  /** The last item (written just before) ends a KPL sub-record: a step ending there commits `position`. */
  stepCommitLast(position: string): void {
    const page = this.#page!;
    (page.stepCommit ??= [])[this.#count - 1] = position;
  }

  /** The last item (written just before) completes its Kinesis record after all. */
  completeLast(): void {
    const page = this.#page!;
    const at = this.#count - 1;
    if (page.partial?.[at] !== true) return;
    page.partial[at] = false;
    page.weight++;
  }

  /** Add a marker: it follows every item written so far. */
  marker(entry: MarkerEntry<T>): void {
    this.#closePage();
    this.#entries.push(entry);
    this.#written++;
    this.#lastIsItem = false;
  }

  /** Everything written, in order. */
  entries(): Array<QueueEntry<T>> {
    this.#closePage();
    return this.#entries;
  }

  #closePage(): void {
    const page = this.#page;
    if (page === undefined) return;
    // A page the fetch's records did not fill (a marker split it, records of no item) ends at its last item.
    const count = this.#count;
    if (page.data.length !== count) {
      page.data.length = count;
      page.partitionKey.length = count;
      page.sequenceNumber.length = count;
      page.arrivalSeconds.length = count;
      page.itemBytes.length = count;
    }
    this.#entries.push(page);
    this.#page = undefined;
    this.#count = 0;
  }
}
