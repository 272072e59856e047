/**
 * The bounded hand-off between shard readers (many producers) and the iterator (one consumer).
 *
 * Capacity is counted in Kinesis records and in payload bytes. A reader reserves room *before* it
 * fetches and asks GetRecords for no more records than it reserved, so readers of many shards cannot
 * all size their requests from the same free space: the queue never holds more than `maxRecords`
 * records. Bytes cannot be known before a fetch, so a reader reserves an estimate (the largest record
 * of its last page, or of the latest page any reader queued): the byte bound holds unless records
 * suddenly grow past that estimate, and then by at most the one page that grew. A full queue pauses
 * readers without dropping anything.
 */
export interface Weighted {
  /** Kinesis records the entry completes: 1 or 0 for a single entry; for a page, those its items not yet taken complete. */
  weight: number;
  /** Payload bytes the entry holds (items); counted against the byte bound. */
  bytes?: number;
  /**
   * Present on an entry of several items (a page), which is taken one item at a time: the items not
   * taken yet. `peek()` and `take()` serve the page while it has any; each item taken frees its record
   * (when it completes one) and its bytes, so readers waiting for room see them free item by item.
   */
  readonly left?: number;
  /** On a page: take the item at its cursor, lowering `weight` and `bytes` by that item's. */
  step?(): void;
  /** On a page: give back the item taken last. */
  stepBack?(): void;
}

/** Room a reader holds for one fetch: at most `records` Kinesis records, `bytes` estimated bytes. */
export interface Reservation {
  readonly records: number;
  readonly bytes: number;
}

/** The queue's fill, for `stats()`. */
export interface QueueGauge {
  queuedRecords: number;
  queuedBytes: number;
  queueHighWater: number;
  queueBytesHighWater: number;
}

/** A reader waiting for room. */
interface Reserver {
  want: number;
  bytesPerRecord: number | undefined;
  settle(reservation: Reservation | undefined): void;
}

/** The largest record most streams accept (newer ones accept 10 MiB; the estimate then grows). */
const MAX_RECORD_BYTES = 1024 * 1024;

export interface QueueLimits {
  /** Kinesis records held at most. */
  maxRecords: number;
  /** Payload bytes held at most (a single record larger than this still passes when nothing else is held). */
  maxBytes: number;
}

export class RecordQueue<E extends Weighted> {
  readonly capacity: number;
  readonly maxBytes: number;
  #entries: E[] = [];
  #head = 0;
  #size = 0;
  #bytes = 0;
  #reservedRecords = 0;
  #reservedBytes = 0;
  #highWater = 0;
  #bytesHighWater = 0;
  #recordBytesEstimate = MAX_RECORD_BYTES;
  #reservers: Reserver[] = [];
  #closed = false;
  #failure: { error: unknown } | undefined;
  #takers: Array<() => void> = [];

  constructor(limits: QueueLimits) {
    this.capacity = limits.maxRecords;
    this.maxBytes = limits.maxBytes;
  }

  /** Kinesis records held. */
  get size(): number {
    return this.#size;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#entries.length - this.#head;
  }

  gauge(): QueueGauge {
    return { queuedRecords: this.#size, queuedBytes: this.#bytes, queueHighWater: this.#highWater, queueBytesHighWater: this.#bytesHighWater };
  }

  /** Neither closed nor failed: readers may still reserve room. */
  get open(): boolean {
    return !this.#closed && this.#failure === undefined;
  }

  /**
   * A reader queued a page whose largest record held `bytes`: the estimate for readers that have
   * seen no record yet (before any page, the service's per-record maximum).
   */
  noteRecordBytes(bytes: number): void {
    this.#recordBytesEstimate = Math.max(1, bytes);
  }

  /**
   * Wait for room, then reserve up to `want` records and `bytesPerRecord` bytes for each (undefined:
   * the estimate `noteRecordBytes` keeps). Readers are served in arrival order, so one that needs more bytes than
   * have been freed is not overtaken forever by readers of smaller records. Resolves undefined when
   * the queue closes or fails, or `signal` aborts, first. Hand the reservation back to `push` or
   * `release`.
   */
  reserve(want: number, bytesPerRecord: number | undefined, signal?: AbortSignal): Promise<Reservation | undefined> {
    if (!this.open || signal?.aborted) return Promise.resolve(undefined);
    return new Promise<Reservation | undefined>((resolve) => {
      const onAbort = (): void => {
        const at = this.#reservers.indexOf(waiter);
        if (at < 0) return;
        this.#reservers.splice(at, 1);
        resolve(undefined);
        // The head may have left: whoever is next may fit.
        this.#serve();
      };
      const waiter: Reserver = {
        want,
        bytesPerRecord,
        settle: (reservation) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(reservation);
        },
      };
      this.#reservers.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#serve();
    });
  }

