import { AwsServiceError } from "../errors.ts";

/** The calls that name one shard (by id, or by an iterator issued for it). */
const SHARD_OPERATIONS: ReadonlySet<string> = new Set(["GetShardIterator", "GetRecords"]);

/**
 * Whether a reader's non-retryable failure is about its shard alone: `ResourceNotFoundException`
 * from GetShardIterator or GetRecords, e.g. a shard that aged out of the retention period between
 * ListShards and GetShardIterator. Only that shard stops. Everything else (access denied, KMS, a bad
 * request) is about the whole stream and ends the consumer. A deleted stream answers the same code
 * here, and ends the consumer too: the shard stops, and the next ListShards, made at once, fails.
 */
export function isShardGone(error: unknown): error is AwsServiceError {
  return error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException" && SHARD_OPERATIONS.has(error.operation);
}
