import { describe, expect, it } from "vitest";
import { AbortedError, AwsServiceError, CredentialsError, NetworkError, TimeoutError } from "../../src/errors.ts";
import { entryFailure, mismatchedAnswer, requestFailureOutcome } from "../../src/producer/put-outcome.ts";

function serviceError(awsCode: string, httpStatus: number, retryable: boolean, throttling: boolean): AwsServiceError {
  return new AwsServiceError({ service: "kinesis", operation: "PutRecords", awsCode, httpStatus, retryable, throttling }, "message");
}

describe("PutRecords outcomes", () => {
  it("retries throttled and internal-failure entries, and marks throttling", () => {
    expect(entryFailure("ProvisionedThroughputExceededException", "Rate exceeded")).toMatchObject({ kind: "retry", throttled: true });
    expect(entryFailure("InternalFailure", undefined)).toMatchObject({ kind: "retry", throttled: false, message: "InternalFailure" });
    expect(entryFailure("KMSThrottlingException", "slow down")).toMatchObject({ kind: "retry", throttled: true });
  });

  it("gives up at once on KMS configuration errors per entry", () => {
    for (const code of ["KMSAccessDeniedException", "KMSDisabledException", "KMSNotFoundException", "KMSInvalidStateException", "KMSOptInRequired"]) {
      expect(entryFailure(code, "no").kind, code).toBe("fatal");
    }
  });

  it("retries an unknown per-entry code (bounded by maxAttempts) rather than losing the record", () => {
    expect(entryFailure("SomethingNew", "?")).toMatchObject({ kind: "retry", throttled: false });
  });

  it("classifies whole-request failures: throttling, 5xx and network retried; access, missing stream, abort not", () => {
    expect(requestFailureOutcome(serviceError("ProvisionedThroughputExceededException", 400, true, true))).toMatchObject({ kind: "retry", throttled: true });
    expect(requestFailureOutcome(serviceError("InternalFailure", 500, true, false))).toMatchObject({ kind: "retry", throttled: false });
    expect(requestFailureOutcome(new NetworkError("reset"))).toMatchObject({ kind: "retry", code: "NetworkError" });
    expect(requestFailureOutcome(new TimeoutError("slow", 1000))).toMatchObject({ kind: "retry", code: "TimeoutError" });
    expect(requestFailureOutcome(serviceError("AccessDeniedException", 400, false, false))).toMatchObject({ kind: "fatal", code: "AccessDeniedException" });
    expect(requestFailureOutcome(serviceError("ResourceNotFoundException", 400, false, false))).toMatchObject({ kind: "fatal" });
    expect(requestFailureOutcome(new AbortedError())).toMatchObject({ kind: "fatal", code: "AbortedError" });
    expect(requestFailureOutcome(new CredentialsError("none", ["env"]))).toMatchObject({ kind: "fatal", code: "CredentialsError" });
    const cause = new TypeError("boom");
    expect(requestFailureOutcome(cause)).toMatchObject({ kind: "fatal", code: "UnexpectedError", cause });
  });

  it("sends again when an answer does not line up with the request", () => {
    expect(mismatchedAnswer(500, 499)).toMatchObject({ kind: "retry", code: "ProtocolError" });
  });
});
