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

/** A table's lifecycle state; only `ACTIVE` takes reads and writes. */
export type TableStatus = "CREATING" | "UPDATING" | "DELETING" | "ACTIVE" | "INACCESSIBLE_ENCRYPTION_CREDENTIALS" | "ARCHIVING" | "ARCHIVED";

/** The parts of DescribeTable's (or CreateTable's) answer this library reads, under DynamoDB's own names. */
export interface TableDescription {
  /** The table's name. */
  TableName: string;
  /** Only an `ACTIVE` table takes reads and writes. */
  TableStatus: TableStatus;
  /** The partition (`HASH`) key and optional sort (`RANGE`) key. */
  KeySchema?: Array<{ AttributeName: string; KeyType: "HASH" | "RANGE" }>;
  /** The types of the key attributes: string, number or binary. */
  AttributeDefinitions?: Array<{ AttributeName: string; AttributeType: "S" | "N" | "B" }>;
  /** On-demand (`PAY_PER_REQUEST`) or provisioned capacity; absent means provisioned. */
  BillingModeSummary?: { BillingMode?: "PROVISIONED" | "PAY_PER_REQUEST" };
  /** Approximate item count, refreshed by AWS about every six hours. */
  ItemCount?: number;
}

/** The parts PutItem, UpdateItem and DeleteItem share, under DynamoDB's own (PascalCase) names. */
export interface ConditionalWrite {
  /** The table written to. */
  TableName: string;
  /**
   * The write happens only if this holds for the current item; otherwise it throws `AwsServiceError` with `awsCode`
   * `ConditionalCheckFailedException`.
   */
  ConditionExpression?: string;
  /** Substitutes for `#name` placeholders in the expressions (for reserved words such as `owner`). */
  ExpressionAttributeNames?: Record<string, string>;
  /** Values for `:value` placeholders in the expressions, in wire form. */
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  /** Which attributes the answer's `Attributes` carries (default `NONE`: none). */
  ReturnValues?: "NONE" | "ALL_OLD" | "UPDATED_OLD" | "ALL_NEW" | "UPDATED_NEW";
  /** `ALL_OLD`: a failed condition puts the current item on the error (`AwsServiceError.item`), saving a read. */
  ReturnValuesOnConditionCheckFailure?: "NONE" | "ALL_OLD";
}

/** A Query request, under DynamoDB's own (PascalCase) names. */
export interface QueryInput {
  /** The table to query. */
  TableName: string;
  /** Selects by partition key (and optionally sort key), e.g. `pk = :pk`. */
  KeyConditionExpression: string;
  /** Drops items after they are read; they still count against read capacity. */
  FilterExpression?: string;
  /** Substitutes for `#name` placeholders in the expressions. */
  ExpressionAttributeNames?: Record<string, string>;
  /** Values for `:value` placeholders in the expressions, in wire form. */
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  /** Strongly consistent reads (default false); not allowed on a global secondary index. */
  ConsistentRead?: boolean;
  /** Query this secondary index instead of the table. */
  IndexName?: string;
  /** Page size; the query still returns every matching item. */
  Limit?: number;
}

/** A Scan request, under DynamoDB's own (PascalCase) names. */
export interface ScanInput {
  /** The table to scan. */
  TableName: string;
  /** Drops items after they are read; they still count against read capacity. */
  FilterExpression?: string;
  /** Substitutes for `#name` placeholders in the expressions. */
  ExpressionAttributeNames?: Record<string, string>;
  /** Values for `:value` placeholders in the expressions, in wire form. */
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  /** Strongly consistent reads (default false). */
  ConsistentRead?: boolean;
  /** Page size; the scan still returns every matching item. */
  Limit?: number;
}

/** Typed DynamoDB operations over the signed JSON client. Items are in wire form; see `marshal.ts`. */
export class DynamoDBClient {
  /** The signed JSON client underneath, for operations this class does not wrap. */
  readonly http: AwsJsonClient;

  constructor(options: ClientOptions = {}, hooks: ClientHooks = {}) {
    parseOptions(v.object(clientOptionEntries), options, "DynamoDBClient");
    this.http = new AwsJsonClient(DYNAMODB_PROTOCOL, options, hooks);
  }

  /** Send a CreateTable request as given (DynamoDB's own shape); the table is `CREATING` until `waitForTableActive` returns. */
  async createTable(input: Record<string, unknown> & { TableName: string }, options?: CallOptions): Promise<TableDescription> {
    const out = await this.http.call<{ TableDescription: TableDescription }>("CreateTable", input, options);
    return out.TableDescription;
  }

  /** The table's status, key schema and billing mode. Throws `AwsServiceError` (`ResourceNotFoundException`) for a missing table. */
  async describeTable(tableName: string, options?: CallOptions): Promise<TableDescription> {
    const out = await this.http.call<{ Table: TableDescription }>("DescribeTable", { TableName: tableName }, options);
    return out.Table;
  }

  /** Start deleting the table and all its items. */
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

  /** Turn TTL expiry on or off for `attributeName` (epoch seconds); takes up to an hour on AWS. */
  async updateTimeToLive(tableName: string, attributeName: string, enabled: boolean, options?: CallOptions): Promise<void> {
    await this.http.call(
      "UpdateTimeToLive",
      { TableName: tableName, TimeToLiveSpecification: { AttributeName: attributeName, Enabled: enabled } },
      options,
    );
  }

  /** The table's TTL status and attribute; `DISABLED` with no attribute when the service says nothing. */
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

  /**
   * Turn point-in-time recovery on or off (UpdateContinuousBackups); resolves with the status the
   * service reports. Right after CreateTable, AWS may answer `ContinuousBackupsUnavailableException`
   * until the table's backups are set up: retry it after a pause.
   */
  async updateContinuousBackups(
    tableName: string,
    pointInTimeRecoveryEnabled: boolean,
    options?: CallOptions,
  ): Promise<{ pointInTimeRecoveryStatus: "ENABLED" | "DISABLED" | undefined }> {
    const out = await this.http.call<{ ContinuousBackupsDescription?: { PointInTimeRecoveryDescription?: { PointInTimeRecoveryStatus?: string } } }>(
      "UpdateContinuousBackups",
      { TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: pointInTimeRecoveryEnabled } },
      options,
    );
    const status = out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
    return { pointInTimeRecoveryStatus: status === "ENABLED" || status === "DISABLED" ? status : undefined };
  }

  /** The item with this key, or undefined if there is none. Reads are strongly consistent unless `consistentRead` is false. */
  async getItem(tableName: string, key: Item, options?: CallOptions & { consistentRead?: boolean }): Promise<Item | undefined> {
    const out = await this.http.call<{ Item?: Item | null }>(
      "GetItem",
      { TableName: tableName, Key: key, ConsistentRead: options?.consistentRead ?? true },
      options,
    );
    return out.Item ?? undefined;
  }

  /** Write a whole item, replacing any with the same key, if the condition holds. */
  async putItem(input: ConditionalWrite & { Item: Item }, options?: CallOptions): Promise<{ Attributes?: Item }> {
    return this.http.call("PutItem", input, options);
  }

  /** Change attributes of one item (creating it if absent), if the condition holds. */
  async updateItem(input: ConditionalWrite & { Key: Item; UpdateExpression: string }, options?: CallOptions): Promise<{ Attributes?: Item }> {
    return this.http.call("UpdateItem", input, options);
  }

  /** Delete one item, if the condition holds; deleting an absent item is not an error. */
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
