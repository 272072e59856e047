import { ATTR, keyItem, rowKey, sequenceOrder } from "../checkpointers/dynamodb/row.ts";
import { ensureTable, tableSchemaText } from "../checkpointers/dynamodb/table.ts";
import { epochSeconds, type LeaseRow } from "../checkpointers/lease/lease-row.ts";
import type { DynamoDBClient } from "../dynamodb/client.ts";
import type { AttributeValue, Item } from "../dynamodb/marshal.ts";
import { AwsServiceError, CheckpointTableMissingError } from "../errors.ts";
import { DynamoDBGroupReads } from "./dynamodb-reads.ts";
import type { AdminRow, AdminStore, PositionRow, RowsWanted } from "./store.ts";

/**
 * A `DynamoDBCheckPointer` table, for the administration functions: the same rows, keys and
 * attributes the checkpointer reads (checkpointers/dynamodb/row.ts). A replacement is one PutItem,
 * conditional on the row read (counter and owner) or on its absence. Rows are read by the group index
 * when the table has it ACTIVE, by Scan otherwise; decisions re-read consistently (dynamodb-reads.ts).
 */
export class DynamoDBAdminStore implements AdminStore {
  readonly description: string;
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #reads: DynamoDBGroupReads;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
    this.#reads = new DynamoDBGroupReads(client, tableName);
    this.description = `DynamoDB table "${tableName}"`;
  }

  /** Create the table as `DynamoDBCheckPointer` does (the guide's schema, TTL on `ttl`) if it does not exist. */
  prepare(signal?: AbortSignal): Promise<void> {
    return ensureTable(this.#client, this.#table, true, signal);
  }

  async list(group: string, stream: string | undefined, signal?: AbortSignal): Promise<AdminRow[]> {
    try {
      return (await this.#reads.list(group, stream, signal)).map(adminRow);
    } catch (error) {
      throw missingTable(error, this.#table);
    }
  }

  async readCurrent(group: string, stream: string | undefined, wanted: RowsWanted, signal?: AbortSignal): Promise<AdminRow[]> {
    try {
      return (await this.#reads.current(group, stream, wanted, signal)).map(adminRow);
    } catch (error) {
      throw missingTable(error, this.#table);
    }
  }

  async replace(row: PositionRow, expected: AdminRow | undefined, signal?: AbortSignal): Promise<boolean> {
    // One UpdateItem, as every checkpointer write is: the same IAM actions suffice for administration.
    // Every attribute is set or removed, so the row is exactly `row` whatever it held before.
    const names = new Map<string, string>();
    const values: Record<string, AttributeValue> = {};
    const name = (attribute: string): string => {
      let placeholder = names.get(attribute);
      if (placeholder === undefined) names.set(attribute, placeholder = `#a${names.size}`);
      return placeholder;
    };
    const value = (attributeValue: AttributeValue): string => {
      const placeholder = `:v${Object.keys(values).length}`;
      values[placeholder] = attributeValue;
      return placeholder;
    };
    const item = positionItem(row);
    const sets = Object.entries(item)
      .filter(([attribute]) => attribute !== ATTR.key)
      .map(([attribute, attributeValue]) => `${name(attribute)} = ${value(attributeValue)}`);
    const removes = ROW_ATTRIBUTES.filter((attribute) => !(attribute in item)).map(name);
    let condition: string;
    if (expected === undefined) condition = `attribute_not_exists(${name(ATTR.key)})`;
    else {
      const owner = expected.owner === undefined ? `attribute_not_exists(${name(ATTR.owner)})` : `${name(ATTR.owner)} = ${value({ S: expected.owner })}`;
      condition = `${name(ATTR.counter)} = ${value({ N: String(expected.counter) })} AND ${owner}`;
    }
    try {
      await this.#client.updateItem(
        {
          TableName: this.#table,
          Key: keyItem(rowKey(row.group, row.stream, row.shardId)),
          UpdateExpression: `SET ${sets.join(", ")}${removes.length === 0 ? "" : ` REMOVE ${removes.join(", ")}`}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: Object.fromEntries([...names].map(([attribute, placeholder]) => [placeholder, attribute])),
          ExpressionAttributeValues: values,
        },
        signal === undefined ? undefined : { signal },
      );
      return true;
    } catch (error) {
      if (error instanceof AwsServiceError && error.awsCode === "ConditionalCheckFailedException") return false;
      throw missingTable(error, this.#table);
    }
  }
}

function adminRow(row: LeaseRow): AdminRow {
  return { ...row, expiresAtMs: row.ttl === undefined ? undefined : row.ttl * 1000 };
}

/** Every attribute a lease row may hold besides its key: what an administration write sets or removes. */
const ROW_ATTRIBUTES: readonly string[] = Object.values(ATTR).filter((attribute) => attribute !== ATTR.key);

/** The whole item of an owner-free row: what `DynamoDBCheckPointer` would read back as that position. */
export function positionItem(row: PositionRow): Item {
  const item: Item = {
    ...keyItem(rowKey(row.group, row.stream, row.shardId)),
    [ATTR.group]: { S: row.group },
    [ATTR.stream]: { S: row.stream },
    [ATTR.shard]: { S: row.shardId },
    [ATTR.counter]: { N: String(row.counter) },
    [ATTR.finished]: { BOOL: row.finished },
    [ATTR.updatedAt]: { N: epochSeconds(row.writtenAtMs) },
    [ATTR.ttl]: { N: String(Math.ceil(row.expiresAtMs / 1000)) },
  };
  if (row.sequence !== undefined) {
    item[ATTR.sequence] = { S: row.sequence };
    // The order the checkpointer's "never backwards" condition compares: a reset to an earlier position
    // must carry its own, or the next owner's first checkpoint would be refused as a regression.
    const order = sequenceOrder(row.sequence);
    if (order !== undefined) item[ATTR.sequenceOrder] = { S: order };
  }
  if (row.startAt !== undefined) item[ATTR.startAt] = { N: String(Math.round(row.startAt)) };
  if (row.incarnation !== undefined) item[ATTR.incarnation] = { S: row.incarnation };
  return item;
}

function missingTable(error: unknown, table: string): unknown {
  if (error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException") {
    return new CheckpointTableMissingError(table, `checkpoint table "${table}" does not exist (${tableSchemaText(table)})`, { cause: error });
  }
  return error;
}
