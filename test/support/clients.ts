import { inject } from "vitest";
import type { AttemptObserver } from "../../src/aws/json-client.ts";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { nodeHttpFetch } from "../../src/node/http-fetch.ts";

/**
 * The transport the client tests send with: the runtime's `fetch` (the Web build) by default, or with
 * ASYNC_KINESIS_TEST_TRANSPORT=node-http the Node build's node:http transport. vitest.config.ts runs
 * the client test files once more as the "node-http" project, so both transports pass the same tests.
 */
export function testTransport(): { fetch?: typeof fetch } {
  return process.env["ASYNC_KINESIS_TEST_TRANSPORT"] === "node-http" ? { fetch: nodeHttpFetch } : {};
}

/** Local servers accept any credentials; these are obviously fake so no snapshot can leak a real one. */
export const testCredentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" };

export function localKinesis(options: { endpoint?: string; maxAttempts?: number } = {}): KinesisClient {
  return new KinesisClient({
    endpoint: options.endpoint ?? inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    ...testTransport(),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}

export function localDynamo(options: { endpoint?: string; maxAttempts?: number; onAttempt?: AttemptObserver } = {}): DynamoDBClient {
  return new DynamoDBClient(
    {
      endpoint: options.endpoint ?? inject("dynamodbEndpoint"),
      region: "us-east-1",
      credentials: testCredentials,
      ...testTransport(),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    },
    { onAttempt: options.onAttempt },
  );
}

/** A name no other test file uses, so files can share one server. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Create a stream and wait until it is ACTIVE. */
export async function createStream(kinesis: KinesisClient, shards: number, prefix = "stream"): Promise<string> {
  const name = uniqueName(prefix);
  await kinesis.createStream(name, shards);
  await kinesis.waitForActive(name, { pollInterval: 0.05 });
  return name;
}
