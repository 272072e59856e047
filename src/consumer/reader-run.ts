import { type LinkedSignal, linkSignals } from "../internal/abort.ts";

/**
 * The lifecycle every shard reader (polling or fan-out) has: a signal that aborts when its lease ends
 * or the consumer stops, `ready` once it has started reading (or has ended), `done` when its loop is
 * over for whatever reason, and whether it has caught up with its shard.
 */
export class ReaderRun {
  readonly signal: AbortSignal;
  /** Resolves once the reader reads (holds an iterator or a subscription), or has stopped. */
  readonly ready: Promise<void>;
  /** Resolves when the reader has stopped, for whatever reason. */
  done: Promise<void> = Promise.resolve();
  /** The last read found nothing new. */
  caughtUp = false;
  readonly #link: LinkedSignal;
  /** The read loop has returned (shard end, stop, or failure). */
  #ended = false;
  #readyResolve!: () => void;

  constructor(leaseSignal: AbortSignal, stop: AbortSignal) {
    this.#link = linkSignals([leaseSignal, stop]);
    this.signal = this.#link.signal;
    this.ready = new Promise<void>((resolve) => {
      this.#readyResolve = resolve;
    });
  }

  /** Run the read loop; when it returns or fails, the reader has ended (and is ready, so nobody waits on it). */
  start(loop: () => Promise<void>): void {
    this.done = loop().finally(() => {
      this.#ended = true;
      this.#link.dispose();
      this.#readyResolve();
    });
  }

  markReady(): void {
    this.#readyResolve();
  }

  /** Caught up, or ended (a reader at SHARD_END has nothing more to read, even while its end is still being written), or stopped. */
  get idle(): boolean {
    return this.caughtUp || this.#ended || this.signal.aborted;
  }

  get stopped(): boolean {
    return this.signal.aborted;
  }
}
