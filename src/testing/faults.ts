import { FakeAwsError } from "./wire.ts";

/** What `failNext` makes an operation answer: an AWS error, or `"network"` for a failed fetch (a TypeError). */
export type FakeFailure = { code: string; status?: number; message?: string } | "network";

/**
 * Failures queued per operation name, consumed one per request in order. Kept per service so a
 * Kinesis `throttleNext("GetRecords", 2)` never touches DynamoDB traffic.
 */
export class FaultQueue {
  readonly #queued = new Map<string, FakeFailure[]>();
  readonly #throttleCode: string;

  constructor(throttleCode: string) {
    this.#throttleCode = throttleCode;
  }

  /** The next `times` calls of `operation` answer HTTP 400 with the service's throttling code. */
  throttleNext(operation: string, times = 1): void {
    this.failNext(operation, { code: this.#throttleCode, message: `Rate exceeded (fake throttle on ${operation})` }, times);
  }

  /** The next `times` calls of `operation` fail with `failure`. */
  failNext(operation: string, failure: FakeFailure, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`);
    const list = this.#queued.get(operation) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.#queued.set(operation, list);
  }

  /** Throws the queued failure for `operation`, if any. */
  take(operation: string): void {
    const failure = this.#queued.get(operation)?.shift();
    if (failure === undefined) return;
    if (failure === "network") throw new TypeError(`fetch failed (fake network failure on ${operation})`);
    throw new FakeAwsError(failure.code, failure.message ?? `fake ${failure.code} on ${operation}`, failure.status ?? 400);
  }

  clear(): void {
    this.#queued.clear();
  }
}
