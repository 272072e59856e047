import { inject } from "vitest";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";

/** Local servers accept any credentials; these are obviously fake so no snapshot can leak a real one. */
export const testCredentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" };

export function localKinesis(options: { endpoint?: string; maxAttempts?: number } = {}): KinesisClient {
  return new KinesisClient({
    endpoint: options.endpoint ?? inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}

export function localDynamo(options: { endpoint?: string; maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: options.endpoint ?? inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
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
