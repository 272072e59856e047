import { errorKind } from "../aws/error-codes.ts";
import { AbortedError, AsyncKinesisError, AwsServiceError, CredentialsError, NetworkError, TimeoutError } from "../errors.ts";
import type { PutRecordsResult } from "../kinesis/types.ts";

/** What became of one entry of a PutRecords request. */
export type EntryOutcome =
  | { kind: "delivered"; shardId: string | undefined; sequenceNumber: string | undefined }
  | { kind: "retry"; code: string; message: string; throttled: boolean; cause?: unknown }
  | { kind: "fatal"; code: string; message: string; cause?: unknown };

export type FailureOutcome = Exclude<EntryOutcome, { kind: "delivered" }>;

/**
 * Per-entry outcomes of a PutRecords answer. Per-record codes are ProvisionedThroughputExceeded
 * (throttled), InternalFailure (transient) and the KMS errors (persistent, except KMSThrottling). An
 * unknown per-record code is judged transient: it gets a bounded number of retries, not a verdict.
 */
export function entryOutcomes(entries: number, result: PutRecordsResult): EntryOutcome[] {
  if (result.records.length !== entries) {
    // The answer does not line up with the request, so nothing can be known per record: send again.
    const retry: EntryOutcome = {
      kind: "retry",
      code: "ProtocolError",
      message: `PutRecords answered ${result.records.length} entries for ${entries} records`,
      throttled: false,
    };
    return new Array<EntryOutcome>(entries).fill(retry);
  }
  return result.records.map((record): EntryOutcome => {
    if (record.errorCode === undefined) {
      return { kind: "delivered", shardId: record.shardId, sequenceNumber: record.sequenceNumber };
    }
    const code = record.errorCode;
    const message = record.errorMessage ?? code;
    const kind = errorKind(code, 500);
    if (kind === "fatal") return { kind: "fatal", code, message };
    return { kind: "retry", code, message, throttled: kind === "throttling" };
  });
}

/**
 * The outcome for every entry when the whole request failed. Throttling, 5xx, network failures and
 * attempt timeouts are retried; access, missing streams, KMS, validation and aborts are not.
 */
export function requestFailureOutcome(error: unknown): FailureOutcome {
  if (error instanceof AwsServiceError) {
    if (error.retryable) return { kind: "retry", code: error.awsCode, message: error.message, throttled: error.throttling, cause: error };
    return { kind: "fatal", code: error.awsCode, message: error.message, cause: error };
  }
  if (error instanceof NetworkError || error instanceof TimeoutError) {
    return { kind: "retry", code: error.name, message: error.message, throttled: false, cause: error };
  }
  if (error instanceof AbortedError || error instanceof CredentialsError) {
    return { kind: "fatal", code: error.name, message: error.message, cause: error };
  }
  if (error instanceof AsyncKinesisError) return { kind: "retry", code: error.name, message: error.message, throttled: false, cause: error };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "fatal", code: "UnexpectedError", message, cause: error };
}
