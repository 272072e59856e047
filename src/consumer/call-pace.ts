/**
 * How many GetRecords calls the service counts together: 5 per shard per second. The pace keeps any
 * 5 consecutive calls at least 5 intervals (at least one second) apart as the service sees them.
 */
export const WINDOW_CALLS = 5;

/**
 * When a shard's next GetRecords may start (monotonic ms). Pure: times are passed in.
 *
 * Calls start one interval apart, measured from when the previous call was due to start, so neither a
 * call that takes long (a slow answer) nor a timer that fires late (a busy event loop) stretches the
 * interval and with it the wait of every record for the next poll; a late call is made up by the next
 * one, which comes at least half an interval after it (no catching up in bursts after a pause). That alone could let calls bunch as the service counts them (it counts a
 * call when it arrives, somewhere between our start and our end), so a second rule bounds every
 * window: a call starts no sooner than WINDOW_CALLS intervals after the end of the call
 * WINDOW_CALLS before it. Any six arrivals then span at least WINDOW_CALLS intervals (at least a
 * second): never more than 5 calls in any second, while a steady reader still polls `1 / interval`
 * times a second. The client's retries inside one call wait a whole window (`retryDelayMs`), so a
 * retried call cannot break the bound either.
 */
export class CallPace {
  readonly #intervalMs: number;
  readonly #windowMs: number;
  #lastStart = Number.NEGATIVE_INFINITY;
  /** When the last call was due to start (its start, if it started on time or the pace had no plan yet). */
  #lastDue = Number.NEGATIVE_INFINITY;
  /** Ends of the last WINDOW_CALLS calls, oldest first. */
  readonly #ends: number[] = [];
  #nextAt = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
    this.#windowMs = WINDOW_CALLS * intervalMs;
  }

  /** When the next call may start. */
  get nextAt(): number {
    return this.#nextAt;
  }

  /** The least wait between a failed attempt's end and its retry inside one call. */
  get retryDelayMs(): number {
    return this.#windowMs;
  }

  /** A call starts now (its first attempt). */
  started(at: number): void {
    this.#lastStart = at;
    this.#lastDue = Number.isFinite(this.#nextAt) ? Math.min(at, this.#nextAt) : at;
  }

  /** The call ended (its last attempt answered or failed). */
  ended(at: number): void {
    this.#ends.push(at);
    if (this.#ends.length > WINDOW_CALLS) this.#ends.shift();
    const window = this.#ends.length === WINDOW_CALLS ? this.#ends[0]! + this.#windowMs : Number.NEGATIVE_INFINITY;
    const onSchedule = Math.max(this.#lastDue + this.#intervalMs, this.#lastStart + this.#intervalMs / 2);
    this.#nextAt = Math.max(onSchedule, window, at);
  }

  /** Hold the next call back `ms` more (the idle sleep after an empty page, beyond the interval). */
  delay(ms: number): void {
    if (ms > 0) this.#nextAt += ms;
  }
}
