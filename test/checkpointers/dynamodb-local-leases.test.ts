import { afterAll, beforeAll } from "vitest";
import { startDynamoDBLocal } from "../support/dynamodb-local.ts";
import type { LocalServer } from "../support/kinesis-local.ts";
import { dynamoLeaseDriver } from "../support/lease-drivers/dynamodb.ts";
import { runLeaseSuite } from "./lease-suite.ts";

/**
 * The lease behaviour suite on AWS's DynamoDB Local, the faithful server (a failed condition returns
 * the current row itself). Needs java; without it the file fails naming the install command.
 */

let server: LocalServer | undefined;
beforeAll(async () => {
  server = await startDynamoDBLocal();
});
afterAll(async () => {
  await server?.close();
});

function endpoint(): string {
  if (server === undefined) throw new Error("DynamoDB Local is used before beforeAll ran");
  return server.endpoint;
}

runLeaseSuite("DynamoDBCheckPointer (DynamoDB Local)", dynamoLeaseDriver(endpoint));
