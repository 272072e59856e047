import { backoffDelay, defaultBackoff } from "../internal/backoff.ts";
import { isRetryable } from "../errors.ts";
import type { Clock } from "../internal/clock.ts";
import type { ConsumerMetrics } from "./events.ts";

export interface UntilDoneContext {
  stop: AbortSignal;
  clock: Clock;
  random: () => number;
  metrics: ConsumerMetrics;
}

/**
 * Starting (and the group's bookkeeping writes) must outlast throttling and 5xx that the client's own
 * retries did not fix: a transient failure here would otherwise end the consumer for good. Anything
 * else is thrown.
 */
export async function untilDone<R>(context: UntilDoneContext, attempt: () => Promise<R>): Promise<R> {
  for (let failures = 0;; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (context.stop.aborted || !isRetryable(error)) throw error;
      context.metrics.failed(undefined, error, true);
      await context.clock.sleep(Math.min(10_000, backoffDelay(defaultBackoff, failures, true, context.random) + 100), context.stop);
    }
  }
}
