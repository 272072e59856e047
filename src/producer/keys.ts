import { InvalidPartitionKeyError } from "../errors.ts";
import { MAX_HASH_KEY } from "../kinesis/hash-key.ts";

/** Kinesis accepts 1 to 256 characters; anything else fails the whole PutRecords request. */
export const MAX_PARTITION_KEY_LENGTH = 256;
const DECIMAL = /^(0|[1-9][0-9]{0,38})$/;

/**
 * Reject a partition key Kinesis would reject. Length is counted in UTF-16 code units, which is never
 * less than the code-point count: one invalid key fails a whole request, so we err on the strict side.
 */
export function validatePartitionKey(partitionKey: unknown): asserts partitionKey is string {
  if (typeof partitionKey !== "string") {
    throw new InvalidPartitionKeyError("partitionKey", `must be a string, got ${typeof partitionKey}`);
  }
  if (partitionKey.length === 0) throw new InvalidPartitionKeyError("partitionKey", "must not be empty");
  if (partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
    throw new InvalidPartitionKeyError(
      "partitionKey",
      `is ${partitionKey.length} characters long; Kinesis allows at most ${MAX_PARTITION_KEY_LENGTH}`,
    );
  }
}

/** Parse an explicit hash key: a decimal integer in [0, 2^128 - 1], written without leading zeros. */
export function parseExplicitHashKey(explicitHashKey: unknown): bigint {
  if (typeof explicitHashKey !== "string" || !DECIMAL.test(explicitHashKey)) {
    throw new InvalidPartitionKeyError("explicitHashKey", "must be a decimal integer string without leading zeros");
  }
  const value = BigInt(explicitHashKey);
  if (value > MAX_HASH_KEY) throw new InvalidPartitionKeyError("explicitHashKey", "must be at most 2^128 - 1");
  return value;
}

/** 26 random bits: a small integer, which engines print in base 36 quickly (a 52-bit one takes ~1 µs). */
const DRAW = 2 ** 26;

/** A random partition key (for `put` without one): spreads records evenly over the shards. */
export function randomPartitionKey(random: () => number): string {
  // Four draws give 104 random bits in at most 20 base-36 characters.
  return (
    Math.floor(random() * DRAW).toString(36) +
    Math.floor(random() * DRAW).toString(36) +
    Math.floor(random() * DRAW).toString(36) +
    Math.floor(random() * DRAW).toString(36)
  );
}
