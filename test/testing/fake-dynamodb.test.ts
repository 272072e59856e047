/** The in-memory DynamoDB through the library's own DynamoDBClient: the expressions the checkpointer writes. */
import { describe, expect, it } from "vitest";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { AwsServiceError } from "../../src/errors.ts";
import { createFakeAws } from "../../src/testing/index.ts";

function setup() {
  const fake = createFakeAws();
  fake.dynamodb.createTable("t");
  return { fake, client: new DynamoDBClient({ ...fake.options, maxAttempts: 1 }) };
}

async function failure(promise: Promise<unknown>): Promise<AwsServiceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AwsServiceError) return error;
    throw error;
  }
  throw new Error("expected an AwsServiceError");
}

const key = { shard_id: { S: "a" } };

describe("in-memory DynamoDB", () => {
  it("SET with if_not_exists and a counter bump, REMOVE, and ReturnValues ALL_NEW", async () => {
    const { client } = setup();
    const write = (extra: Record<string, unknown> = {}) =>
      client.updateItem({
        TableName: "t",
        Key: key,
        UpdateExpression: "SET #o = :me, #c = if_not_exists(#c, :zero) + :one REMOVE #p",
        ConditionExpression: "attribute_not_exists(#k) OR (attribute_exists(#c) AND #o <> :me)",
        ExpressionAttributeNames: { "#o": "ref", "#c": "lease_counter", "#p": "pending", "#k": "shard_id" },
        ExpressionAttributeValues: { ":me": { S: "w1" }, ":zero": { N: "0" }, ":one": { N: "1" } },
        ReturnValues: "ALL_NEW",
        ...extra,
      });
    expect((await write()).Attributes).toEqual({ shard_id: { S: "a" }, ref: { S: "w1" }, lease_counter: { N: "1" } });
    const error = await failure(write({ ReturnValuesOnConditionCheckFailure: "ALL_OLD" }));
    expect(error).toMatchObject({ awsCode: "ConditionalCheckFailedException", httpStatus: 400, retryable: false });
    expect(error.item).toEqual({ shard_id: { S: "a" }, ref: { S: "w1" }, lease_counter: { N: "1" } });
    const bump = await client.updateItem({
      TableName: "t",
      Key: key,
      UpdateExpression: "SET #c = #c + :one",
      ConditionExpression: "#c = :one AND #o = :me",
      ExpressionAttributeNames: { "#c": "lease_counter", "#o": "ref" },
      ExpressionAttributeValues: { ":one": { N: "1" }, ":me": { S: "w1" } },
      ReturnValues: "ALL_NEW",
    });
    expect(bump.Attributes?.["lease_counter"]).toEqual({ N: "2" });
  });

  it("compares strings with < by code unit and a missing attribute fails < but passes <>", async () => {
    const { client } = setup();
    await client.putItem({ TableName: "t", Item: { ...key, order: { S: "0055" } } });
    const forward = (order: string) =>
      client.updateItem({
        TableName: "t",
        Key: key,
        UpdateExpression: "SET #s = :o",
        ConditionExpression: "attribute_not_exists(#s) OR #s < :o",
        ExpressionAttributeNames: { "#s": "order" },
        ExpressionAttributeValues: { ":o": { S: order } },
      });
    await forward("0056");
    expect((await failure(forward("0054"))).awsCode).toBe("ConditionalCheckFailedException");
    expect((await failure(forward("0056"))).awsCode).toBe("ConditionalCheckFailedException");
    const missing = await client.updateItem({
      TableName: "t",
      Key: key,
      UpdateExpression: "SET #x = :v",
      ConditionExpression: "#nope <> :v AND NOT (#nope < :v)",
      ExpressionAttributeNames: { "#x": "x", "#nope": "nope" },
      ExpressionAttributeValues: { ":v": { S: "v" } },
      ReturnValues: "ALL_NEW",
    });
    expect(missing.Attributes?.["x"]).toEqual({ S: "v" });
  });

  it("rejects an undefined placeholder and an update of the key with ValidationException", async () => {
    const { client } = setup();
    const undefinedName = client.updateItem({ TableName: "t", Key: key, UpdateExpression: "SET #a = :v", ExpressionAttributeValues: { ":v": { S: "x" } } });
    expect((await failure(undefinedName)).awsCode).toBe("ValidationException");
    const keyUpdate = client.updateItem({ TableName: "t", Key: key, UpdateExpression: "SET shard_id = :v", ExpressionAttributeValues: { ":v": { S: "x" } } });
    expect((await failure(keyUpdate)).awsCode).toBe("ValidationException");
  });

  it("Scan filters (after Limit, as DynamoDB does) and pages with LastEvaluatedKey", async () => {
    const { fake, client } = setup();
    for (let i = 0; i < 7; i++) await client.putItem({ TableName: "t", Item: { shard_id: { S: `k${i}` }, group: { S: i % 2 === 0 ? "even" : "odd" } } });
    const even = await client.scan({
      TableName: "t",
      FilterExpression: "#g = :g",
      ExpressionAttributeNames: { "#g": "group" },
      ExpressionAttributeValues: { ":g": { S: "even" } },
      Limit: 2,
    });
    expect(even.map((item) => item["shard_id"])).toEqual(["k0", "k2", "k4", "k6"].map((S) => ({ S })));
    expect(fake.calls("Scan")).toBe(4);
  });

  it("CreateTable, DescribeTable and TTL as the checkpointer expects; unknown tables are ResourceNotFoundException", async () => {
    const { fake, client } = setup();
    expect((await failure(client.describeTable("missing"))).awsCode).toBe("ResourceNotFoundException");
    await client.createTable({
      TableName: "new",
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    expect((await client.describeTable("new")).TableStatus).toBe("ACTIVE");
    expect((await failure(client.createTable({ TableName: "new", KeySchema: [], AttributeDefinitions: [] }))).awsCode).toBe("ValidationException");
    expect(await client.describeTimeToLive("new")).toEqual({ status: "DISABLED" });
    await client.updateTimeToLive("new", "ttl", true);
    expect(await client.describeTimeToLive("new")).toEqual({ status: "ENABLED", attributeName: "ttl" });
    expect(fake.dynamodb.ttlAttribute("new")).toBe("ttl");
  });

  it("sweepExpired deletes the items whose TTL has passed on the fake's clock", async () => {
    const { fake, client } = setup();
    await client.updateTimeToLive("t", "ttl", true);
    const nowSeconds = Math.floor(Date.now() / 1000);
    await client.putItem({ TableName: "t", Item: { shard_id: { S: "old" }, ttl: { N: String(nowSeconds - 10) } } });
    await client.putItem({ TableName: "t", Item: { shard_id: { S: "new" }, ttl: { N: String(nowSeconds + 3600) } } });
    expect(fake.dynamodb.sweepExpired("t")).toBe(1);
    expect(fake.dynamodb.items("t").map((item) => item["shard_id"])).toEqual([{ S: "new" }]);
  });
});
