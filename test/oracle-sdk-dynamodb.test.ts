import {
  type AttributeValue as SdkAttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient as SdkDynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type AttributeValue, type Item, marshallItem, type NativeValue, unmarshallItem } from "../src/dynamodb/marshal.ts";
import { AwsServiceError } from "../src/errors.ts";
import { localDynamo, testCredentials, uniqueName } from "./support/clients.ts";

/**
 * Oracle: an item written by our client reads back identically through `@aws-sdk/client-dynamodb`
 * and vice versa. `@aws-sdk/util-dynamodb` is not installed, so the comparison is on AttributeValues:
 * the SDK's form (B as bytes) is converted to the wire form (B as base64) by this file, not by src/.
 */

function sdkClient(): SdkDynamoDBClient {
  return new SdkDynamoDBClient({
    region: "us-east-1",
    endpoint: inject("dynamodbEndpoint"),
    credentials: testCredentials,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

function sdkToWire(value: SdkAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString("base64") };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: true };
  if (value.L !== undefined) return { L: value.L.map(sdkToWire) };
  if (value.M !== undefined) return { M: sdkItemToWire(value.M) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString("base64")) };
  throw new Error(`unexpected SDK attribute value ${JSON.stringify(value)}`);
}

function sdkItemToWire(item: Record<string, SdkAttributeValue>): Item {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, sdkToWire(v)]));
}

/** Sets are unordered in DynamoDB: sort their members so two reads compare equal. */
function normalized(value: AttributeValue): AttributeValue {
  if ("SS" in value) return { SS: [...value.SS].sort() };
  if ("NS" in value) return { NS: [...value.NS].sort() };
  if ("BS" in value) return { BS: [...value.BS].sort() };
  if ("L" in value) return { L: value.L.map(normalized) };
  if ("M" in value) return { M: normalizedItem(value.M) };
  return value;
}

function normalizedItem(item: Item): Item {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, normalized(v)]));
}

const everyByte = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);

/** Every type our marshaller produces, with the awkward values of each. */
function nativeItem(pk: string): { [key: string]: NativeValue } {
  return {
    pk,
    s: "unicode ключ 😀 漢字 e\u0301",
    n: 42,
    negative: -17,
    decimal: 3.14159,
    tiny: 0.000123,
    maxSafe: Number.MAX_SAFE_INTEGER,
    bigPositive: 12345678901234567890123456789012345678n,
    bigNegative: -99999999999999999999999999999999999999n,
    b: everyByte,
    yes: true,
    no: false,
    nothing: null,
    l: [1, "two", null, [true, false], { inner: "x" }, new Uint8Array([0, 1])],
    m: { nested: { deep: "value", n: 7 }, empty: {}, list: [] },
    ss: new Set(["a", "b", "ключ"]),
    ns: new Set([1, 2.5, -3]),
  };
}

/** The same content built by hand in the SDK's own shape. */
function sdkItem(pk: string): Record<string, SdkAttributeValue> {
  return {
    pk: { S: pk },
    s: { S: "unicode ключ 😀 漢字 e\u0301" },
    n: { N: "42" },
    decimal: { N: "0.1000000000000000055511151231257827" },
    bigPositive: { N: "12345678901234567890123456789012345678" },
    bigNegative: { N: "-99999999999999999999999999999999999999" },
    small: { N: "-0.000000000000000000000000000000000000001" },
    b: { B: everyByte },
    yes: { BOOL: true },
    nothing: { NULL: true },
    l: { L: [{ N: "1" }, { S: "two" }, { NULL: true }, { L: [{ BOOL: false }] }, { M: { inner: { S: "x" } } }, { B: new Uint8Array([0, 1]) }] },
    m: { M: { nested: { M: { deep: { S: "value" } } }, empty: { M: {} } } },
    ss: { SS: ["z", "ключ", "a"] },
    ns: { NS: ["10", "-2.5", "99999999999999999999"] },
  };
}

