/**
 * The fake DynamoDB's expression evaluator against AWS's DynamoDB Local (the faithful server; dynalite
 * ignores ReturnValuesOnConditionCheckFailure and TTL): the checkpointer's own lease writes, in an
 * order that makes each condition pass and fail, must succeed, fail and return the same rows on both.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { cancelHandoff, createLease, ownerWrite, requestHandoff, takeLease, type UpdateInput } from "../../src/checkpointers/dynamodb/lease-writes.ts";
import { scanGroup } from "../../src/checkpointers/dynamodb/scan-group.ts";
import { rowKey } from "../../src/checkpointers/dynamodb/row.ts";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { AwsServiceError } from "../../src/errors.ts";
import { createFakeAws } from "../../src/testing/index.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";
import { startDynamoDBLocal } from "../support/dynamodb-local.ts";
import type { LocalServer } from "../support/kinesis-local.ts";

let server: LocalServer;
beforeAll(async () => {
  server = await startDynamoDBLocal();
});
afterAll(async () => {
  await server?.close();
});

type Outcome = { ok: unknown } | { failed: string; item: unknown };

async function replay(client: DynamoDBClient, table: string): Promise<{ steps: Outcome[]; scanned: unknown }> {
  await client.createTable({
    TableName: table,
    KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "shard_id", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  });
  await client.waitForTableActive(table);
  const key = rowKey("g", "s", "shardId-000000000000");
  const where = { group: "g", stream: "s", shardId: "shardId-000000000000" };
  const stamp = { nowMs: 1_700_000_000_123, ttl: 1_700_086_400 };
  const seq = (n: number) => `4960000000000000000000000000000000000000000000000${String(n).padStart(7, "0")}`;
  const writes: UpdateInput[] = [
    createLease(table, key, { ...where, incarnation: "inc-1" }, "g/w1", stamp), // new row: passes
    createLease(table, key, { ...where, incarnation: "inc-1" }, "g/w1", stamp), // exists, same incarnation: fails
    ownerWrite("renew", table, key, "g/w1", 1, stamp, seq(100)), // owner and counter match: passes
    ownerWrite("renew", table, key, "g/w1", 1, stamp), // stale counter: fails
    ownerWrite("renew", table, key, "g/w1", 2, stamp, seq(50)), // checkpoint backwards: fails
    requestHandoff(table, key, "g/w2", "g/w1"), // passes
    requestHandoff(table, key, "g/w3", "g/w1"), // a handoff is already pending: fails
    ownerWrite("release", table, key, "g/w1", 2, stamp, seq(200), 1_700_000_000), // passes, owner removed
    takeLease(table, key, "g/w2", { counter: 3 }, stamp), // free row, counter seen: passes
    cancelHandoff(table, key, "g/w2"), // the take cleared pending_owner: fails
    ownerWrite("finish", table, key, "g/w2", 4, stamp, seq(300)), // passes
    createLease(table, key, { ...where, incarnation: "inc-2" }, "g/w9", stamp), // another incarnation: replaced
  ];
  const steps: Outcome[] = [];
  for (const input of writes) {
    try {
      steps.push({ ok: (await client.updateItem(input)).Attributes });
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      steps.push({ failed: error.awsCode, item: error.item });
    }
  }
  return { steps, scanned: await scanGroup(client, table, "g", "s") };
}

it("the checkpointer's lease writes pass, fail and return the same rows on the fake as on DynamoDB Local", async () => {
  const fake = createFakeAws();
  const onFake = await replay(new DynamoDBClient({ ...fake.options, maxAttempts: 1 }), "leases");
  const onLocal = await replay(
    new DynamoDBClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials, maxAttempts: 1 }),
    uniqueName("leases"),
  );
  expect(onFake.steps.map((s) => ("ok" in s ? "ok" : s.failed))).toEqual([
    "ok",
    "ConditionalCheckFailedException",
    "ok",
    "ConditionalCheckFailedException",
    "ConditionalCheckFailedException",
    "ok",
    "ConditionalCheckFailedException",
    "ok",
    "ok",
    "ConditionalCheckFailedException",
    "ok",
    "ok",
  ]);
  expect(onFake).toEqual(onLocal);
});
