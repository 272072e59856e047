import { errorKind } from "../aws/error-codes.ts";
import { AbortedError, AsyncKinesisError, AwsServiceError, CredentialsError, NetworkError, TimeoutError } from "../errors.ts";

/** Why an entry of a PutRecords request was not stored, and whether sending it again can help. */
export type FailureOutcome =
  | { kind: "retry"; code: string; message: string; throttled: boolean; cause?: unknown }
  | { kind: "fatal"; code: string; message: string; cause?: unknown };

/**
 * One failed entry of a PutRecords answer. Per-record codes are ProvisionedThroughputExceeded
 * (throttled), InternalFailure (transient) and the KMS errors (persistent, except KMSThrottling). An
 * unknown per-record code is judged transient: it gets a bounded number of retries, not a verdict.
 */
export function entryFailure(code: string, message: string | undefined): FailureOutcome {
  const kind = errorKind(code, 500);
  if (kind === "fatal") return { kind: "fatal", code, message: message ?? code };
  return { kind: "retry", code, message: message ?? code, throttled: kind === "throttling" };
}

/** An answer whose entries do not line up with the request: nothing is known per record, so send again. */
export function mismatchedAnswer(sent: number, answered: number): FailureOutcome {
  return { kind: "retry", code: "ProtocolError", message: `PutRecords answered ${answered} entries for ${sent} records`, throttled: false };
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
