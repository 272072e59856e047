import { type AwsService, AwsServiceError } from "../errors.ts";
import { errorKind } from "./error-codes.ts";

export interface RawErrorResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Turn a non-2xx response into a typed error. Accepts every shape seen from AWS and the local
 * servers: `__type` bare or namespaced (`prefix#Code`), `message` or `Message`, the code in an
 * `x-amzn-errortype` header, and empty, HTML or truncated bodies.
 */
export function parseAwsError(
  service: AwsService,
  operation: string,
  response: RawErrorResponse,
  /** Applied to the message before the error exists, so no secret reaches its stack either. */
  redact: (text: string) => string = (text) => text,
): AwsServiceError {
  const json = tryParseObject(response.body);
  const headerCode = response.headers.get("x-amzn-errortype");
  const awsCode = cleanCode(stringField(json, "__type")) ??
    cleanCode(stringField(json, "code")) ??
    cleanCode(stringField(json, "Code")) ??
    cleanCode(headerCode ?? undefined) ??
    codeForStatus(response.status);
  const message = redact(
    stringField(json, "message") ??
      stringField(json, "Message") ??
      stringField(json, "errorMessage") ??
      textSnippet(response.body) ??
      `HTTP ${response.status} with an empty body`,
  );
  const kind = errorKind(awsCode, response.status);
  const error = new AwsServiceError(
    {
      service,
      operation,
      awsCode,
      httpStatus: response.status,
      requestId: response.headers.get("x-amzn-requestid") ?? response.headers.get("x-amz-request-id") ?? undefined,
      retryable: kind !== "fatal",
      throttling: kind === "throttling",
    },
    message,
  );
  // DynamoDB returns the current item with ReturnValuesOnConditionCheckFailure; lease code reads it.
  const item = json?.["Item"];
  if (item !== undefined && item !== null && typeof item === "object") error.item = item as Record<string, unknown>;
  return error;
}

function tryParseObject(body: string): Record<string, unknown> | undefined {
  const trimmed = body.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(json: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = json?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` and `Code:http://...` → `Code`. */
function cleanCode(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let code = raw;
  const hash = code.lastIndexOf("#");
  if (hash >= 0) code = code.slice(hash + 1);
  const colon = code.indexOf(":");
  if (colon >= 0) code = code.slice(0, colon);
  code = code.trim();
  return code === "" ? undefined : code;
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDeniedException";
    case 404:
      return "NotFound";
    case 413:
      return "RequestEntityTooLarge";
    case 429:
      return "TooManyRequestsException";
    case 500:
      return "InternalFailure";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return `Http${status}`;
  }
}

/** A short, tag-free excerpt of a non-JSON body (an HTML error page from a proxy, say). */
function textSnippet(body: string): string | undefined {
  const text = body
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return undefined;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
