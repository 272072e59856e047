import { compareSequence, isCanonicalSequence, isLaterCanonical, laterSequence } from "../../internal/sequence.ts";
import type { LeaseRow } from "./lease-row.ts";
import type { Throughput } from "./throughput.ts";

/**
 * A lease this worker holds: its fencing counter, its checkpoint state, and a queue that runs its
 * writes one at a time. Two concurrent writes of one owner would both be conditional on the same
 * counter, so the second would fail and look like a lost lease; the queue rules that out.
 */
export class HeldLease {
  readonly shardId: string;
  readonly key: string;
  readonly controller = new AbortController();
  /** held → releasing (signal aborted, final write queued) → gone (final write done). */
  state: "held" | "releasing" | "gone" = "held";
  /** The counter of the last write this worker made or saw land. */
  counter: number;
  /** Highest sequence known to be stored. */
  committed: string | undefined;
  /** Highest sequence offered (and, without autoCheckpoint, confirmed) and not yet written. */
  pending: string | undefined;
  /** Without autoCheckpoint: the highest sequence handed in but not yet confirmed by `manualCheckpoint()`; never written as is. */
  unconfirmed: string | undefined;
  /** Without autoCheckpoint: a SHARD_END waiting for the `manualCheckpoint()` that confirms its last sequence. */
  deferredFinish: { lastSequence: string; settle: (error?: unknown) => void } | undefined;
  /** The sequence a write in flight carries: later offers must beat it too, or a flush could regress. */
  writing: string | undefined;
  /** Local time the oldest unwritten checkpoint arrived (for the coalescing bound). */
  pendingSince: number | undefined;
  /** Monotonic time the last write was sent (heartbeat schedule). */
  lastAttemptAt: number;
  /** Monotonic time the last SUCCESSFUL write was sent (self-fencing, and the hand-out deadline). */
  lastRenewedAt: number;
  /** Set when a fenced write found another owner: what was not yet written never will be. */
  lostTo: { owner: string | undefined } | undefined;
  /** What the consumer delivered from the shard lately; its rate rides on every owner write (balance by load). */
  throughput: Throughput | undefined;
  /** Writes queued or in flight. */
  busy = 0;
  /** Failed writes since the last one that landed: the retry backoff grows with them. */
  consecutiveFailures = 0;
  /**
   * Local time before which no timed write is due after a failure. A failed write keeps its old
   * `pendingSince`, so without this the write would be due at once again, and again: a tight loop.
   */
  retryNotBefore: number | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  /**
   * The highest of `committed`, `writing` and `pending`, and the three values it was computed from:
   * while they are unchanged (the usual case between two offers, one per record), an offer costs one
   * comparison instead of three.
   */
  #highest: string | undefined;
  /** `#highest` is a canonical sequence number (not a `<sequence>:<sub>` position). */
  #highestCanonical = false;
  #highestOf: [committed: string | undefined, writing: string | undefined, pending: string | undefined] | undefined;

  constructor(shardId: string, row: LeaseRow, sentAt: number) {
    this.shardId = shardId;
    this.key = row.key;
    this.counter = row.counter;
    this.committed = row.sequence;
    this.lastAttemptAt = sentAt;
    this.lastRenewedAt = sentAt;
  }

  /**
   * Hold `sequence` if it is later than anything stored or buffered. True only when this offer started
   * the buffer (set `pendingSince`), the one case that moves the next write's due time: later offers
   * merge into the same write, so waking the timer loop for each of them would only cost work. `now`
   * may be a clock, read only when the offer starts a buffer (one read per write, not per record).
   */
  offer(sequence: string, now: number | (() => number)): boolean {
    if (this.state === "gone") return false;
    const best = this.#highestKnown();
    let canonical: boolean;
    if (best !== undefined && this.#highestCanonical && sequence.length === best.length && sequence > best && !sequence.includes(":")) {
      // The per-record case: the next record of the shard, as long as the last and later. Same-length
      // decimals order as text, so no pattern test and no second comparison (a real share of the
      // consumer's per-item cost on runtimes where regular expressions are slow).
      canonical = true;
    } else {
      canonical = isCanonicalSequence(sequence);
      if (best !== undefined) {
        const later = canonical && this.#highestCanonical ? isLaterCanonical(sequence, best) : compareSequence(sequence, best) > 0;
        if (!later) return false;
      }
    }
    this.pending = sequence;
    // Later than all three: the new highest, from the same committed and writing.
    this.#highest = sequence;
    this.#highestCanonical = canonical;
    this.#highestOf![2] = sequence;
    if (this.pendingSince !== undefined) return false;
    this.pendingSince = typeof now === "number" ? now : now();
    return true;
  }

  /** The highest of `committed`, `writing` and `pending`, recomputed only when one of them changed. */
  #highestKnown(): string | undefined {
    const of = this.#highestOf;
    if (of === undefined || of[0] !== this.committed || of[1] !== this.writing || of[2] !== this.pending) {
      const highest = laterSequence(laterSequence(this.committed, this.writing), this.pending);
      this.#highest = highest;
      this.#highestCanonical = highest !== undefined && isCanonicalSequence(highest);
      this.#highestOf = [this.committed, this.writing, this.pending];
    }
    return this.#highest;
  }

  /** Without autoCheckpoint: hold `sequence` until `confirm()` (it is not written before). */
  offerUnconfirmed(sequence: string): void {
    if (this.state === "gone") return;
    this.unconfirmed = laterSequence(this.unconfirmed, sequence);
  }

  /** `manualCheckpoint()`: what was handed in is done; buffer it for writing. True when that started a buffer. */
  confirm(now: number): boolean {
    const sequence = this.unconfirmed;
    this.unconfirmed = undefined;
    return sequence !== undefined && this.offer(sequence, now);
  }

  /** Whether `sequence` is stored, being written or buffered for writing (confirmed, without autoCheckpoint). */
  covers(sequence: string): boolean {
    const best = this.#highestKnown();
    return best !== undefined && compareSequence(best, sequence) >= 0;
  }

  /** Hand the buffered sequence to a write. */
  takePending(): string | undefined {
    const sequence = this.pending;
    this.pending = undefined;
    this.pendingSince = undefined;
    this.writing = sequence;
    return sequence;
  }

  /** A write failed: keep its sequence buffered (merged with anything that arrived meanwhile). */
  restorePending(sequence: string | undefined, since: number): void {
    this.writing = undefined;
    if (sequence === undefined || this.state === "gone") return;
    if (this.committed !== undefined && compareSequence(sequence, this.committed) <= 0) return;
    this.pending = laterSequence(this.pending, sequence);
    this.pendingSince = Math.min(this.pendingSince ?? since, since);
  }

  /** A write failed at `failedAt`: the next timed one waits `delayMs`. */
  writeFailed(failedAt: number, delayMs: number): void {
    this.consecutiveFailures++;
    this.retryNotBefore = failedAt + delayMs;
  }

  writeLanded(): void {
    this.consecutiveFailures = 0;
    this.retryNotBefore = undefined;
  }

  /** Run `task` after every write queued before it. */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = this.#tail.then(task);
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.busy--;
    });
  }

  /** Resolves when every queued write has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
