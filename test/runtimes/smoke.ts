/**
 * One round trip per service through the SAME src/ that Node uses, written against Web APIs only so
 * it runs unchanged on Deno, Bun and workerd. Each runtime has a thin entry beside this file that
 * gathers the input (argv/env or a request body) and prints or returns the JSON result.
 */
import { type Credentials, DynamoDBClient, KinesisClient, marshallItem, unmarshallItem } from "../../src/aws/index.ts";
import { encodeBase64 } from "../../src/internal/base64.ts";

export interface SmokeInput {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  /** Absent: the clients read the AWS_* environment variables (Deno, Bun). workerd has none. */
  credentials?: Credentials;
  /** Absent: AWS_REGION / AWS_DEFAULT_REGION / us-east-1, as the library resolves it. */
  region?: string;
}

export interface SmokeResult {
  userAgent: string;
  region: string;
  kinesis: {
    streamName: string;
    shardId: string;
    putSequenceNumber: string;
    record: { partitionKey: string; sequenceNumber: string; dataBase64: string; arrivedAt: number };
  };
  dynamodb: { tableName: string; item: Record<string, unknown> };
}

/** The record every runtime writes: binary bytes around UTF-8 text, so both encodings are exercised. */
export const SMOKE_PARTITION_KEY = "smoke-ключ-🔑";
export function smokeData(): Uint8Array {
  const text = new TextEncoder().encode("hello 😀");
  return Uint8Array.from([0, 255, 128, ...text, 10]);
}

export async function runSmoke(input: SmokeInput): Promise<SmokeResult> {
  const common = {
    ...(input.credentials === undefined ? {} : { credentials: input.credentials }),
    ...(input.region === undefined ? {} : { region: input.region }),
    maxAttempts: 2,
  };
  const kinesis = new KinesisClient({ ...common, endpoint: input.kinesisEndpoint });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: input.dynamodbEndpoint });
  const suffix = crypto.randomUUID().slice(0, 8);

  const streamName = `smoke-${suffix}`;
  await kinesis.createStream(streamName, 1);
  await kinesis.waitForActive(streamName, { pollInterval: 0.05, timeout: 30 });
  const [shard] = await kinesis.listShards(streamName);
  if (shard === undefined) throw new Error(`stream ${streamName} has no shard`);
  const put = await kinesis.putRecord(streamName, { data: smokeData(), partitionKey: SMOKE_PARTITION_KEY });
  const iterator = await kinesis.getShardIterator(streamName, shard.shardId, "TRIM_HORIZON");
  const page = await kinesis.getRecords(iterator, 10);
  const record = page.records[0];
  if (record === undefined) throw new Error(`GetRecords on ${streamName} returned no record`);

  const tableName = `smoke-${suffix}`;
  await dynamodb.createTable({
    TableName: tableName,
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  });
  await dynamodb.waitForTableActive(tableName, { timeout: 30 });
  const key = marshallItem({ pk: `row-${suffix}` });
  await dynamodb.putItem({
    TableName: tableName,
    Item: marshallItem({ pk: `row-${suffix}`, text: "grüße 😀", big: 123456789012345678901234567890n, bytes: smokeData(), ok: true }),
    ConditionExpression: "attribute_not_exists(pk)",
  });
  const stored = await dynamodb.getItem(tableName, key);
  if (stored === undefined) throw new Error(`GetItem on ${tableName} found nothing`);

  return {
    userAgent: typeof navigator === "undefined" ? "" : navigator.userAgent,
    region: kinesis.http.region,
    kinesis: {
      streamName,
      shardId: shard.shardId,
      putSequenceNumber: put.sequenceNumber,
      record: {
        partitionKey: record.partitionKey,
        sequenceNumber: record.sequenceNumber,
        dataBase64: encodeBase64(record.data),
        arrivedAt: record.approximateArrivalTimestamp.getTime(),
      },
    },
    dynamodb: { tableName, item: jsonSafe(unmarshallItem(stored)) as Record<string, unknown> },
  };
}

/** bigint and bytes have no JSON form: print them as tagged strings the test can compare. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return `bigint:${value}`;
  if (value instanceof Uint8Array) return `base64:${encodeBase64(value)}`;
  if (value instanceof Set) return [...(value as Set<unknown>)].map(jsonSafe);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/** An error with its stack and causes, for the runtime's stderr (the test shows it on failure). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? "" : `\ncaused by: ${describeError(error.cause)}`;
  return `${error.stack ?? `${error.name}: ${error.message}`}${cause}`;
}
