import type { CheckPointer } from "../checkpointers/types.ts";
import { type LinkedSignal, linkSignals } from "../internal/abort.ts";
import { type Clock, monotonicOf } from "../internal/clock.ts";
import { RequestListeners } from "../internal/request-listeners.ts";
import { closingRequests, StepBudget, type StepEndReason, type StopAfter } from "./step-budget.ts";

/**
 * A consumer's bounded step (`stopAfter`), around its `StepBudget`: counts the consumer's Kinesis
 * requests (through the fetch it gives the client) and its checkpointer's, answers whether readers
 * and allocation rounds may spend another request, and stops fetching (readers and allocation end,
 * the queue closes) once a bound is reached. Nothing here outlives `dispose()`.
 */
export class BoundedStep {
  readonly budget: StepBudget;
  readonly #clock: Clock;
  readonly #kinesisRequests = new RequestListeners();
  readonly #fetching = new AbortController();
  readonly #onStop: (reason: StepEndReason) => void;
  #reason: StepEndReason | undefined;
  #readerLink: LinkedSignal | undefined;
  #unwatch: (() => void) | undefined;

  /** `onStop` runs once, when fetching stops (the consumer closes its queue). */
  constructor(limits: StopAfter, clock: Clock, onStop: (reason: StepEndReason) => void) {
    this.#clock = clock;
    this.budget = new StepBudget(limits, monotonicOf(clock));
    this.#onStop = onStop;
    this.#kinesisRequests.add(() => this.budget.countRequest());
  }

  /** The fetch the consumer's Kinesis client sends with: counts each request and how long its answer took. */
  kinesisFetch(given: typeof fetch | undefined): typeof fetch {
    const send = this.#kinesisRequests.countingFetch(given);
    const now = monotonicOf(this.#clock);
    return async (input, init) => {
      const sentAt = now();
      try {
        return await send(input, init);
      } finally {
        this.budget.noteLatency(now() - sentAt);
      }
    };
  }

  /** Count the checkpointer's requests too, until `dispose()`. */
  watch(checkpointer: CheckPointer): void {
    this.#unwatch = checkpointer.observeRequests?.(() => this.budget.countRequest());
  }

  /** Why fetching stopped, once it has. */
  get reason(): StepEndReason | undefined {
    return this.#reason;
  }

  get fetchingOver(): boolean {
    return this.#reason !== undefined;
  }

  /** What readers stop on: the consumer's stop, or this step's end. */
  readerStop(consumerStop: AbortSignal): AbortSignal {
    this.#readerLink ??= linkSignals([consumerStop, this.#fetching.signal]);
    return this.#readerLink.signal;
  }

  /** May a reader send one more request, with `leasesHeld` to release at close? If not, fetching stops. */
  mayFetch(leasesHeld: number): boolean {
    return this.#allows(1, leasesHeld);
  }

  /** May an allocation round (a listing, maybe a shard list) run? */
  mayList(leasesHeld: number): boolean {
    return this.#allows(2, leasesHeld);
  }

  /** May one more lease be taken (its take now, and its release and a heartbeat later)? */
  mayTake(leasesHeld: number): boolean {
    return this.#allows(1, leasesHeld + 1);
  }

  #allows(requests: number, leasesHeld: number): boolean {
    if (this.#reason !== undefined) return false;
    if (this.budget.timeUp()) {
      this.stop("seconds");
      return false;
    }
    if (!this.budget.allows(requests, closingRequests(leasesHeld))) {
      this.stop("requests");
      return false;
    }
    return true;
  }

  /** Stop fetching (once): readers and allocation end, the consumer's queue closes. */
  stop(reason: StepEndReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#fetching.abort(new Error(`bounded step: ${reason} bound reached`));
    this.#onStop(reason);
  }

  /**
   * Stop fetching when the time bound comes, even while nobody asks (the caller is busy with an item,
   * or waiting for one). Ends when `signal` aborts (close), leaving no timer behind.
   */
  async runTimer(signal: AbortSignal): Promise<void> {
    for (;;) {
      const left = this.budget.msLeft();
      if (left === undefined || this.fetchingOver) return;
      if (left <= 0) return this.stop("seconds");
      try {
        // The close allowance grows with the slowest request seen, so look again when this sleep ends.
        await this.#clock.sleep(left, signal);
      } catch {
        return; // closed
      }
    }
  }

  /** Stop counting the checkpointer's requests and following the consumer's stop signal. */
  dispose(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#readerLink?.dispose();
  }
}
