import type { Lease } from "../checkpointers/types.ts";
import type { ItemPage, QueueEntry } from "./entries.ts";
import type { ConsumerMetrics } from "./events.ts";
import type { DecodeErrorPolicy } from "./options.ts";
import type { RecordQueue } from "./record-queue.ts";
import type { StepBudget } from "./step-budget.ts";

export type EndEntry<T> = Extract<QueueEntry<T>, { kind: "end" }>;

/** What the delivery side needs from the consumer that owns it. */
export interface ItemDeliveryHost<T> {
  /** Starts the consumer on first call; later calls resolve at once. */
  start(): Promise<void>;
  /** True once `start()` has resolved. */
  readonly started: boolean;
  readonly closing: boolean;
  /** A failure no retry can fix: every later `next()` rejects with it. */
  readonly fatal: { error: unknown } | undefined;
  /** Where commits go; `lease` (the entry's) tells a consumer of several streams which stream's session it is. */
  readonly session: { checkpoint(shardId: string, sequence: string, lease: Lease): void } | undefined;
  /** The shard's every record was consumed: mark it finished, in the background (never inside a `next()`). */
  finishShard(entry: EndEntry<T>): void;
  /** Every shard reader has caught up (nothing new on its last read, not failing). */
  idle(): boolean;
  /** A bounded step stopped fetching (its request budget or time ran out): what is queued is all there is. */
  readonly stepFetchingOver: boolean;
  /** A bounded step ends here: stop fetching, and report why. */
  endStep(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Hands queued entries to the caller and commits them: a record's checkpoint is recorded when the
 * caller asks for the item after it. The common case — an item already queued, nothing to finish —
 * is served synchronously, with no promise beyond the one `for await` itself needs; everything else
 * (waiting, shard ends, decode errors, failures) takes the general path.
 */
export class ItemDelivery<T> {
  readonly #host: ItemDeliveryHost<T>;
  readonly #queue: RecordQueue<QueueEntry<T>>;
  readonly #metrics: ConsumerMetrics;
  readonly #onDecodeError: DecodeErrorPolicy;
  readonly #idleTimeoutMs: number | undefined;
  /** The bounds of a bounded step (`stopAfter`), if this is one. */
  readonly #step: StepBudget | undefined;
  /** The bounded step has ended: every later `next()` is done. */
  #stepEnded = false;
  /** The last item handed out is not the last of its payload: a step cannot end before the rest. */
  #midPayload = false;
  /** The entry of the last item handed out; committed when the caller asks for the next one. */
  #pending: QueueEntry<T> | undefined;
  /** Which item of `#pending` (a page) was handed out. */
  #pendingAt = 0;
  /** The general path is running: the fast path must not overtake it. */
  #busy = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    host: ItemDeliveryHost<T>,
    queue: RecordQueue<QueueEntry<T>>,
    metrics: ConsumerMetrics,
    options: { onDecodeError: DecodeErrorPolicy; idleTimeoutMs: number | undefined },
    step?: StepBudget,
  ) {
    this.#step = step;
    this.#host = host;
    this.#queue = queue;
    this.#metrics = metrics;
    this.#onDecodeError = options.onDecodeError;
    this.#idleTimeoutMs = options.idleTimeoutMs;
  }

  /**
   * An iterator over items, each mapped by `pick`. Leaving `for await` by `break`, `throw` or `return`
   * (its `return()`) does not close the consumer and does not commit the item in hand: it goes back to
   * the front of the queue, so iterating again (or the next owner, after `close()`) delivers it again.
   */
  iterator<R>(pick: (page: ItemPage<T>, at: number) => R): AsyncIterableIterator<R, undefined> {
    const iterator: AsyncIterableIterator<R, undefined> = {
      next: () => {
        const ready = this.#nextNow();
        if (ready !== undefined) return Promise.resolve({ done: false, value: pick(ready, this.#pendingAt) });
        return this.#next(pick);
      },
      return: () => {
        this.#putBackPending();
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Commit the item in the caller's hands now (`manualCheckpoint()`: the caller says it is done). */
  commitHandedOut(): void {
    this.#commitPending();
  }

  /** The caller left its loop holding an item it never confirmed (it may have failed on it): deliver it again. */
  #putBackPending(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined || pending.lease.signal.aborted) return;
    this.#queue.putBack(pending);
    this.#step?.uncountItem(); // it counts once, when it is yielded again
  }

  /** Forget the uncommitted item of a lease that ended: its new owner delivers it again. */
  dropPending(lease: Lease): void {
    if (this.#pending?.lease === lease) {
      this.#pending = undefined;
      this.#midPayload = false; // the rest of its payload is dropped with it
    }
  }

  /** The page of the next item (at `#pendingAt`) if one is queued and nothing else has to happen first; otherwise undefined. */
  #nextNow(): ItemPage<T> | undefined {
    const host = this.#host;
    if (this.#busy || !host.started || host.closing || host.fatal !== undefined) return undefined;
    if (this.#step !== undefined && (this.#stepEnded || this.#stepEndsHere())) return undefined;
    const first = this.#queue.peek();
    if (first === undefined || (first.kind !== "page" && first.kind !== "commit")) return undefined;
    this.#commitPending();
    for (;;) {
      const entry = this.#queue.peek();
      if (entry === undefined) return undefined;
      if (!entry.lease.usable()) {
        // An ending lease purges its entries from the queue; take this one only if it is still there.
        if (this.#queue.peek() === entry) this.#queue.take();
        continue;
      }
      if (entry.kind === "commit") {
        this.#queue.take();
        this.#commit(entry, 0);
        continue;
      }
      if (entry.kind !== "page") return undefined;
      const at = entry.cursor;
      this.#queue.take();
      this.#handOut(entry, at);
      return entry;
    }
  }

  #next<R>(pick: (page: ItemPage<T>, at: number) => R): Promise<IteratorResult<R, undefined>> {
    // for-await never overlaps calls, but records() and the default iterator could be used together.
    const result = this.#chain.then(() => this.#nextGeneral(pick));
    this.#chain = result.catch(() => undefined);
    return result;
  }

  async #nextGeneral<R>(pick: (page: ItemPage<T>, at: number) => R): Promise<IteratorResult<R, undefined>> {
    const host = this.#host;
    if (host.fatal !== undefined) throw host.fatal.error;
    if (host.closing) return DONE;
    this.#busy = true;
    try {
      await host.start();
      if (this.#step !== undefined && this.#endStepHere()) return DONE;
      this.#commitPending();
      for (;;) {
        const entry = await this.#queue.shift(this.#idleTimeoutMs);
        if (entry === undefined) {
          // Idle means caught up, not merely quiet: a shard backing off after errors still has records.
          if (this.#idleTimeoutMs !== undefined && !host.closing && !host.stepFetchingOver && !host.idle()) continue;
          if (this.#step !== undefined && !host.closing) this.#endStep();
          return DONE;
        }
        // A step's time may run out while it waits: nothing more is handed out.
        if (this.#step !== undefined && !this.#midPayload && this.#step.timeUp()) {
          this.#queue.putBack(entry);
          this.#endStep();
          return DONE;
        }
        // Past its deadline a lease may be another worker's already: nothing of it is handed out.
        if (!entry.lease.usable()) continue;
        switch (entry.kind) {
          case "page": {
            // `shift` took the item before the cursor.
            const at = entry.cursor - 1;
            this.#handOut(entry, at);
            return { done: false, value: pick(entry, at) };
          }
          case "commit":
            this.#commit(entry, 0);
            continue;
          case "end":
            host.finishShard(entry);
            continue;
          case "error":
            if (this.#skips(entry.error)) continue;
            throw entry.error;
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  /**
   * A bounded step ends at `next()` once a bound is reached and the item in hand can be committed
   * exactly: a whole record, or a KPL sub-record (its `stepCommit`). A payload that decodes to several
   * items is finished first (they are in memory already), so its items are never split across steps.
   */
  #stepEndsHere(): boolean {
    const step = this.#step!;
    return !this.#midPayload && (step.timeUp() || step.recordsReached());
  }

  /** End the step here if it ends here (see `#stepEndsHere`): commit the item in hand, stop fetching; true when it ended. */
  #endStepHere(): boolean {
    if (!this.#stepEnded && !this.#stepEndsHere()) return false;
    this.#endStep();
    return true;
  }

  #endStep(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.#commit(pending, this.#pendingAt, pending.kind === "page" ? pending.stepCommitAt(this.#pendingAt) : undefined);
    if (this.#stepEnded) return;
    this.#stepEnded = true;
    this.#host.endStep();
  }

  /** Item `at` of `page` goes to the caller: it is the one in hand (`#pending`) until the next `next()`. */
  #handOut(page: ItemPage<T>, at: number): void {
    if (this.#step !== undefined) {
      this.#step.countItem();
      this.#midPayload = page.commitAt(at) === undefined && page.stepCommitAt(at) === undefined;
    }
    const bytes = page.itemBytes[at]!;
    this.#metrics.delivered(page.shardId, bytes, page.lease);
    // What the shard's lease measures its throughput by (its rate on the row drives balance by load).
    page.lease.delivered?.(bytes);
    this.#pending = page;
    this.#pendingAt = at;
  }

  #skips(error: Extract<QueueEntry<T>, { kind: "error" }>["error"]): boolean {
    const policy = this.#onDecodeError;
    const action = typeof policy === "function" ? policy(error) : policy;
    const shardId = error.shardId;
    if (action === "skip") {
      this.#metrics.emit({ type: "recordSkipped", shardId: shardId ?? "", sequenceNumber: error.sequenceNumber ?? "", errorName: error.name });
      return true;
    }
    this.#metrics.failed(shardId, error, false);
    return false;
  }

  #commitPending(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.#commit(pending, this.#pendingAt);
  }

  /**
   * Commit the record `entry` (of a page: its item `at`) completes; at a step's end, `inside` names the
   * sub-record it completes instead.
   */
  #commit(entry: QueueEntry<T>, at: number, inside?: string): void {
    const position = (entry.kind === "page" ? entry.commitAt(at) : entry.commit) ?? inside;
    if (position === undefined || entry.lease.signal.aborted) return;
    this.#host.session?.checkpoint(entry.shardId, position, entry.lease);
  }
}
