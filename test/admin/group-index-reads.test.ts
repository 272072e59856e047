/**
 * The administration functions read a group's rows of a DynamoDB table through the group index when
 * it is ACTIVE (a Query of that group's rows, not a Scan of a table other groups share), by Scan on a
 * table without it, and never decide a write on a lagging index answer: the rows a refusal or a
 * fenced write depends on are re-read with strongly consistent GetItems (src/admin/dynamodb-reads.ts).
 */
import { describe, expect, inject, it } from "vitest";
import { DynamoDBAdminStore, positionItem } from "../../src/admin/dynamodb-store.ts";
import { listCheckpoints } from "../../src/admin/list.ts";
import { migrateCheckpoints } from "../../src/admin/migrate.ts";
import { resetCheckpoints } from "../../src/admin/reset.ts";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import type { Item } from "../../src/dynamodb/marshal.ts";
import { LiveLeasesError } from "../../src/errors.ts";
import { createStream, localDynamo, localKinesis, testCredentials, uniqueName } from "../support/clients.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";

const redis = useRedisFixture();

interface Sent {
  operation: string;
  body: Record<string, unknown>;
}

/**
 * A DynamoDB client whose requests are recorded. `lagging()` makes every later Query answer what the
 * last Query answered: a global secondary index that has not caught up with the table yet.
 * `describeIndexAs` rewrites the group index's status in DescribeTable answers (one still backfilling).
 */
function recordingClient(): {
  client: DynamoDBClient;
  sent: Sent[];
  operations: () => string[];
  lagging: () => void;
  describeIndexAs: (status: string) => void;
  describeGhostIndex: () => void;
} {
  const sent: Sent[] = [];
  let lastQueryAnswer: string | undefined;
  let lag = false;
  let indexStatus: string | undefined;
  let ghost = false;
  const recording: typeof fetch = async (input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target") ?? "";
    const operation = target.slice(target.lastIndexOf(".") + 1);
    sent.push({ operation, body: JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown> });
    if (operation === "Query" && lag && lastQueryAnswer !== undefined) {
      return new Response(lastQueryAnswer, { status: 200, headers: { "content-type": "application/x-amz-json-1.0" } });
    }
    const response = await globalThis.fetch(input, init);
    if (operation === "Query") lastQueryAnswer = await response.clone().text();
    if (operation === "DescribeTable" && (indexStatus !== undefined || ghost) && response.ok) {
      const answer = (await response.json()) as { Table: { GlobalSecondaryIndexes?: Array<{ IndexName?: string; IndexStatus?: string }> } };
      if (ghost) answer.Table.GlobalSecondaryIndexes = [{ IndexName: "group-index", IndexStatus: "ACTIVE" }];
      if (indexStatus !== undefined) { for (const index of answer.Table.GlobalSecondaryIndexes ?? []) index.IndexStatus = indexStatus; }
      return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/x-amz-json-1.0" } });
    }
    return response;
  };
  return {
    client: new DynamoDBClient({ endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials: testCredentials, fetch: recording }),
    sent,
    operations: () => sent.map((s) => s.operation),
    lagging: () => void (lag = true),
    describeIndexAs: (status) => void (indexStatus = status),
    describeGhostIndex: () => void (ghost = true),
  };
}

/** A checkpoint table as DynamoDBCheckPointer creates it today: with the group index. */
async function indexedTable(): Promise<string> {
  const tableName = uniqueName("admin-idx");
  await new DynamoDBAdminStore(localDynamo(), tableName).prepare();
  return tableName;
}

/** A table as the guide and earlier versions made it: the key, on-demand, no index. */
async function oldTable(): Promise<string> {
  const tableName = uniqueName("admin-old");
  const client = localDynamo();
  await client.createTable({
    TableName: tableName,
    KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "shard_id", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  });
  await client.waitForTableActive(tableName);
  return tableName;
}

/** An owner-free row at `sequence`, as a released lease leaves it. */
function freeRow(group: string, stream: string, shardId: string, sequence: string, counter = 1): Item {
  const nowMs = Date.now();
  return positionItem({ group, stream, shardId, counter, sequence, finished: false, writtenAtMs: nowMs, expiresAtMs: nowMs + 3_600_000 });
}

/** The same row held by `owner`, renewed just now. */
function heldRow(group: string, stream: string, shardId: string, sequence: string, counter: number, owner: string): Item {
  return { ...freeRow(group, stream, shardId, sequence, counter), ref: { S: owner }, ts: { N: String(Date.now() / 1000) } };
}

async function put(tableName: string, ...items: Item[]): Promise<void> {
  const client = localDynamo();
  for (const item of items) await client.putItem({ TableName: tableName, Item: item });
}

/** Groups A and B on stream S, and A on another stream: the table a listing of (A, S) must pick from. */
async function sharedRows(tableName: string, a: string, b: string, stream: string): Promise<void> {
  await put(
    tableName,
    freeRow(a, stream, "shardId-000000000000", "100"),
    freeRow(a, stream, "shardId-000000000001", "101"),
    freeRow(b, stream, "shardId-000000000000", "900"),
    freeRow(b, stream, "shardId-000000000001", "901"),
    freeRow(b, stream, "shardId-000000000002", "902"),
    freeRow(a, `${stream}-other`, "shardId-000000000000", "500"),
  );
}

