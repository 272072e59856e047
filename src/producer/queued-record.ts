/** An item as the caller gave it to `put`, kept so a failure can say exactly which items were lost. */
export interface UserRecord {
  readonly data: unknown;
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
  /** Its point on the hash-key ring, once worked out (see HashKeys). */
  hashKey?: bigint | undefined;
}

/** One Kinesis record on its way out: the payload of one or more user items, routed to a shard. */
export interface QueuedRecord {
  /** Creation order across the producer; retries go back in this order. */
  readonly seq: number;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Data plus partition-key bytes: what counts against the record and request limits. */
  readonly bytes: number;
  /** Where on the hash ring the record lands, once worked out (see HashKeys). */
  hashKey: bigint | undefined;
  /** The shard the map predicts; re-predicted when the map changes. */
  shardId: string;
  /** The user items inside (one, unless a processor aggregates). */
  readonly items: readonly UserRecord[];
  /** The flush generation the items were accepted in (see FlushTracker). */
  readonly generation: number;
  /** When the record should go out even if no full batch has formed (first item's arrival + bufferTime). */
  readonly dueAt: number;
  /** PutRecords attempts that carried this record so far. */
  attempts: number;
}

/** A FIFO of records with O(1) push/shift and an ordered merge for retries. */
export class RecordDeque {
  #items: QueuedRecord[] = [];
  #head = 0;
  #bytes = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes (data + partition keys) of the records held. */
  get bytes(): number {
    return this.#bytes;
  }

  peek(): QueuedRecord | undefined {
    return this.#items[this.#head];
  }

  /** The record `index` places behind the head (0 is the head), without taking it. */
  at(index: number): QueuedRecord | undefined {
    return index < 0 ? undefined : this.#items[this.#head + index];
  }

  push(record: QueuedRecord): void {
    this.#items.push(record);
    this.#bytes += record.bytes;
  }

  shift(): QueuedRecord | undefined {
    const record = this.#items[this.#head];
    if (record === undefined) return undefined;
    this.#items[this.#head] = undefined as unknown as QueuedRecord;
    this.#head++;
    this.#bytes -= record.bytes;
    // Compact once the dead prefix dominates, so memory follows the live size.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return record;
  }

  /** Put records back in `seq` order among those held (retries go before what was queued after them). */
  requeue(records: readonly QueuedRecord[]): void {
    if (records.length === 0) return;
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    const held = this.#items.slice(this.#head);
    const merged: QueuedRecord[] = new Array<QueuedRecord>(held.length + sorted.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < sorted.length && j < held.length) merged[k++] = sorted[i]!.seq <= held[j]!.seq ? sorted[i++]! : held[j++]!;
    while (i < sorted.length) merged[k++] = sorted[i++]!;
    while (j < held.length) merged[k++] = held[j++]!;
    this.#items = merged;
    this.#head = 0;
    for (const record of sorted) this.#bytes += record.bytes;
  }

  /** Remove and return everything held, in order. */
  drain(): QueuedRecord[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return out;
  }
}
