/** Answers in the AWS JSON protocols' wire format, shared by the fake Kinesis and DynamoDB. */

export type Json = Record<string, unknown>;

/** A failure the fake answers with: an AWS error code, its HTTP status and message. */
export class FakeAwsError extends Error {
  override readonly name = "FakeAwsError";
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra top-level fields of the error body (DynamoDB's `Item` with ReturnValuesOnConditionCheckFailure). */
    readonly extra: Json = {},
  ) {
    super(message);
  }
}

export function jsonResponse(body: Json, contentType: string): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": contentType, "x-amzn-requestid": requestId() },
  });
}

/** `typePrefix`: DynamoDB namespaces its codes (`com.amazonaws.dynamodb.v20120810#Code`), Kinesis does not. */
export function errorResponse(error: FakeAwsError, contentType: string, typePrefix: string): Response {
  return new Response(JSON.stringify({ __type: `${typePrefix}${error.code}`, message: error.message, ...error.extra }), {
    status: error.status,
    headers: { "content-type": contentType, "x-amzn-requestid": requestId() },
  });
}

let requests = 0;
function requestId(): string {
  requests += 1;
  return `fake-${requests.toString(16).padStart(8, "0")}`;
}

export function invalid(message: string): FakeAwsError {
  return new FakeAwsError("ValidationException", message);
}

export function stringField(body: Json, field: string, required: true): string;
export function stringField(body: Json, field: string, required?: false): string | undefined;
export function stringField(body: Json, field: string, required = false): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw invalid(`${field} is required`);
    return undefined;
  }
  if (typeof value !== "string") throw invalid(`${field} must be a string`);
  return value;
}

export function numberField(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(`${field} must be a number`);
  return value;
}
