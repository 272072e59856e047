import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoDBClient } from "../src/dynamodb/client.ts";
import { marshallItem, marshallValue, type NativeValue, unmarshallItem } from "../src/dynamodb/marshal.ts";
import { AwsServiceError, EncodeError } from "../src/errors.ts";
import { localDynamo, uniqueName } from "./support/clients.ts";

/** A table with a string hash key `pk` and a numeric range key `sk`. */
async function createPkSkTable(dynamo: DynamoDBClient): Promise<string> {
  const table = uniqueName("ddb");
  await dynamo.createTable({
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "N" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  });
  await dynamo.waitForTableActive(table);
  return table;
}

describe("DynamoDBClient against dynalite", () => {
  const dynamo = localDynamo();
  let table: string;

  beforeAll(async () => {
    table = await createPkSkTable(dynamo);
  });

  it("creates a table, waits for it and describes its key schema and billing mode", async () => {
    const name = uniqueName("ddb-create");
    const created = await dynamo.createTable({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: "shard_id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    expect(created.TableName).toBe(name);
    const active = await dynamo.waitForTableActive(name, { timeout: 10 });
    expect(active.TableStatus).toBe("ACTIVE");
    const described = await dynamo.describeTable(name);
    expect(described.KeySchema).toEqual([{ AttributeName: "shard_id", KeyType: "HASH" }]);
    expect(described.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    await dynamo.deleteTable(name);
    await expect(dynamo.describeTable(name)).rejects.toMatchObject({ awsCode: "ResourceNotFoundException", retryable: false });
  });

  it("puts only when absent; a failed condition is a fatal ConditionalCheckFailedException, not retried", async () => {
    const item = { pk: { S: "cond" }, sk: { N: "1" }, owner: { S: "a" } };
    await dynamo.putItem({ TableName: table, Item: item, ConditionExpression: "attribute_not_exists(pk)" });
    const error = await dynamo
      .putItem({ TableName: table, Item: { ...item, owner: { S: "b" } }, ConditionExpression: "attribute_not_exists(pk)" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      service: "dynamodb",
      operation: "PutItem",
      awsCode: "ConditionalCheckFailedException",
      httpStatus: 400,
      retryable: false,
      throttling: false,
      attempts: 1,
    });
    expect(await dynamo.getItem(table, { pk: { S: "cond" }, sk: { N: "1" } })).toEqual(item);
  });

  it("updates under a condition on the current value and returns the new item", async () => {
    const key = { pk: { S: "counter" }, sk: { N: "1" } };
    await dynamo.putItem({ TableName: table, Item: { ...key, lease: { N: "1" }, ref: { S: "w1" } } });
    const updated = await dynamo.updateItem({
      TableName: table,
      Key: key,
      UpdateExpression: "SET #lease = :next, #ref = :ref",
      ConditionExpression: "#lease = :seen",
      ExpressionAttributeNames: { "#lease": "lease", "#ref": "ref" },
      ExpressionAttributeValues: { ":seen": { N: "1" }, ":next": { N: "2" }, ":ref": { S: "w2" } },
      ReturnValues: "ALL_NEW",
    });
    expect(updated.Attributes).toEqual({ ...key, lease: { N: "2" }, ref: { S: "w2" } });
    // A writer that still believes the counter is 1 must lose.
    const stale = await dynamo
      .updateItem({
        TableName: table,
        Key: key,
        UpdateExpression: "SET #ref = :ref",
        ConditionExpression: "#lease = :seen",
        ExpressionAttributeNames: { "#lease": "lease", "#ref": "ref" },
        ExpressionAttributeValues: { ":seen": { N: "1" }, ":ref": { S: "stale" } },
      })
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({ awsCode: "ConditionalCheckFailedException", operation: "UpdateItem" });
    expect((await dynamo.getItem(table, key))?.["ref"]).toEqual({ S: "w2" });
  });

  it("deletes only when the condition holds", async () => {
    const key = { pk: { S: "doomed" }, sk: { N: "1" } };
    await dynamo.putItem({ TableName: table, Item: { ...key, ref: { S: "owner" } } });
    const refused = await dynamo
      .deleteItem({
        TableName: table,
        Key: key,
        ConditionExpression: "#ref = :me",
        ExpressionAttributeNames: { "#ref": "ref" },
        ExpressionAttributeValues: { ":me": { S: "intruder" } },
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ awsCode: "ConditionalCheckFailedException", operation: "DeleteItem" });
    expect(await dynamo.getItem(table, key)).toBeDefined();
    const deleted = await dynamo.deleteItem({
      TableName: table,
      Key: key,
      ConditionExpression: "#ref = :me",
      ExpressionAttributeNames: { "#ref": "ref" },
      ExpressionAttributeValues: { ":me": { S: "owner" } },
      ReturnValues: "ALL_OLD",
    });
    expect(deleted.Attributes).toEqual({ ...key, ref: { S: "owner" } });
    expect(await dynamo.getItem(table, key)).toBeUndefined();
  });

  it("queries and scans every item across many pages", async () => {
    const pageTable = await createPkSkTable(dynamo);
    for (let i = 0; i < 45; i++) await dynamo.putItem({ TableName: pageTable, Item: { pk: { S: "many" }, sk: { N: String(i) } } });
    for (let i = 0; i < 10; i++) await dynamo.putItem({ TableName: pageTable, Item: { pk: { S: "other" }, sk: { N: String(i) } } });
    let calls = 0;
    // A client of its own whose attempts are counted (hooks are given at construction).
    const counted = localDynamo({
      onAttempt: (event) => {
        if (event.error === undefined && (event.operation === "Query" || event.operation === "Scan")) calls++;
      },
    });
    {
      const dynamo = counted;
      const queried = await dynamo.query({
        TableName: pageTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: "many" } },
        Limit: 7,
      });
      expect(queried.map((item) => Number((item["sk"] as { N: string }).N))).toEqual(Array.from({ length: 45 }, (_, i) => i));
      expect(calls).toBeGreaterThanOrEqual(7);

      calls = 0;
      const scanned = await dynamo.scan({ TableName: pageTable, Limit: 4 });
      expect(scanned).toHaveLength(55);
      expect(new Set(scanned.map((item) => `${(item["pk"] as { S: string }).S}/${(item["sk"] as { N: string }).N}`)).size).toBe(55);
      expect(calls).toBeGreaterThanOrEqual(14);

      const filtered = await dynamo.scan({
        TableName: pageTable,
        FilterExpression: "pk = :pk AND sk >= :min",
        ExpressionAttributeValues: { ":pk": { S: "other" }, ":min": { N: "5" } },
        Limit: 3,
      });
      expect(filtered).toHaveLength(5);
    }
  });
});

describe("AttributeValue marshalling", () => {
  it("returns a number set with a member beyond 2^53 as exact decimal strings", () => {
    expect(unmarshallItem({ ns: { NS: ["1", "2"] } })).toEqual({ ns: new Set([1, 2]) });
    expect(unmarshallItem({ ns: { NS: ["1", "9007199254740993"] } })).toEqual({ ns: new Set(["1", "9007199254740993"]) });
  });

  const everything: { [key: string]: NativeValue } = {
    pk: "marshal",
    sk: 1,
    text: "héllo 🎉",
    integer: -42,
    float: 3.25,
    huge: 2n ** 64n + 1n,
    negativeHuge: -(2n ** 53n) - 1n,
    yes: true,
    no: false,
    nothing: null,
    bytes: new Uint8Array([0, 1, 2, 253, 254, 255]),
    emptyBytes: new Uint8Array(0),
    strings: new Set(["a", "b", "c"]),
    numbers: new Set([1, 2.5, -3]),
    list: [1, "two", null, [true, { deep: new Uint8Array([9]) }]],
    map: { nested: { deeper: { value: 123456789012345678901234567890n, list: [] } }, empty: {} },
  };

  it("marshals every supported type to the wire shape DynamoDB expects", () => {
    const item = marshallItem(everything);
    expect(item["huge"]).toEqual({ N: "18446744073709551617" });
    expect(item["bytes"]).toEqual({ B: "AAEC/f7/" });
    expect(item["strings"]).toEqual({ SS: ["a", "b", "c"] });
    expect(item["numbers"]).toEqual({ NS: ["1", "2.5", "-3"] });
    expect(item["nothing"]).toEqual({ NULL: true });
    expect(item["list"]).toEqual({
      L: [{ N: "1" }, { S: "two" }, { NULL: true }, { L: [{ BOOL: true }, { M: { deep: { B: "CQ==" } } }] }],
    });
  });

  it("round-trips every type through the server, bigints beyond 2^53 included", async () => {
    const dynamo = localDynamo();
    const table = await createPkSkTable(dynamo);
    await dynamo.putItem({ TableName: table, Item: marshallItem(everything) });
    const stored = await dynamo.getItem(table, marshallItem({ pk: "marshal", sk: 1 }));
    expect(stored).toBeDefined();
    const back = unmarshallItem(stored!);
    expect(back).toEqual(everything);
    expect(typeof back["huge"]).toBe("bigint");
    expect(typeof back["integer"]).toBe("number");
    expect(back["bytes"]).toBeInstanceOf(Uint8Array);
  });

  it("leaves out undefined object fields", () => {
    expect(marshallItem({ a: "x", b: undefined })).toEqual({ a: { S: "x" } });
  });

  it("refuses values DynamoDB cannot store", () => {
    expect(() => marshallValue(Number.NaN)).toThrow(EncodeError);
    expect(() => marshallValue(Number.POSITIVE_INFINITY)).toThrow(EncodeError);
    expect(() => marshallValue(new Set<string>())).toThrow(/empty set/);
    expect(() => marshallValue(new Set(["a", 1]) as unknown as Set<string>)).toThrow(/only strings or only numbers/);
    expect(() => marshallValue([undefined] as unknown as NativeValue)).toThrow(EncodeError);
  });
});
