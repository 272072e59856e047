import type { DynamoDBClient } from "../../dynamodb/client.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import { ATTR, decodeRow } from "./row.ts";

/** Every row of one group and stream in `table` (a filtered Scan, strongly consistent). */
export async function scanGroup(
  client: DynamoDBClient,
  table: string,
  group: string,
  stream: string | undefined,
  signal?: AbortSignal,
): Promise<LeaseRow[]> {
  const filter = stream === undefined ? "#group = :group" : "#group = :group AND #stream = :stream";
  const items = await client.scan(
    {
      TableName: table,
      FilterExpression: filter,
      ExpressionAttributeNames: stream === undefined ? { "#group": ATTR.group } : { "#group": ATTR.group, "#stream": ATTR.stream },
      ExpressionAttributeValues: stream === undefined ? { ":group": { S: group } } : { ":group": { S: group }, ":stream": { S: stream } },
      ConsistentRead: true,
    },
    signal === undefined ? undefined : { signal },
  );
  const rows: LeaseRow[] = [];
  for (const item of items) {
    const row = decodeRow(item);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}
