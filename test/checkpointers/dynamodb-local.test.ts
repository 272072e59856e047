import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { CheckpointTableMissingError, LeaseLostError } from "../../src/errors.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";
import { startDynamoDBLocal } from "../support/dynamodb-local.ts";
import type { LocalServer } from "../support/kinesis-local.ts";
import { fetchTap } from "../support/fetch-tap.ts";
import { runCheckpointerContract } from "./contract.ts";

/**
 * Against AWS's DynamoDB Local, the faithful server: the table really gets the guide's schema and
 * TTL, concurrent creators agree, and a failed condition returns the current row (no extra read).
 */

let server: LocalServer;
let dynamo: DynamoDBClient;
const opened: DynamoDBCheckPointer[] = [];

beforeAll(async () => {
  server = await startDynamoDBLocal();
  dynamo = new DynamoDBClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials });
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

function store(options: Partial<DynamoDBCheckPointerOptions> & { name: string }): DynamoDBCheckPointer {
  const created = new DynamoDBCheckPointer({
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: testCredentials,
    sessionTimeout: 1.5,
    heartbeatFrequency: 0.3,
    ...options,
  });
  opened.push(created);
  return created;
}

describe("DynamoDBCheckPointer tables on DynamoDB Local", () => {
  it("creates the table exactly as the guide says: hash key shard_id (S), PAY_PER_REQUEST, TTL enabled on ttl", async () => {
    const s = store({ name: "my-app" });
    await s.start({ streamName: "events" });
    const table = await dynamo.describeTable("kinesis-checkpoints-my-app");
    expect(table.TableStatus).toBe("ACTIVE");
    expect(table.KeySchema).toEqual([{ AttributeName: "shard_id", KeyType: "HASH" }]);
    // Besides the key: the group index's partition key (group-index.ts), so allocation Queries instead of Scanning.
    expect(table.AttributeDefinitions).toEqual([
      { AttributeName: "shard_id", AttributeType: "S" },
      { AttributeName: "group", AttributeType: "S" },
    ]);
    expect(table.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(await dynamo.describeTimeToLive("kinesis-checkpoints-my-app")).toEqual({ status: "ENABLED", attributeName: "ttl" });
  });

  it("lets several workers create the same table at once", async () => {
    const tableName = uniqueName("concurrent");
    const taps = Array.from({ length: 5 }, () => fetchTap());
    const stores = taps.map((tap, i) => store({ name: `worker${i}`, tableName, fetch: tap.fetch }));
    const sessions = await Promise.all(stores.map((s) => s.start({ streamName: "events" })));
    expect(sessions).toHaveLength(5);
    // They really raced: more than one of them sent CreateTable, and every one of them came up.
    expect(taps.filter((tap) => tap.counts()["CreateTable"] === 1).length).toBeGreaterThan(1);
    expect((await dynamo.describeTable(tableName)).TableStatus).toBe("ACTIVE");
    expect(await dynamo.describeTimeToLive(tableName)).toEqual({ status: "ENABLED", attributeName: "ttl" });
    for (const session of sessions) expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
  });

  it("reports a missing table with createTable: false", async () => {
    const tableName = uniqueName("absent");
    await expect(store({ name: "app", tableName, createTable: false }).start({ streamName: "events" })).rejects.toBeInstanceOf(
      CheckpointTableMissingError,
    );
    await expect(dynamo.describeTable(tableName)).rejects.toMatchObject({ awsCode: "ResourceNotFoundException" });
  });

  it("learns who took a lease from the failed condition itself, without an extra read", async () => {
    const tableName = uniqueName("lost");
    const tap = fetchTap();
    const session = await store({ name: "app", tableName, fetch: tap.fetch }).start({ streamName: "events" });
    const lease = (await session.allocate("shard-0", { totalShards: 1 }))!;
    await dynamo.updateItem({
      TableName: tableName,
      Key: { shard_id: { S: "app#events#shard-0" } },
      UpdateExpression: "SET #ref = :other, #c = #c + :one",
      ExpressionAttributeNames: { "#ref": "ref", "#c": "lease_counter" },
      ExpressionAttributeValues: { ":other": { S: "app/intruder" }, ":one": { N: "1" } },
    });
    tap.resetCounts();
    await new Promise<void>((resolve) => lease.signal.addEventListener("abort", () => resolve(), { once: true }));
    expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(lease.signal.reason).toMatchObject({ reason: "taken", owner: "app/intruder" });
    expect(tap.counts()["GetItem"]).toBeUndefined();
  });
});

runCheckpointerContract("DynamoDBCheckPointer (DynamoDB Local)", {
  create: ({ autoCheckpoint, clock }) =>
    store({ name: uniqueName("group"), tableName: "contract-checkpoints", autoCheckpoint, ...(clock === undefined ? {} : { clock }) }),
  peer: (first) => {
    const s = first as DynamoDBCheckPointer;
    return store({ name: s.name, tableName: s.tableName, autoCheckpoint: s.autoCheckpoint });
  },
  handoffWithinMs: 4000,
});