describe("DynamoDB interoperability with @aws-sdk/client-dynamodb (dynalite)", () => {
  const ours = localDynamo();
  const sdk = sdkClient();
  const table = uniqueName("oracle-items");

  beforeAll(async () => {
    await ours.createTable({
      TableName: table,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    await ours.waitForTableActive(table);
  });
  afterAll(() => sdk.destroy());

  it("the SDK reads back exactly the AttributeValues our client wrote from marshallItem", async () => {
    const written = marshallItem(nativeItem("ours-1"));
    await ours.putItem({ TableName: table, Item: written });

    const theirs = await sdk.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "ours-1" } }, ConsistentRead: true }));
    expect(theirs.Item).toBeDefined();
    expect(normalizedItem(sdkItemToWire(theirs.Item!))).toEqual(normalizedItem(written));
    // Bytes, checked as bytes and not only as base64 text.
    expect(Buffer.from(theirs.Item!["b"]!.B!).equals(Buffer.from(everyByte))).toBe(true);
    expect(theirs.Item!["bigPositive"]!.N).toBe("12345678901234567890123456789012345678");

    const ourRead = await ours.getItem(table, { pk: { S: "ours-1" } });
    expect(normalizedItem(ourRead!)).toEqual(normalizedItem(sdkItemToWire(theirs.Item!)));
    expect(unmarshallItem(ourRead!)).toEqual(nativeItem("ours-1"));
  });

  it("our client reads back exactly the AttributeValues the SDK wrote", async () => {
    await sdk.send(new PutItemCommand({ TableName: table, Item: sdkItem("sdk-1") }));

    const ourRead = await ours.getItem(table, { pk: { S: "sdk-1" } });
    expect(ourRead).toBeDefined();
    const theirs = await sdk.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "sdk-1" } }, ConsistentRead: true }));
    expect(normalizedItem(ourRead!)).toEqual(normalizedItem(sdkItemToWire(theirs.Item!)));
    expect(normalizedItem(ourRead!)).toEqual(normalizedItem(sdkItemToWire(sdkItem("sdk-1"))));

    // Native view: digits beyond 2^53 survive as bigint, byte attributes as bytes.
    const native = unmarshallItem(ourRead!);
    expect(native["bigPositive"]).toBe(12345678901234567890123456789012345678n);
    expect(native["bigNegative"]).toBe(-99999999999999999999999999999999999999n);
    expect(native["b"]).toEqual(everyByte);
    expect(native["ss"]).toEqual(new Set(["z", "ключ", "a"]));
    expect(native["m"]).toEqual({ nested: { deep: "value" }, empty: {} });
  });

  it("a failed conditional put has the same code on both clients", async () => {
    await ours.putItem({ TableName: table, Item: marshallItem({ pk: "contended", owner: "a" }) });
    const condition = { ConditionExpression: "attribute_not_exists(pk)" } as const;

    const ourError = await ours
      .putItem({ TableName: table, Item: marshallItem({ pk: "contended", owner: "b" }), ...condition })
      .catch((e: unknown) => e);
    const sdkError = await sdk
      .send(new PutItemCommand({ TableName: table, Item: { pk: { S: "contended" }, owner: { S: "c" } }, ...condition }))
      .catch((e: unknown) => e);

    expect(sdkError).toBeInstanceOf(ConditionalCheckFailedException);
    expect(ourError).toBeInstanceOf(AwsServiceError);
    expect((ourError as AwsServiceError).awsCode).toBe((sdkError as ConditionalCheckFailedException).name);
    expect(ourError).toMatchObject({ awsCode: "ConditionalCheckFailedException", httpStatus: 400, retryable: false, attempts: 1 });
    expect((ourError as AwsServiceError).httpStatus).toBe((sdkError as ConditionalCheckFailedException).$metadata.httpStatusCode);
    // Neither write landed.
    expect(unmarshallItem((await ours.getItem(table, { pk: { S: "contended" } }))!)["owner"]).toBe("a");
  });

  it("a failed conditional update has the same code on both clients", async () => {
    await ours.putItem({ TableName: table, Item: marshallItem({ pk: "fenced", counter: 5 }) });
    const update = {
      UpdateExpression: "SET #c = :next",
      ConditionExpression: "#c = :seen",
      ExpressionAttributeNames: { "#c": "counter" },
    };

    const ourError = await ours
      .updateItem({
        TableName: table,
        Key: { pk: { S: "fenced" } },
        ...update,
        ExpressionAttributeValues: { ":next": { N: "7" }, ":seen": { N: "4" } },
      })
      .catch((e: unknown) => e);
    const sdkError = await sdk
      .send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: "fenced" } },
          ...update,
          ExpressionAttributeValues: { ":next": { N: "7" }, ":seen": { N: "4" } },
        }),
      )
      .catch((e: unknown) => e);

    expect(sdkError).toBeInstanceOf(ConditionalCheckFailedException);
    expect((ourError as AwsServiceError).awsCode).toBe((sdkError as Error).name);
    expect(unmarshallItem((await ours.getItem(table, { pk: { S: "fenced" } }))!)["counter"]).toBe(5);
  });

  it("a missing table has the same code on both clients", async () => {
    const missing = uniqueName("no-such-table");
    const ourError = await ours.getItem(missing, { pk: { S: "x" } }).catch((e: unknown) => e);
    const sdkError = await sdk.send(new GetItemCommand({ TableName: missing, Key: { pk: { S: "x" } } })).catch((e: unknown) => e);
    expect((sdkError as Error).name).toBe("ResourceNotFoundException");
    expect(ourError).toBeInstanceOf(AwsServiceError);
    expect((ourError as AwsServiceError).awsCode).toBe((sdkError as Error).name);
  });
});
