import { FakeAwsError } from "../wire.ts";

/** Where an iterator points: a shard and an index into its records. */
export interface IteratorPosition {
  stream: string;
  shardId: string;
  index: number;
}

/** AWS: an iterator expires five minutes after it was returned. */
export const ITERATOR_LIFETIME_MS = 5 * 60 * 1000;

/**
 * Opaque iterator strings mapped to positions. An iterator expires after five minutes on the fake's
 * clock, or at once when the test calls `expireIterators()`.
 */
export class IteratorTable {
  readonly #issued = new Map<string, IteratorPosition & { issuedAt: number; generation: number }>();
  #generation = 0;
  #counter = 0;

  issue(position: IteratorPosition, now: number): string {
    this.#counter += 1;
    const token = `AAAAAAAAAAF${this.#counter.toString(36).padStart(8, "0")}${crypto.randomUUID().replaceAll("-", "")}`;
    this.#issued.set(token, { ...position, issuedAt: now, generation: this.#generation });
    return token;
  }

  resolve(token: string, now: number): IteratorPosition {
    const entry = this.#issued.get(token);
    if (entry === undefined) throw new FakeAwsError("InvalidArgumentException", "Invalid ShardIterator.");
    if (entry.generation !== this.#generation || now - entry.issuedAt > ITERATOR_LIFETIME_MS) {
      this.#issued.delete(token);
      throw new FakeAwsError("ExpiredIteratorException", `Iterator expired. The iterator was created at time ${new Date(entry.issuedAt).toUTCString()} while right now it is ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of 300000 milliseconds.`);
    }
    return entry;
  }

  /** Every iterator issued so far is expired; new ones are fine. */
  expireAll(): void {
    this.#generation += 1;
    this.#issued.clear();
  }

  /** Drop the iterators of a deleted stream. */
  forgetStream(stream: string): void {
    for (const [token, entry] of this.#issued) if (entry.stream === stream) this.#issued.delete(token);
  }
}
