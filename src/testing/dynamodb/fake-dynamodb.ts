import type { Clock } from "../../internal/clock.ts";
import type { AttributeValue, Item } from "../../dynamodb/marshal.ts";
import { type FakeFailure, FaultQueue } from "../faults.ts";
import { FakeAwsError, invalid, type Json, numberField, stringField } from "../wire.ts";
import { evaluateCondition } from "./condition.ts";
import { applyUpdate } from "./update.ts";
import { copyItem, type Placeholders } from "./values.ts";

interface KeyPart {
  AttributeName: string;
  KeyType: "HASH" | "RANGE";
}

interface TableState {
  name: string;
  keySchema: KeyPart[];
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  createdAt: number;
  billingMode: string;
  items: Map<string, Item>;
  ttlAttribute?: string;
}

/**
 * The in-memory DynamoDB: the subset of operations the checkpointer (and a typical test) uses, with
 * condition and update expressions evaluated as DynamoDB does, and an admin API for tests.
 */
export class FakeDynamoDB {
  readonly #tables = new Map<string, TableState>();
  readonly #faults = new FaultQueue("ProvisionedThroughputExceededException");

  constructor(
    readonly clock: Clock,
    readonly region: string,
  ) {}

  // ---- admin API -------------------------------------------------------------------------------

  /** Create an ACTIVE table with a string hash key (and optionally a string range key). */
  createTable(name: string, key: { hashKey: string; rangeKey?: string } = { hashKey: "shard_id" }): void {
    const keySchema: KeyPart[] = [{ AttributeName: key.hashKey, KeyType: "HASH" }];
    if (key.rangeKey !== undefined) keySchema.push({ AttributeName: key.rangeKey, KeyType: "RANGE" });
    this.#create(name, keySchema, keySchema.map((k) => ({ AttributeName: k.AttributeName, AttributeType: "S" })), "PAY_PER_REQUEST");
  }

  /** Remove a table and its items at once; throws if it does not exist. */
  deleteTable(name: string): void {
    this.#table(name);
    this.#tables.delete(name);
  }

