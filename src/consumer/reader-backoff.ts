import { isRetryable } from "../errors.ts";
import { backoffDelay, defaultBackoff } from "../internal/backoff.ts";
import type { Clock } from "../internal/clock.ts";
import type { ConsumerMetrics } from "./events.ts";

/** The longest a reader backs off after repeated failures that the client's own retries did not fix. */
const MAX_READER_BACKOFF_MS = 10_000;

/** What a reader's backoff needs from it. */
export interface ReaderBackoffDeps {
  shardId: string;
  metrics: Pick<ConsumerMetrics, "failed">;
  clock: Clock;
  random: () => number;
  /** The reader's stop: ends a sleep, and makes every failure final. */
  signal: AbortSignal;
}

/**
 * A shard reader's patience, the same for polling and enhanced fan-out: each failure it will retry is
 * reported, then slept off with growing, jittered delays of at most 10 s; a success starts over.
 */
export class ReaderBackoff {
  readonly #deps: ReaderBackoffDeps;
  #failures = 0;

  constructor(deps: ReaderBackoffDeps) {
    this.#deps = deps;
  }

  /** A call succeeded: the next failure backs off from the shortest delay again. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** Report `error` as retried, then sleep (rejects when the reader stops meanwhile). */
  async sleepAfter(error: unknown): Promise<void> {
    const { shardId, metrics, clock, random, signal } = this.#deps;
    metrics.failed(shardId, error, true);
    const delay = Math.min(MAX_READER_BACKOFF_MS, backoffDelay(defaultBackoff, this.#failures++, true, random) + 100);
    await clock.sleep(delay, signal);
  }

  /** Run `attempt` until it succeeds, backing off after each retryable failure; other failures are thrown. */
  async retrying<R>(attempt: () => Promise<R>): Promise<R> {
    for (;;) {
      try {
        const result = await attempt();
        this.#failures = 0;
        return result;
      } catch (error) {
        if (this.#deps.signal.aborted || !isRetryable(error)) throw error;
        await this.sleepAfter(error);
      }
    }
  }
}
