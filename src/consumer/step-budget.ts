/**
 * The bounds of one bounded step (`stopAfter`): how many items it may yield, how long it may run,
 * and how many HTTP requests it may make, Kinesis and checkpointer together, closing included.
 * Request-scoped runtimes (a Worker's cron trigger, a Durable Object alarm, `Deno.cron`, a Lambda)
 * run for a bounded time with a bounded number of subrequests; a step ends inside them and the
 * next one resumes where it committed.
 */
export interface StopAfter {
  /** Items yielded to the application (a payload that decodes to several items is never split). */
  records?: number | undefined;
  /** Wall time from the consumer's construction; fetching stops early enough to commit and release within it. */
  seconds?: number | undefined;
  /** HTTP requests from construction to the end of `close()`; fetching stops while enough remain to commit and release. */
  requests?: number | undefined;
}

/** Why a bounded step ended (`idle`: every shard was caught up, with `idleTimeout`). */
export type StepEndReason = "records" | "seconds" | "requests" | "idle";

/**
 * Counts what a step spends and says when it must stop. Pure bookkeeping: the consumer feeds it
 * (each item handed out, each request sent and how long it took) and asks it before spending more.
 */
export class StepBudget {
  readonly limits: Readonly<StopAfter>;
  readonly #now: () => number;
  readonly #startedAt: number;
  #items = 0;
  #requests = 0;
  #slowestMs = 0;

  /** `now` is monotonic milliseconds (on workerd it advances only across I/O, which is when requests end). */
  constructor(limits: StopAfter, now: () => number) {
    this.limits = limits;
    this.#now = now;
    this.#startedAt = now();
  }

  get itemsYielded(): number {
    return this.#items;
  }

  get requestsMade(): number {
    return this.#requests;
  }

  get elapsedMs(): number {
    return this.#now() - this.#startedAt;
  }

  countItem(): void {
    this.#items++;
  }

  /** An item went back to the queue unconfirmed (the caller left its loop): it will be yielded again. */
  uncountItem(): void {
    if (this.#items > 0) this.#items--;
  }

  /** One HTTP request (one attempt) is being sent. */
  countRequest(): void {
    this.#requests++;
  }

  /** A request took `ms`: closing (one round of lease writes) is expected to take about as long. */
  noteLatency(ms: number): void {
    if (ms > this.#slowestMs) this.#slowestMs = ms;
  }

  recordsReached(): boolean {
    return this.limits.records !== undefined && this.#items >= this.limits.records;
  }

  /**
   * Milliseconds until the step must stop fetching and delivering (undefined without a time bound):
   * `seconds` less time to close, twice the slowest request seen (an in-flight fetch is aborted, the
   * lease writes run in parallel), never more than half the step.
   */
  msLeft(): number | undefined {
    const seconds = this.limits.seconds;
    if (seconds === undefined) return undefined;
    const totalMs = seconds * 1000;
    const closingMs = Math.min(totalMs / 2, 2 * this.#slowestMs);
    return this.#startedAt + totalMs - closingMs - this.#now();
  }

  timeUp(): boolean {
    const left = this.msLeft();
    return left !== undefined && left <= 0;
  }

  /** Whether `requests` more may be sent and `reserve` still remain for closing (always, without a request bound). */
  allows(requests: number, reserve: number): boolean {
    const limit = this.limits.requests;
    return limit === undefined || this.#requests + requests + reserve <= limit;
  }

  /** The first bound reached, if any. */
  reason(requestsSpent: boolean): StepEndReason | undefined {
    if (this.timeUp()) return "seconds";
    if (this.recordsReached()) return "records";
    return requestsSpent ? "requests" : undefined;
  }
}

/**
 * What closing costs in requests, per lease held: its release (or final checkpoint) write, and one
 * heartbeat that may fall between the last fetch and `close()`; plus one for a handoff request
 * withdrawn on close.
 */
export function closingRequests(leasesHeld: number): number {
  return 2 * leasesHeld + 1;
}