  /** The names of the existing tables. */
  tableNames(): string[] {
    return [...this.#tables.keys()];
  }

  /** Copies of every item in `table`, in wire form (`{ shard_id: { S: "..." } }`). */
  items(table: string): Item[] {
    return [...this.#table(table).items.values()].map(copyItem);
  }

  /** The attribute TTL is enabled on, if any. */
  ttlAttribute(table: string): string | undefined {
    return this.#table(table).ttlAttribute;
  }

  /**
   * Delete the items whose TTL attribute (epoch seconds) is before the fake's clock, as DynamoDB's
   * background sweep eventually does; returns how many went.
   */
  sweepExpired(table: string): number {
    const state = this.#table(table);
    const attribute = state.ttlAttribute;
    if (attribute === undefined) return 0;
    const nowSeconds = this.clock.now() / 1000;
    let removed = 0;
    for (const [key, item] of state.items) {
      const ttl = item[attribute];
      if (ttl !== undefined && "N" in ttl && Number(ttl.N) < nowSeconds) {
        state.items.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  /** The next `times` requests of `operation` (e.g. "UpdateItem") answer with a throttling error. */
  throttleNext(operation: string, times = 1): void {
    this.#faults.throttleNext(operation, times);
  }

  /** The next `times` requests of `operation` fail with the given AWS error, or as a network failure. */
  failNext(operation: string, failure: FakeFailure, times = 1): void {
    this.#faults.failNext(operation, failure, times);
  }

  // ---- wire operations -------------------------------------------------------------------------

  /** Answer one DynamoDB JSON request, as the fake `fetch` does; throws `FakeAwsError` for the AWS error it would send. */
  handle(operation: string, body: Json): Json {
    this.#faults.take(operation);
    switch (operation) {
      case "CreateTable":
        return this.#createTable(body);
      case "DescribeTable":
        return { Table: this.#describe(this.#tableOf(body)) };
      case "DeleteTable": {
        const table = this.#tableOf(body);
        this.#tables.delete(table.name);
        return { TableDescription: { ...this.#describe(table), TableStatus: "DELETING" } };
      }
      case "UpdateTimeToLive":
        return this.#updateTimeToLive(body);
      case "DescribeTimeToLive": {
        const table = this.#tableOf(body);
        return {
          TimeToLiveDescription: table.ttlAttribute === undefined
            ? { TimeToLiveStatus: "DISABLED" }
            : { TimeToLiveStatus: "ENABLED", AttributeName: table.ttlAttribute },
        };
      }
      case "GetItem": {
        const table = this.#tableOf(body);
        const item = table.items.get(keyOf(table, itemField(body, "Key")));
        return item === undefined ? {} : { Item: copyItem(item) };
      }
      case "PutItem":
        return this.#putItem(body);
      case "UpdateItem":
        return this.#updateItem(body);
      case "DeleteItem":
        return this.#deleteItem(body);
      case "Scan":
        return this.#scan(body);
      default:
        throw new FakeAwsError("UnknownOperationException", `the in-memory DynamoDB does not implement ${operation}`);
    }
  }

  #create(name: string, keySchema: KeyPart[], definitions: TableState["attributeDefinitions"], billingMode: string): TableState {
    if (this.#tables.has(name)) throw new FakeAwsError("ResourceInUseException", `Table already exists: ${name}`);
    const table: TableState = { name, keySchema, attributeDefinitions: definitions, createdAt: this.clock.now(), billingMode, items: new Map() };
    this.#tables.set(name, table);
    return table;
  }

  #table(name: string): TableState {
    const table = this.#tables.get(name);
    if (table === undefined) throw new FakeAwsError("ResourceNotFoundException", `Requested resource not found: Table: ${name} not found`);
    return table;
  }

  #tableOf(body: Json): TableState {
    return this.#table(stringField(body, "TableName", true));
  }

  #describe(table: TableState): Json {
    return {
      TableName: table.name,
      TableStatus: "ACTIVE",
      KeySchema: table.keySchema,
      AttributeDefinitions: table.attributeDefinitions,
      CreationDateTime: table.createdAt / 1000,
      ItemCount: table.items.size,
      TableArn: `arn:aws:dynamodb:${this.region}:000000000000:table/${table.name}`,
      BillingModeSummary: { BillingMode: table.billingMode },
    };
  }

  #createTable(body: Json): Json {
    const keySchema = body["KeySchema"] as KeyPart[] | undefined;
    const definitions = body["AttributeDefinitions"] as TableState["attributeDefinitions"] | undefined;
    if (!Array.isArray(keySchema) || keySchema.filter((k) => k.KeyType === "HASH").length !== 1) throw invalid("KeySchema needs exactly one HASH key");
    if (!Array.isArray(definitions)) throw invalid("AttributeDefinitions is required");
    for (const k of keySchema) {
      if (!definitions.some((d) => d.AttributeName === k.AttributeName)) throw invalid(`Key attribute ${k.AttributeName} has no AttributeDefinition`);
    }
    const table = this.#create(stringField(body, "TableName", true), keySchema, definitions, stringField(body, "BillingMode") ?? "PROVISIONED");
    return { TableDescription: this.#describe(table) };
  }

  #updateTimeToLive(body: Json): Json {
    const table = this.#tableOf(body);
    const spec = body["TimeToLiveSpecification"] as { AttributeName?: string; Enabled?: boolean } | undefined;
    if (spec?.AttributeName === undefined || spec.Enabled === undefined) throw invalid("TimeToLiveSpecification needs AttributeName and Enabled");
    if (spec.Enabled && table.ttlAttribute !== undefined) throw invalid("TimeToLive is already enabled");
    if (!spec.Enabled && table.ttlAttribute === undefined) throw invalid("TimeToLive is already disabled");
    if (spec.Enabled) table.ttlAttribute = spec.AttributeName;
    else delete table.ttlAttribute;
    return { TimeToLiveSpecification: spec };
  }

  #putItem(body: Json): Json {
    const table = this.#tableOf(body);
    const item = itemField(body, "Item");
    const key = keyOf(table, item);
    const old = table.items.get(key);
    checkCondition(body, old);
    table.items.set(key, copyItem(item));
    return stringField(body, "ReturnValues") === "ALL_OLD" && old !== undefined ? { Attributes: copyItem(old) } : {};
  }

  #updateItem(body: Json): Json {
    const table = this.#tableOf(body);
    const keyItem = itemField(body, "Key");
    const key = keyOf(table, keyItem);
    const old = table.items.get(key);
    checkCondition(body, old);
    const expression = stringField(body, "UpdateExpression", true);
    const { item, touched } = applyUpdate(expression, old ?? copyItem(keyItem), placeholdersOf(body));
    for (const k of table.keySchema) {
      if (touched.has(k.AttributeName)) {
        throw invalid(`One or more parameter values were invalid: Cannot update attribute ${k.AttributeName}. This attribute is part of the key`);
      }
    }
    table.items.set(key, item);
    return returnValues(stringField(body, "ReturnValues") ?? "NONE", old, item, touched);
  }

  #deleteItem(body: Json): Json {
    const table = this.#tableOf(body);
    const key = keyOf(table, itemField(body, "Key"));
    const old = table.items.get(key);
    checkCondition(body, old);
    table.items.delete(key);
    return stringField(body, "ReturnValues") === "ALL_OLD" && old !== undefined ? { Attributes: copyItem(old) } : {};
  }

  /** Pages of `Limit` items (evaluated before the filter, as DynamoDB does), resumed by `ExclusiveStartKey`. */
  #scan(body: Json): Json {
    const table = this.#tableOf(body);
    const all = [...table.items.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let start = 0;
    const startKey = body["ExclusiveStartKey"];
    if (startKey != null) {
      const after = keyOf(table, startKey as Item);
      start = all.findIndex(([k]) => k > after);
      if (start === -1) start = all.length;
    }
    const limit = numberField(body, "Limit");
    const page = all.slice(start, limit === undefined ? undefined : start + limit);
    const filter = stringField(body, "FilterExpression");
    const p = placeholdersOf(body);
    const items = page.map(([, item]) => item).filter((item) => filter === undefined || evaluateCondition(filter, item, p));
    const out: Json = { Items: items.map(copyItem), Count: items.length, ScannedCount: page.length };
    const last = page[page.length - 1];
    if (limit !== undefined && last !== undefined && start + limit < all.length) out["LastEvaluatedKey"] = keyAttributes(table, last[1]);
    return out;
  }
}

function itemField(body: Json, field: string): Item {
  const value = body[field];
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(`${field} is required`);
  return value as Item;
}

function placeholdersOf(body: Json): Placeholders {
  return {
    names: (body["ExpressionAttributeNames"] ?? {}) as Record<string, string>,
    values: (body["ExpressionAttributeValues"] ?? {}) as Record<string, AttributeValue>,
  };
}

/** A ConditionalCheckFailedException carrying the current item when ReturnValuesOnConditionCheckFailure is ALL_OLD. */
function checkCondition(body: Json, old: Item | undefined): void {
  const condition = stringField(body, "ConditionExpression");
  if (condition === undefined || evaluateCondition(condition, old, placeholdersOf(body))) return;
  const withItem = stringField(body, "ReturnValuesOnConditionCheckFailure") === "ALL_OLD" && old !== undefined;
  throw new FakeAwsError("ConditionalCheckFailedException", "The conditional request failed", 400, withItem ? { Item: copyItem(old) } : {});
}

function returnValues(mode: string, old: Item | undefined, next: Item, touched: Set<string>): Json {
  const pick = (item: Item | undefined): Item => {
    const out: Item = {};
    for (const name of touched) if (item?.[name] !== undefined) out[name] = item[name]!;
    return out;
  };
  switch (mode) {
    case "NONE":
      return {};
    case "ALL_NEW":
      return { Attributes: copyItem(next) };
    case "ALL_OLD":
      return old === undefined ? {} : { Attributes: copyItem(old) };
    case "UPDATED_NEW":
      return { Attributes: pick(next) };
    case "UPDATED_OLD":
      return old === undefined ? {} : { Attributes: pick(old) };
    default:
      throw invalid(`ReturnValues ${mode} is not one of NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW`);
  }
}

/** The item's key attributes, checked against the schema, as a map key. */
function keyOf(table: TableState, item: Item): string {
  const parts: string[] = [];
  for (const k of table.keySchema) {
    const value = item[k.AttributeName];
    if (value === undefined) throw invalid(`One or more parameter values were invalid: Missing the key ${k.AttributeName} in the item`);
    parts.push(JSON.stringify(value));
  }
  return parts.join("\u0000");
}

function keyAttributes(table: TableState, item: Item): Item {
  const out: Item = {};
  for (const k of table.keySchema) out[k.AttributeName] = item[k.AttributeName]!;
  return out;
}
