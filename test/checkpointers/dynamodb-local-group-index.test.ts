import { afterAll, beforeAll } from "vitest";
import { startDynamoDBLocal } from "../support/dynamodb-local.ts";
import type { LocalServer } from "../support/kinesis-local.ts";
import { runGroupIndexSuite } from "./group-index-suite.ts";

/** The group index on AWS's DynamoDB Local, which builds an index added to an existing table. Needs java. */

let server: LocalServer | undefined;
beforeAll(async () => {
  server = await startDynamoDBLocal();
});
afterAll(async () => {
  await server?.close();
});

runGroupIndexSuite("DynamoDB Local", () => {
  if (server === undefined) throw new Error("DynamoDB Local is used before beforeAll ran");
  return server.endpoint;
}, true);
