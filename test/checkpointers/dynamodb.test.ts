import { inject } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";
import { runCheckpointerContract } from "./contract.ts";

/** One table for the whole file; each store gets its own group name, peers share it (another process). */
const table = uniqueName("contract-checkpoints");

runCheckpointerContract("DynamoDBCheckPointer (dynalite)", {
  create: ({ autoCheckpoint, clock }) =>
    new DynamoDBCheckPointer({
      ...(clock === undefined ? {} : { clock }),
      name: uniqueName("group"),
      tableName: table,
      endpoint: inject("dynamodbEndpoint"),
      region: "us-east-1",
      credentials: testCredentials,
      sessionTimeout: 1.5,
      heartbeatFrequency: 0.3,
      autoCheckpoint,
    }),
  peer: (store) => {
    const first = store as DynamoDBCheckPointer;
    return new DynamoDBCheckPointer({
      name: first.name,
      tableName: first.tableName,
      endpoint: inject("dynamodbEndpoint"),
      region: "us-east-1",
      credentials: testCredentials,
      sessionTimeout: 1.5,
      heartbeatFrequency: 0.3,
      autoCheckpoint: first.autoCheckpoint,
    });
  },
  handoffWithinMs: 4000,
});
