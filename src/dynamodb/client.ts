import * as v from "valibot";
import { clientOptionEntries, type ClientOptions } from "../aws/client-options.ts";
import { parseOptions } from "../config/validate.ts";
import { AwsJsonClient, type CallOptions, type ClientHooks } from "../aws/json-client.ts";
import { TimeoutError } from "../errors.ts";
import type { AttributeValue, Item } from "./marshal.ts";

const DYNAMODB_PROTOCOL = {
  service: "dynamodb",
  contentType: "application/x-amz-json-1.0",
  targetPrefix: "DynamoDB_20120810",
} as const;

export type TableStatus = "CREATING" | "UPDATING" | "DELETING" | "ACTIVE" | "INACCESSIBLE_ENCRYPTION_CREDENTIALS" | "ARCHIVING" | "ARCHIVED";

export interface TableDescription {
  TableName: string;
  TableStatus: TableStatus;
  KeySchema?: Array<{ AttributeName: string; KeyType: "HASH" | "RANGE" }>;
  AttributeDefinitions?: Array<{ AttributeName: string; AttributeType: "S" | "N" | "B" }>;
  BillingModeSummary?: { BillingMode?: "PROVISIONED" | "PAY_PER_REQUEST" };
  ItemCount?: number;
}

export interface ConditionalWrite {
  TableName: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  ReturnValues?: "NONE" | "ALL_OLD" | "UPDATED_OLD" | "ALL_NEW" | "UPDATED_NEW";
  ReturnValuesOnConditionCheckFailure?: "NONE" | "ALL_OLD";
}

export interface QueryInput {
  TableName: string;
  KeyConditionExpression: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  ConsistentRead?: boolean;
  IndexName?: string;
  Limit?: number;
}

export interface ScanInput {
  TableName: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  ConsistentRead?: boolean;
  /** Page size; the scan still returns every matching item. */
  Limit?: number;
}

/** Typed DynamoDB operations over the signed JSON client. Items are in wire form; see `marshal.ts`. */
export class DynamoDBClient {
  readonly http: AwsJsonClient;

  constructor(options: ClientOptions = {}, hooks: ClientHooks = {}) {
    parseOptions(v.object(clientOptionEntries), options, "DynamoDBClient");
    this.http = new AwsJsonClient(DYNAMODB_PROTOCOL, options, hooks);
  }

  async createTable(input: Record<string, unknown> & { TableName: string }, options?: CallOptions): Promise<TableDescription> {
    const out = await this.http.call<{ TableDescription: TableDescription }>("CreateTable", input, options);
    return out.TableDescription;
  }

  async describeTable(tableName: string, options?: CallOptions): Promise<TableDescription> {
    const out = await this.http.call<{ Table: TableDescription }>("DescribeTable", { TableName: tableName }, options);
    return out.Table;
  }

  async deleteTable(tableName: string, options?: CallOptions): Promise<void> {
    await this.http.call("DeleteTable", { TableName: tableName }, options);
  }

  /** Poll until the table is ACTIVE; `timeout` in seconds (default 120). */
  async waitForTableActive(tableName: string, options: CallOptions & { timeout?: number } = {}): Promise<TableDescription> {
    const clock = this.http.clock;
    const timeoutS = options.timeout ?? 120;
    const deadline = clock.now() + timeoutS * 1000;
    for (;;) {
      const table = await this.describeTable(tableName, options);
      if (table.TableStatus === "ACTIVE") return table;
      if (clock.now() >= deadline) throw new TimeoutError(`table ${tableName} is still ${table.TableStatus} after ${timeoutS} s`, timeoutS * 1000);
      await clock.sleep(250, options.signal);
    }
  }

  async updateTimeToLive(tableName: string, attributeName: string, enabled: boolean, options?: CallOptions): Promise<void> {
    await this.http.call(
      "UpdateTimeToLive",
      { TableName: tableName, TimeToLiveSpecification: { AttributeName: attributeName, Enabled: enabled } },
      options,
    );
  }

  async describeTimeToLive(
    tableName: string,
    options?: CallOptions,
  ): Promise<{ status: "ENABLING" | "DISABLING" | "ENABLED" | "DISABLED"; attributeName?: string }> {
    const out = await this.http.call<{ TimeToLiveDescription?: { TimeToLiveStatus?: string; AttributeName?: string | null } }>(
      "DescribeTimeToLive",
      { TableName: tableName },
      options,
    );
    const description = out.TimeToLiveDescription ?? {};
    const status = (description.TimeToLiveStatus ?? "DISABLED") as "ENABLING" | "DISABLING" | "ENABLED" | "DISABLED";
    return description.AttributeName == null ? { status } : { status, attributeName: description.AttributeName };
  }

  async getItem(tableName: string, key: Item, options?: CallOptions & { consistentRead?: boolean }): Promise<Item | undefined> {
    const out = await this.http.call<{ Item?: Item | null }>(
      "GetItem",
      { TableName: tableName, Key: key, ConsistentRead: options?.consistentRead ?? true },
      options,
    );
    return out.Item ?? undefined;
  }

  async putItem(input: ConditionalWrite & { Item: Item }, options?: CallOptions): Promise<{ Attributes?: Item }> {
    return this.http.call("PutItem", input, options);
  }

  async updateItem(input: ConditionalWrite & { Key: Item; UpdateExpression: string }, options?: CallOptions): Promise<{ Attributes?: Item }> {
    return this.http.call("UpdateItem", input, options);
  }

  async deleteItem(input: ConditionalWrite & { Key: Item }, options?: CallOptions): Promise<{ Attributes?: Item }> {
    return this.http.call("DeleteItem", input, options);
  }

  /** Every item matching the key condition, following `LastEvaluatedKey`. */
  async query(input: QueryInput, options?: CallOptions): Promise<Item[]> {
    return this.#paginate("Query", input, options);
  }

  /** Every item in the table (matching the filter), following `LastEvaluatedKey`. */
  async scan(input: ScanInput, options?: CallOptions): Promise<Item[]> {
    return this.#paginate("Scan", input, options);
  }

  async #paginate(operation: "Query" | "Scan", input: object, options?: CallOptions): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const request = startKey === undefined ? input : { ...input, ExclusiveStartKey: startKey };
      const out = await this.http.call<{ Items?: Item[] | null; LastEvaluatedKey?: Item | null }>(operation, request, options);
      for (const item of out.Items ?? []) items.push(item);
      startKey = out.LastEvaluatedKey ?? undefined;
    } while (startKey !== undefined);
    return items;
  }
}