  /** Give back a reservation that was not used (a failed or aborted fetch). */
  release(reservation: Reservation): void {
    this.#unreserve(reservation);
    this.#serve();
  }

  /** Add a fetch's entries; its reservation (if any) ends, replaced by what the entries hold. */
  push(entries: readonly E[], reservation?: Reservation): void {
    if (reservation !== undefined) this.#unreserve(reservation);
    if (!this.#closed && entries.length > 0) {
      for (const entry of entries) {
        this.#entries.push(entry);
        this.#size += entry.weight;
        this.#bytes += entry.bytes ?? 0;
      }
      this.#highWater = Math.max(this.#highWater, this.#size);
      this.#bytesHighWater = Math.max(this.#bytesHighWater, this.#bytes);
      // Only a real arrival wakes the iterator: an empty page must not restart its idle timeout.
      this.#wake(this.#takers);
    }
    // A page smaller than its reservation leaves room others may be waiting for.
    if (reservation !== undefined) this.#serve();
  }

  /**
   * The next entry; `undefined` when the queue is closed and drained, or when `timeoutMs` passes with
   * nothing to take. Rejects with the error given to `fail`.
   */
  async shift(timeoutMs?: number): Promise<E | undefined> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#head < this.#entries.length) return this.#take();
      if (this.#closed) return undefined;
      const arrived = await this.#waitForEntry(timeoutMs);
      if (!arrived) return undefined;
    }
  }

  /** The next entry without taking it (undefined when none is held or the queue has failed). */
  peek(): E | undefined {
    if (this.#failure !== undefined || this.#head >= this.#entries.length) return undefined;
    return this.#entries[this.#head];
  }

  /** Take the entry `peek()` returned (of a page: its item at the cursor; the page is returned, its cursor past that item). */
  take(): E | undefined {
    if (this.#head >= this.#entries.length) return undefined;
    return this.#take();
  }

  /**
   * Put a taken entry back in front (the caller left its loop holding it: it is delivered again); of a
   * page, exactly the item taken last. It may take the queue past its bounds by that item's weight, never more.
   */
  putBack(entry: E): void {
    if (this.#closed) return;
    const page = entry.stepBack !== undefined;
    // A page holds what it has not handed out: what it holds again is the difference.
    const weightBefore = page ? entry.weight : 0;
    const bytesBefore = page ? (entry.bytes ?? 0) : 0;
    entry.stepBack?.();
    // A page still at the front (items of it left) only steps back; otherwise the entry goes in front.
    if (!page || this.#entries[this.#head] !== entry) {
      if (this.#head > 0) this.#entries[--this.#head] = entry;
      else this.#entries.unshift(entry);
    }
    this.#size += entry.weight - weightBefore;
    this.#bytes += (entry.bytes ?? 0) - bytesBefore;
    this.#wake(this.#takers);
  }

  /** Remove every entry matching `predicate` (a lost lease's records); returns the records removed. */
  purge(predicate: (entry: E) => boolean): number {
    const kept: E[] = [];
    let removed = 0;
    let removedBytes = 0;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      if (predicate(entry)) {
        removed += entry.weight;
        removedBytes += entry.bytes ?? 0;
      } else {
        kept.push(entry);
      }
    }
    this.#entries = kept;
    this.#head = 0;
    this.#size -= removed;
    this.#bytes -= removedBytes;
    if (removed > 0 || removedBytes > 0) this.#serve();
    return removed;
  }

  /** Every later `shift` rejects with `error` (a fatal failure that must reach the iterator). */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#wake(this.#takers);
    this.#serve();
  }

  /** Stop accepting entries; waiters wake. Entries already held stay takeable until `clear`. */
  close(): void {
    this.#closed = true;
    this.#wake(this.#takers);
    this.#serve();
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#size = 0;
    this.#bytes = 0;
    this.#serve();
  }

  /** Grant waiting readers room, first come first served, for as long as the head of the line fits. */
  #serve(): void {
    while (this.#reservers.length > 0) {
      const head = this.#reservers[0]!;
      if (!this.open) {
        for (const waiter of this.#reservers.splice(0)) waiter.settle(undefined);
        return;
      }
      const bytesPerRecord = Math.max(1, head.bytesPerRecord ?? this.#recordBytesEstimate);
      const records = this.#grantable(head.want, bytesPerRecord);
      if (records === 0) return;
      this.#reservers.shift();
      const reservation = { records, bytes: records * bytesPerRecord };
      this.#reservedRecords += reservation.records;
      this.#reservedBytes += reservation.bytes;
      head.settle(reservation);
    }
  }

  /**
   * How many records of `bytesPerRecord` each fit now (0: none). A record larger than the whole byte
   * bound is let through alone once nothing else is held or reserved, or it would wait forever.
   */
  #grantable(want: number, bytesPerRecord: number): number {
    const records = this.capacity - this.#size - this.#reservedRecords;
    if (records <= 0 || want <= 0) return 0;
    let byBytes = Math.floor((this.maxBytes - this.#bytes - this.#reservedBytes) / bytesPerRecord);
    if (byBytes < 1 && this.#bytes === 0 && this.#reservedBytes === 0) byBytes = 1;
    const granted = Math.max(0, Math.min(want, records, byBytes));
    return granted >= this.#smallestGrant(want, bytesPerRecord) ? granted : 0;
  }

  /**
   * The least room worth a GetRecords call: a quarter of what the bounds can hold (at least 1, at most
   * `want`). Without it a reader behind a full queue woke as each record was taken and spent one of
   * its shard's 5 calls a second on a page of 1 record. A drained queue always has this much room.
   */
  #smallestGrant(want: number, bytesPerRecord: number): number {
    const quarterByRecords = Math.floor(this.capacity / 4);
    const quarterByBytes = Math.floor(this.maxBytes / bytesPerRecord / 4);
    return Math.max(1, Math.min(want, quarterByRecords, quarterByBytes));
  }

  #unreserve(reservation: Reservation): void {
    this.#reservedRecords -= reservation.records;
    this.#reservedBytes -= reservation.bytes;
  }

  #take(): E {
    const entry = this.#entries[this.#head]!;
    let weight = entry.weight;
    let bytes = entry.bytes ?? 0;
    if (entry.step === undefined) {
      this.#advance();
    } else {
      entry.step();
      weight -= entry.weight;
      bytes -= entry.bytes ?? 0;
      if (entry.left === 0) this.#advance();
    }
    this.#bytes -= bytes;
    // Readers wake once per completed record, not per item: a record's bytes are free by then too.
    if (weight > 0) {
      this.#size -= weight;
      this.#serve();
    }
    return entry;
  }

  /** Past the entry at the head. */
  #advance(): void {
    this.#head++;
    // Compact now and then so a long-lived queue does not keep a growing dead prefix.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #waitForEntry(timeoutMs: number | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      };
      this.#takers.push(wake);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#takers = this.#takers.filter((t) => t !== wake);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  #wake(waiters: Array<() => void>): void {
    const woken = waiters.splice(0);
    for (const wake of woken) wake();
  }
}
