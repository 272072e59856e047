import { afterAll, beforeAll } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";
import { startDynamoDBLocal } from "../support/dynamodb-local.ts";
import type { LocalServer } from "../support/kinesis-local.ts";
import { runManyStreamsSuite } from "./many-streams.ts";

/**
 * One Consumer over several streams, leasing through DynamoDBCheckPointer on AWS's DynamoDB Local:
 * every worker and stream shares one table. Needs java; without it the file fails naming the install command.
 */

let server: LocalServer | undefined;
const table = uniqueName("many-streams");

beforeAll(async () => {
  server = await startDynamoDBLocal();
});
afterAll(async () => {
  await server?.close();
});

runManyStreamsSuite("DynamoDB Local", {
  make: (group) => {
    if (server === undefined) throw new Error("DynamoDB Local is used before beforeAll ran");
    return new DynamoDBCheckPointer({
      name: group,
      tableName: table,
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: testCredentials,
      sessionTimeout: 3,
      heartbeatFrequency: 0.5,
      checkpointInterval: 0.2,
    });
  },
}, () => uniqueName("app"));
