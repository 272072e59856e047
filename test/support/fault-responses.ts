/**
 * The answers the fault proxy fabricates, shaped like what AWS really sends: status, `__type`
 * (bare for Kinesis, namespaced for DynamoDB), `message`, content type and `x-amzn-RequestId`.
 * Pure functions plus a seeded PRNG, so the proxy's behaviour is a function of its seed.
 */

/** mulberry32: a tiny, well-mixed 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ServiceKind = "kinesis" | "dynamodb";

export interface FabricatedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const ACCOUNT = "123456789012";
const DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810";

export function serviceOf(targetPrefix: string): ServiceKind {
  return targetPrefix.startsWith("DynamoDB") ? "dynamodb" : "kinesis";
}

function contentType(service: ServiceKind): string {
  return service === "kinesis" ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0";
}

/** A stable, UUID-shaped request id derived from a counter, so failures are easy to correlate in tests. */
export function requestIdFor(seed: number, n: number): string {
  const hex = (value: number, width: number): string => (value >>> 0).toString(16).padStart(width, "0").slice(-width);
  return `${hex(seed, 8)}-0000-4000-8000-${hex(n, 12)}`;
}

function jsonError(service: ServiceKind, status: number, type: string, message: string, requestId: string): FabricatedResponse {
  return {
    status,
    headers: { "content-type": contentType(service), "x-amzn-requestid": requestId },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** What the request names, for realistic messages ("... in stream X ..."). */
export interface RequestFacts {
  streamName: string;
  shardId: string;
  tableName: string;
}

export function requestFacts(parsed: unknown): RequestFacts {
  const body = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const arn = typeof body["StreamARN"] === "string" ? body["StreamARN"] : undefined;
  const streamName = typeof body["StreamName"] === "string" ? body["StreamName"] : arn !== undefined ? arn.slice(arn.indexOf("/") + 1) : "unknown-stream";
  const shardId = typeof body["ShardId"] === "string" ? body["ShardId"] : "shardId-000000000000";
  const tableName = typeof body["TableName"] === "string" ? body["TableName"] : "unknown-table";
  return { streamName, shardId, tableName };
}

export type ThrottleCode = "ProvisionedThroughputExceededException" | "ThrottlingException" | "LimitExceededException" | "RequestLimitExceeded";

/** HTTP 400 throttling, with the bodies Kinesis and DynamoDB send. */
export function throttleResponse(service: ServiceKind, code: ThrottleCode, facts: RequestFacts, requestId: string): FabricatedResponse {
  if (service === "kinesis") {
    switch (code) {
      case "LimitExceededException":
        return jsonError(service, 400, code, `Rate exceeded for stream ${facts.streamName} under account ${ACCOUNT}.`, requestId);
      case "ThrottlingException":
        return jsonError(service, 400, code, "Rate exceeded", requestId);
      default:
        return jsonError(
          service,
          400,
          "ProvisionedThroughputExceededException",
          `Rate exceeded for shard ${facts.shardId} in stream ${facts.streamName} under account ${ACCOUNT}.`,
          requestId,
        );
    }
  }
  switch (code) {
    case "ThrottlingException":
      return jsonError(service, 400, "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput.", requestId);
    case "RequestLimitExceeded":
      return jsonError(
        service,
        400,
        `${DYNAMODB_NAMESPACE}#RequestLimitExceeded`,
        "Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase",
        requestId,
      );
    default:
      return jsonError(
        service,
        400,
        `${DYNAMODB_NAMESPACE}#ProvisionedThroughputExceededException`,
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        requestId,
      );
  }
}

export type ErrorBodyStyle = "empty" | "json" | "html";

/** A 5xx (or any status) with an empty, JSON or HTML body, as services and load balancers send them. */
export function serverErrorResponse(service: ServiceKind, status: number, style: ErrorBodyStyle, requestId: string): FabricatedResponse {
  const code = status === 503 ? "ServiceUnavailable" : "InternalFailure";
  if (style === "json") {
    const type = service === "dynamodb" ? `${DYNAMODB_NAMESPACE}#${code}` : code;
    return jsonError(service, status, type, status === 503 ? "Service Unavailable" : "Internal service failure.", requestId);
  }
  if (style === "html") {
    const title = `${status} ${status === 503 ? "Service Temporarily Unavailable" : "Internal Server Error"}`;
    return {
      status,
      headers: { "content-type": "text/html", "x-amzn-requestid": requestId },
      body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
    };
  }
  return { status, headers: { "x-amzn-requestid": requestId }, body: "" };
}

export type RecordErrorCode = "ProvisionedThroughputExceededException" | "InternalFailure";

export interface FailedEntry {
  ErrorCode: RecordErrorCode;
  ErrorMessage: string;
}

export function failedEntry(code: RecordErrorCode, facts: RequestFacts): FailedEntry {
  return code === "InternalFailure"
    ? { ErrorCode: code, ErrorMessage: "Internal service failure." }
    : { ErrorCode: code, ErrorMessage: `Rate exceeded for shard ${facts.shardId} in stream ${facts.streamName} under account ${ACCOUNT}.` };
}

/**
 * Rebuild a PutRecords response for the original request: `failed` maps original positions to the
 * entries we failed (they never reached the backend); the backend's entries, in order, fill the rest.
 */
export function spliceFailedEntries(
  backend: { FailedRecordCount?: number | null; Records?: unknown[] | null; [key: string]: unknown },
  originalCount: number,
  failed: ReadonlyMap<number, FailedEntry>,
): Record<string, unknown> {
  const forwarded = backend.Records ?? [];
  if (forwarded.length !== originalCount - failed.size) {
    throw new Error(`backend answered ${forwarded.length} entries for ${originalCount - failed.size} forwarded records`);
  }
  const records: unknown[] = [];
  let next = 0;
  for (let i = 0; i < originalCount; i++) records.push(failed.get(i) ?? forwarded[next++]);
  return { ...backend, FailedRecordCount: (backend.FailedRecordCount ?? 0) + failed.size, Records: records };
}
