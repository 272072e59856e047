/**
 * Full-jitter exponential backoff: sleep a uniformly random time in [0, min(cap, base * 2^attempt)).
 * Throttling starts from a larger base, as the AWS SDKs do, so a throttled shard gets room to drain.
 */
export interface BackoffPolicy {
  /** Base delay for transient errors, ms. */
  baseMs: number;
  /** Base delay after throttling, ms. */
  throttlingBaseMs: number;
  /** Upper bound of any single delay, ms. */
  capMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 100, throttlingBaseMs: 500, capMs: 20_000 };

/** `attempt` counts from 0 for the delay after the first failure. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, throttled: boolean, random: () => number): number {
  const base = throttled ? policy.throttlingBaseMs : policy.baseMs;
  const ceiling = Math.min(policy.capMs, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