describe("administration reads of a DynamoDB table's group", () => {
  it("listing a group on a table shared with another group is one Query of group-index, and gives exactly that group's rows", async () => {
    const tableName = await indexedTable();
    const [a, b, stream] = [uniqueName("ga"), uniqueName("gb"), uniqueName("s")];
    await sharedRows(tableName, a, b, stream);
    const recorded = recordingClient();
    const rows = await listCheckpoints({ store: { dynamodb: recorded.client, tableName }, group: a, stream });
    expect(rows.map((row) => [row.shardId, row.sequence])).toEqual([["shardId-000000000000", "100"], ["shardId-000000000001", "101"]]);
    expect(recorded.operations().filter((op) => op === "Scan")).toEqual([]);
    const queries = recorded.sent.filter((s) => s.operation === "Query");
    expect(queries).toHaveLength(1);
    expect(queries[0]!.body["IndexName"]).toBe("group-index");
  });

  it("a table without the group index is still listed, by Scan", async () => {
    const tableName = await oldTable();
    const [a, b, stream] = [uniqueName("ga"), uniqueName("gb"), uniqueName("s")];
    await sharedRows(tableName, a, b, stream);
    const recorded = recordingClient();
    const rows = await listCheckpoints({ store: { dynamodb: recorded.client, tableName }, group: a, stream });
    expect(rows.map((row) => [row.shardId, row.sequence])).toEqual([["shardId-000000000000", "100"], ["shardId-000000000001", "101"]]);
    expect(recorded.operations()).toContain("Scan");
    expect(recorded.operations()).not.toContain("Query");
  });

  it("an index still being built is not queried (it would miss rows not copied yet): the listing Scans", async () => {
    const tableName = await indexedTable();
    const [a, b, stream] = [uniqueName("ga"), uniqueName("gb"), uniqueName("s")];
    await sharedRows(tableName, a, b, stream);
    const recorded = recordingClient();
    recorded.describeIndexAs("CREATING");
    const rows = await listCheckpoints({ store: { dynamodb: recorded.client, tableName }, group: a, stream });
    expect(rows.map((row) => row.sequence)).toEqual(["100", "101"]);
    expect(recorded.operations()).toContain("Scan");
    expect(recorded.operations()).not.toContain("Query");
  });

  it("an index deleted between DescribeTable and the Query (the Query names it missing): the listing Scans instead", async () => {
    const tableName = await oldTable();
    const [a, b, stream] = [uniqueName("ga"), uniqueName("gb"), uniqueName("s")];
    await sharedRows(tableName, a, b, stream);
    const recorded = recordingClient();
    recorded.describeGhostIndex();
    const rows = await listCheckpoints({ store: { dynamodb: recorded.client, tableName }, group: a, stream });
    expect(rows.map((row) => row.sequence)).toEqual(["100", "101"]);
    expect(recorded.operations()).toEqual(["DescribeTable", "Query", "Scan"]);
  });

  it("a reset right after a worker took one lease and created another is refused, although the index still shows them free or absent", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "admin-idx-reset");
    const tableName = await indexedTable();
    const group = uniqueName("g");
    await put(tableName, freeRow(group, stream, "shardId-000000000000", "100"));
    const recorded = recordingClient();
    // The index's answer as of now: shard 0 free, shard 1 without a row.
    await listCheckpoints({ store: { dynamodb: recorded.client, tableName }, group, stream });
    expect(recorded.operations()).toContain("Query");
    // A worker takes shard 0 and starts shard 1; the index has not caught up yet.
    const owner = `${group}/worker-1`;
    await put(tableName, heldRow(group, stream, "shardId-000000000000", "100", 2, owner), heldRow(group, stream, "shardId-000000000001", "7", 1, owner));
    recorded.lagging();

    const refusal = await resetCheckpoints({ store: { dynamodb: recorded.client, tableName }, group, stream, kinesis, to: "trim-horizon" }).catch((
      e: unknown,
    ) => e);
    expect(refusal).toBeInstanceOf(LiveLeasesError);
    expect((refusal as LiveLeasesError).leases).toEqual([
      { shardId: "shardId-000000000000", owner },
      { shardId: "shardId-000000000001", owner },
    ]);
    const table = localDynamo();
    const row0 = await table.getItem(tableName, { shard_id: { S: `${group}#${stream}#shardId-000000000000` } });
    expect([row0?.["ref"], row0?.["lease_counter"]]).toEqual([{ S: owner }, { N: "2" }]);
    // Decided on one strongly consistent GetItem per shard, not on a Scan of the table.
    const gets = recorded.sent.filter((s) => s.operation === "GetItem");
    expect(gets.map((g) => g.body["ConsistentRead"])).toEqual([true, true]);
    expect(recorded.operations()).not.toContain("Scan");
  });

  it("a migration right after a worker took a lease on the source is refused, although the index still shows it free", async () => {
    const tableName = await indexedTable();
    const [group, stream] = [uniqueName("g"), uniqueName("s")];
    await put(tableName, freeRow(group, stream, "shardId-000000000000", "100"), freeRow(group, stream, "shardId-000000000001", "101"));
    const recorded = recordingClient();
    await listCheckpoints({ store: { dynamodb: recorded.client, tableName }, group, stream });
    const owner = `${group}/worker-1`;
    await put(tableName, heldRow(group, stream, "shardId-000000000001", "150", 2, owner));
    recorded.lagging();

    const refusal = await migrateCheckpoints({ from: { dynamodb: recorded.client, tableName }, to: { redis: redis.redis }, group, stream }).catch((
      e: unknown,
    ) => e);
    expect(refusal).toBeInstanceOf(LiveLeasesError);
    expect((refusal as LiveLeasesError).leases).toEqual([{ shardId: "shardId-000000000001", owner }]);
    expect(recorded.operations()).not.toContain("Scan");
  });
});
