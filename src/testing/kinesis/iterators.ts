import { FakeAwsError } from "../wire.ts";

/** Where an iterator points: a shard and an index into its records. */
export interface IteratorPosition {
  stream: string;
  /** The stream's incarnation: an iterator of a deleted stream never reads a new one of the same name. */
  incarnation: number;
  shardId: string;
  index: number;
}

/** AWS: an iterator expires five minutes after it was returned. */
export const ITERATOR_LIFETIME_MS = 5 * 60 * 1000;

/**
 * Opaque iterator strings that carry their own position (nothing to store, so a long test that polls
 * for hours holds no table of old iterators). An iterator expires after five minutes on the fake's
 * clock, or at once when the test calls `expireIterators()`.
 */
export class IteratorTable {
  #generation = 0;

  issue(position: IteratorPosition, now: number): string {
    const payload = JSON.stringify([position.stream, position.incarnation, position.shardId, position.index, now, this.#generation]);
    return `AAAAAAAAAAF${btoa(payload)}`;
  }

  resolve(token: string, now: number): IteratorPosition {
    const entry = parse(token);
    if (entry === undefined) throw new FakeAwsError("InvalidArgumentException", "Invalid ShardIterator.");
    const [stream, incarnation, shardId, index, issuedAt, generation] = entry;
    if (generation !== this.#generation || now - issuedAt > ITERATOR_LIFETIME_MS) {
      throw new FakeAwsError(
        "ExpiredIteratorException",
        `Iterator expired. The iterator was created at time ${new Date(issuedAt).toUTCString()} while right now it is ${
          new Date(now).toUTCString()
        } which is further in the future than the tolerated delay of 300000 milliseconds.`,
      );
    }
    return { stream, incarnation, shardId, index };
  }

  /** Every iterator issued so far is expired; new ones are fine. */
  expireAll(): void {
    this.#generation += 1;
  }
}

function parse(token: string): [string, number, string, number, number, number] | undefined {
  if (!token.startsWith("AAAAAAAAAAF")) return undefined;
  try {
    const value: unknown = JSON.parse(atob(token.slice(11)));
    if (
      Array.isArray(value) &&
      value.length === 6 &&
      typeof value[0] === "string" &&
      typeof value[2] === "string" &&
      [value[1], ...value.slice(3)].every((n) => typeof n === "number")
    ) {
      return value as [string, number, string, number, number, number];
    }
  } catch {
    // not one of ours
  }
  return undefined;
}
