import type { DynamoDBClient, TableDescription } from "../../dynamodb/client.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import { ATTR, decodeRow } from "./row.ts";

/**
 * The group index: a global secondary index over the checkpoint table whose partition key is the
 * `group` attribute and whose sort key is the table's own `shard_id` (`<group>#<stream>#<shard>`).
 * A worker then reads its group's rows of one stream with one Query (`group = :g AND
 * begins_with(shard_id, "<group>#<stream>#")`) instead of a Scan of the whole table, so its read cost
 * follows its own group's size, not the table's (a table shared by several groups and streams).
 *
 * Every row this library has ever written carries `group` (createLease sets it), so DynamoDB's own
 * index backfill covers rows written before the index existed: nothing to rewrite.
 *
 * Projection ALL: allocation needs owner, counter, handoff, SHARD_END, incarnation and the checkpoint.
 * A projection of keys only would spare the index's write on each heartbeat but cost a read of every
 * row per listing (BatchGetItem bills each item at least one unit), which costs more.
 */
export const GROUP_INDEX = "group-index";

/** CreateTable's entries for the index (on-demand: the index takes no throughput settings). */
export const groupIndexCreation = {
  AttributeDefinitions: [{ AttributeName: ATTR.group, AttributeType: "S" }],
  GlobalSecondaryIndexes: [
    {
      IndexName: GROUP_INDEX,
      KeySchema: [
        { AttributeName: ATTR.group, KeyType: "HASH" },
        { AttributeName: ATTR.key, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
  ],
} as const;

/** The index as `tableSchemaText` shows it to people who create tables themselves. */
export const GROUP_INDEX_TEXT =
  `GlobalSecondaryIndexes: [{ IndexName: ${GROUP_INDEX}, KeySchema: [{ AttributeName: ${ATTR.group}, KeyType: HASH }, { AttributeName: ${ATTR.key}, KeyType: RANGE }], Projection: { ProjectionType: ALL } }] (AttributeDefinitions: ${ATTR.group} S)`;

/** What DescribeTable says of the group index: absent, being built, or ready for queries. */
export type GroupIndexStatus = "absent" | "building" | "active";

interface IndexDescription {
  IndexName?: string;
  IndexStatus?: string;
  Backfilling?: boolean;
  KeySchema?: Array<{ AttributeName: string; KeyType: string }>;
}

export function groupIndexStatus(table: TableDescription): GroupIndexStatus {
  const indexes = (table as TableDescription & { GlobalSecondaryIndexes?: IndexDescription[] }).GlobalSecondaryIndexes ?? [];
  const index = indexes.find((i) => i.IndexName === GROUP_INDEX);
  if (index === undefined || index.IndexStatus === "DELETING") return "absent";
  // While CREATING (or ACTIVE with Backfilling still true) a Query would miss the rows not yet copied.
  return index.IndexStatus === "ACTIVE" && index.Backfilling !== true ? "active" : "building";
}

/** UpdateTable: add the group index to an existing (on-demand) table. DynamoDB backfills it online. */
export async function addGroupIndex(client: DynamoDBClient, tableName: string, signal?: AbortSignal): Promise<void> {
  await client.http.call(
    "UpdateTable",
    {
      TableName: tableName,
      AttributeDefinitions: groupIndexCreation.AttributeDefinitions,
      GlobalSecondaryIndexUpdates: [{ Create: groupIndexCreation.GlobalSecondaryIndexes[0] }],
    },
    signal === undefined ? undefined : { signal },
  );
}

/**
 * Every row of one group (and stream, if given) by the group index, following LastEvaluatedKey.
 * Index reads are eventually consistent (a global secondary index cannot be read strongly): see
 * group-listing.ts for why a lagging answer only delays decisions and never breaks fencing.
 */
export async function queryGroup(
  client: DynamoDBClient,
  tableName: string,
  group: string,
  stream: string | undefined,
  signal?: AbortSignal,
): Promise<LeaseRow[]> {
  const byStream = stream !== undefined;
  const items = await client.query(
    {
      TableName: tableName,
      IndexName: GROUP_INDEX,
      KeyConditionExpression: byStream ? "#group = :group AND begins_with(#key, :prefix)" : "#group = :group",
      ExpressionAttributeNames: byStream ? { "#group": ATTR.group, "#key": ATTR.key } : { "#group": ATTR.group },
      ExpressionAttributeValues: byStream ? { ":group": { S: group }, ":prefix": { S: `${group}#${stream}#` } } : { ":group": { S: group } },
    },
    signal === undefined ? undefined : { signal },
  );
  const rows: LeaseRow[] = [];
  for (const item of items) {
    const row = decodeRow(item);
    // The key prefix already selects the stream; the check keeps a row of an odd shape out all the same.
    if (row !== undefined && row.group === group && (!byStream || row.stream === stream)) rows.push(row);
  }
  return rows;
}
