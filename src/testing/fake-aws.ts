import { type Clock, systemClock } from "../internal/clock.ts";
import { SERVES_SUBSCRIPTIONS } from "../kinesis/serves-subscriptions.ts";
import { FakeDynamoDB } from "./dynamodb/fake-dynamodb.ts";
import { FakeKinesis } from "./kinesis/fake-kinesis.ts";
import { errorResponse, FakeAwsError, type Json, jsonResponse } from "./wire.ts";

/** Options of `createFakeAws()`; all optional. */
export interface FakeAwsOptions {
  /**
   * The fake's time: record arrival timestamps, iterator expiry (five minutes), TTL sweeps. Default the
   * system clock; pass a `ManualClock` (and give the same one to your Consumer) to move time by hand.
   */
  clock?: Clock;
  /** The region in ARNs (default "us-east-1"). */
  region?: string;
}

/** One request the fake answered. */
export interface FakeRequestLog {
  /** Which fake answered, by the request's target header. */
  service: "kinesis" | "dynamodb";
  /** The API action, e.g. `GetRecords` or `UpdateItem`. */
  operation: string;
  /** HTTP status answered, or 0 for an injected network failure. */
  status: number;
}

/** Options to spread into `Consumer`, `Producer`, `DynamoDBCheckPointer` or the raw clients. */
export interface FakeClientOptions {
  /** The fake's `fetch`; requests never reach the network. */
  fetch: typeof fetch;
  /** A placeholder endpoint (`http://fake-aws.invalid`); only the fake's `fetch` answers it. */
  endpoint: string;
  /** The fake's region (the `region` option, default "us-east-1"). */
  region: string;
  /** Dummy credentials, so no credential chain is consulted; the fake does not check signatures. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** An in-memory Kinesis and DynamoDB behind one `fetch`, for tests with no server, from `createFakeAws()`. */
export interface FakeAws {
  /** A `fetch` that answers Kinesis and DynamoDB JSON-protocol requests from memory; it never touches the network. */
  fetch: typeof fetch;
  /** `{ fetch, endpoint, region, credentials }` for the library's classes. */
  options: FakeClientOptions;
  /** The fake's time source (the `clock` option, or the system clock). */
  clock: Clock;
  /** The Kinesis fake's admin API: create and reshard streams, inspect records, inject faults. */
  kinesis: FakeKinesis;
  /** The DynamoDB fake's admin API: inspect and edit tables, inject faults. */
  dynamodb: FakeDynamoDB;
  /** Every request answered so far, in order. */
  requests: FakeRequestLog[];
  /** How many requests of `operation` were answered (throttled and failed ones included). */
  calls(operation: string): number;
}

const KINESIS = { prefix: "Kinesis_20131202.", contentType: "application/x-amz-json-1.1", errorPrefix: "" } as const;
const DYNAMODB = { prefix: "DynamoDB_20120810.", contentType: "application/x-amz-json-1.0", errorPrefix: "com.amazonaws.dynamodb.v20120810#" } as const;

/**
 * An in-memory Kinesis and DynamoDB behind one `fetch` function, so the real Consumer, Producer and
 * DynamoDBCheckPointer run against it in a unit test on any runtime (nothing listens on a port).
 * The request must be SigV4-signed (the library always signs); the signature itself is not checked.
 */
export function createFakeAws(options: FakeAwsOptions = {}): FakeAws {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? "us-east-1";
  const kinesis = new FakeKinesis(clock, region);
  const dynamodb = new FakeDynamoDB(clock, region);
  const requests: FakeRequestLog[] = [];

  const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (request.signal.aborted) throw request.signal.reason;
    const target = request.headers.get("x-amz-target") ?? "";
    const protocol = target.startsWith(KINESIS.prefix) ? KINESIS : target.startsWith(DYNAMODB.prefix) ? DYNAMODB : undefined;
    if (protocol === undefined) {
      return new Response(JSON.stringify({ __type: "UnknownOperationException", message: `the fake AWS does not know X-Amz-Target "${target}"` }), {
        status: 400,
      });
    }
    const service = protocol === KINESIS ? "kinesis" : "dynamodb";
    const operation = target.slice(protocol.prefix.length);
    const log: FakeRequestLog = { service, operation, status: 200 };
    requests.push(log);
    try {
      if (!(request.headers.get("authorization") ?? "").startsWith("AWS4-HMAC-SHA256 ")) {
        throw new FakeAwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
      }
      const body = parseBody(await request.text());
      const out = service === "kinesis" ? kinesis.handle(operation, body, request.signal) : dynamodb.handle(operation, body);
      return out instanceof Response ? out : jsonResponse(out, protocol.contentType);
    } catch (error) {
      if (error instanceof FakeAwsError) {
        log.status = error.status;
        return errorResponse(error, protocol.contentType, protocol.errorPrefix);
      }
      if (error instanceof TypeError && error.message.includes("fake network failure")) log.status = 0;
      throw error;
    }
  };

  // SubscribeToShard is answered here too: a client given this fetch subscribes through it (no HTTP/2 needed).
  Object.defineProperty(fakeFetch, SERVES_SUBSCRIPTIONS, { value: true });

  return {
    fetch: fakeFetch as typeof fetch,
    options: {
      fetch: fakeFetch as typeof fetch,
      // `.invalid` never resolves: a client that forgot the fake fetch fails at once instead of reaching AWS.
      endpoint: "http://fake-aws.invalid",
      region,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret-not-real" },
    },
    clock,
    kinesis,
    dynamodb,
    requests,
    calls: (operation) => requests.filter((r) => r.operation === operation).length,
  };
}

function parseBody(text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text === "" ? "{}" : text);
  } catch {
    throw new FakeAwsError("SerializationException", "the request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FakeAwsError("SerializationException", "the request body must be a JSON object");
  }
  return parsed as Json;
}
