/**
 * The bounded hand-off between shard readers (many producers) and the iterator (one consumer).
 * Capacity is counted in Kinesis records: a reader waits for room before it fetches, and asks for no
 * more records than there is room for, so a full queue pauses the reader without dropping anything.
 */
export interface Weighted {
  /** 1 for the entry that completes a Kinesis record, 0 for the others. */
  weight: number;
}

export class RecordQueue<E extends Weighted> {
  readonly capacity: number;
  #entries: E[] = [];
  #head = 0;
  #size = 0;
  #closed = false;
  #failure: { error: unknown } | undefined;
  #takers: Array<() => void> = [];
  #spaceWaiters: Array<() => void> = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Kinesis records held. */
  get size(): number {
    return this.#size;
  }

  get free(): number {
    return Math.max(0, this.capacity - this.#size);
  }

  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** Resolves once there is room for at least one record (or the queue is closed). */
  async waitForSpace(signal?: AbortSignal): Promise<void> {
    while (this.#size >= this.capacity && !this.#closed) {
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        // An aborted wait leaves the list too, so a reader polling behind a full queue adds nothing.
        const onAbort = (): void => {
          this.#spaceWaiters = this.#spaceWaiters.filter((w) => w !== wake);
          resolve();
        };
        this.#spaceWaiters.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  }

  push(entries: readonly E[]): void {
    if (this.#closed) return;
    for (const entry of entries) {
      this.#entries.push(entry);
      this.#size += entry.weight;
    }
    this.#wake(this.#takers);
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

  /** Take the entry `peek()` returned. */
  take(): E | undefined {
    if (this.#head >= this.#entries.length) return undefined;
    return this.#take();
  }

  /**
   * Put a taken entry back in front (the caller left its loop holding it: it is delivered again).
   * It may briefly take the queue past capacity by its own weight, never more.
   */
  putBack(entry: E): void {
    if (this.#closed) return;
    if (this.#head > 0) this.#entries[--this.#head] = entry;
    else this.#entries.unshift(entry);
    this.#size += entry.weight;
    this.#wake(this.#takers);
  }

  /** Remove every entry matching `predicate` (a lost lease's records); returns the records removed. */
  purge(predicate: (entry: E) => boolean): number {
    const kept: E[] = [];
    let removed = 0;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      if (predicate(entry)) removed += entry.weight;
      else kept.push(entry);
    }
    this.#entries = kept;
    this.#head = 0;
    this.#size -= removed;
    if (removed > 0) this.#wake(this.#spaceWaiters);
    return removed;
  }

  /** Every later `shift` rejects with `error` (a fatal failure that must reach the iterator). */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#wake(this.#takers);
    this.#wake(this.#spaceWaiters);
  }

  /** Stop accepting entries; waiters wake. Entries already held stay takeable until `clear`. */
  close(): void {
    this.#closed = true;
    this.#wake(this.#takers);
    this.#wake(this.#spaceWaiters);
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#size = 0;
    this.#wake(this.#spaceWaiters);
  }

  #take(): E {
    const entry = this.#entries[this.#head]!;
    this.#head++;
    // Compact now and then so a long-lived queue does not keep a growing dead prefix.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    if (entry.weight > 0) {
      this.#size -= entry.weight;
      this.#wake(this.#spaceWaiters);
    }
    return entry;
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
