import { afterEach, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import { unmarshallItem } from "../../src/dynamodb/marshal.ts";
import { CheckpointTableMissingError, ConfigError } from "../../src/errors.ts";
import { DynamoDBCheckPointer as Exported } from "../../src/index.ts";
import { localDynamo, testCredentials, uniqueName } from "../support/clients.ts";

/** Row format, namespacing, table handling and options, against dynalite. */

const opened: DynamoDBCheckPointer[] = [];

function store(options: Partial<DynamoDBCheckPointerOptions> & { name: string }): DynamoDBCheckPointer {
  const created = new DynamoDBCheckPointer({
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    sessionTimeout: 1.5,
    heartbeatFrequency: 0.3,
    ...options,
  });
  opened.push(created);
  return created;
}

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

describe("DynamoDBCheckPointer rows", () => {
  it("writes the guide's fields plus the lease fields, keyed by group, stream and shard", async () => {
    const tableName = uniqueName("rows");
    const s = store({ name: "my-app", tableName, ttlHours: 2 });
    const session = await s.start({ streamName: "arn:aws:kinesis:us-east-1:123456789012:stream/orders", retentionHours: 48 });
    await session.allocate("shardId-000000000001", { totalShards: 2 });
    await session.checkpoint("shardId-000000000001", "4960");
    await session.manualCheckpoint();
    const now = Date.now() / 1000;
    const item = unmarshallItem((await localDynamo().getItem(tableName, { shard_id: { S: "my-app#orders#shardId-000000000001" } }))!);
    expect(item).toMatchObject({
      shard_id: "my-app#orders#shardId-000000000001",
      ref: session.ref,
      sequence: "4960",
      finished: false,
      group: "my-app",
      stream: "orders",
      shard: "shardId-000000000001",
    });
    expect(session.ref).toMatch(/^my-app\/[0-9a-f]{16}$/);
    expect(item["lease_counter"]).toBeGreaterThanOrEqual(2);
    expect(Math.abs((item["ts"] as number) - now)).toBeLessThan(5);
    expect(Math.abs((item["ttl"] as number) - (now + 2 * 3600))).toBeLessThan(5);

    // A finished shard's row outlives the stream's retention plus ttlHours.
    await session.finish("shardId-000000000001", "4970");
    const finished = unmarshallItem((await localDynamo().getItem(tableName, { shard_id: { S: "my-app#orders#shardId-000000000001" } }))!);
    expect(finished).toMatchObject({ finished: true, sequence: "4970" });
    expect(finished["ref"]).toBeUndefined();
    expect(finished["ttl"] as number).toBeGreaterThanOrEqual(Math.floor(now) + (48 + 2) * 3600 - 5);
  });

  it("lets two consumer groups share one table as in the guide, each with its own checkpoints", async () => {
    const tableName = uniqueName("kinesis-checkpoints");
    // The guide's "Multiple Consumer Groups": same table, same stream, different names, created at once.
    const analytics = store({ name: "analytics", tableName });
    const archival = store({ name: "archival", tableName });
    const [a, b] = await Promise.all([analytics.start({ streamName: "events" }), archival.start({ streamName: "events" })]);
    expect(await a.allocate("shardId-000000000000", { totalShards: 1 })).toBeDefined();
    expect(await b.allocate("shardId-000000000000", { totalShards: 1 })).toBeDefined();
    await a.checkpoint("shardId-000000000000", "100");
    await b.checkpoint("shardId-000000000000", "7");
    await Promise.all([a.manualCheckpoint(), b.manualCheckpoint()]);

    expect(await analytics.listCheckpoints()).toEqual([
      expect.objectContaining({ streamName: "events", shardId: "shardId-000000000000", owner: a.ref, sequence: "100", finished: false }),
    ]);
    expect(await archival.listCheckpoints({ streamName: "events" })).toEqual([
      expect.objectContaining({ shardId: "shardId-000000000000", owner: b.ref, sequence: "7" }),
    ]);
    const listing = await analytics.listCheckpoints();
    expect(listing[0]!.updatedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it("reports a missing table with createTable: false as a typed error naming the table, the option and the schema", async () => {
    const tableName = uniqueName("absent");
    const s = store({ name: "app", tableName, createTable: false });
    const error = await s.start({ streamName: "events" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointTableMissingError);
    expect(error).toMatchObject({ code: "TABLE_MISSING", tableName, option: "createTable" });
    expect((error as Error).message).toContain(tableName);
    expect((error as Error).message).toContain("createTable");
    expect((error as Error).message).toContain("shard_id");
    expect((error as Error).message).toContain("PAY_PER_REQUEST");
    await expect(s.listCheckpoints()).rejects.toBeInstanceOf(CheckpointTableMissingError);
  });

  it("uses an existing table with createTable: false, and refuses a table with another key schema", async () => {
    const tableName = uniqueName("existing");
    await store({ name: "creator", tableName }).start({ streamName: "events" });
    const session = await store({ name: "user", tableName, createTable: false }).start({ streamName: "events" });
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();

    const wrong = uniqueName("wrong-key");
    await localDynamo().createTable({
      TableName: wrong,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    await expect(store({ name: "app", tableName: wrong }).start({ streamName: "events" })).rejects.toThrow(ConfigError);
  });
});

describe("DynamoDBCheckPointer options", () => {
  const base = { name: "app", region: "us-east-1", credentials: testCredentials };

  it("applies the guide's defaults", () => {
    const s = new DynamoDBCheckPointer(base);
    expect(s.tableName).toBe("kinesis-checkpoints-app");
    expect(s.autoCheckpoint).toBe(true);
    expect(Exported).toBe(DynamoDBCheckPointer);
  });

  it("rejects invalid options with a ConfigError naming them", () => {
    const bad: Array<[Partial<DynamoDBCheckPointerOptions>, RegExp]> = [
      [{ heartbeatFrequency: 60 }, /heartbeatFrequency.*sessionTimeout/],
      [{ sessionTimeout: 10, heartbeatFrequency: 20 }, /heartbeatFrequency \(20 s\).*sessionTimeout \(10 s\)/],
      [{ sessionTimeout: -1 }, /sessionTimeout/],
      [{ ttlHours: 0 }, /ttlHours/],
      [{ tableName: "x" }, /tableName/],
      [{ name: "a/b" }, /name/],
      [{ name: "" }, /name/],
      [{ autoCheckpoint: "yes" as unknown as boolean }, /autoCheckpoint/],
      [{ checkpointInterval: 0 }, /checkpointInterval/],
      [{ endpoint: "not a url" }, /endpoint/],
    ];
    for (const [options, message] of bad) {
      expect(() => new DynamoDBCheckPointer({ ...base, ...options })).toThrow(ConfigError);
      expect(() => new DynamoDBCheckPointer({ ...base, ...options })).toThrow(message);
    }
    expect(() => new DynamoDBCheckPointer({} as DynamoDBCheckPointerOptions)).toThrow(/name/);
  });

  it("puts the id label in front of the random part of each worker ref", async () => {
    const s = store({ name: "app", tableName: uniqueName("ids"), id: "host-1" });
    const [a, b] = await Promise.all([s.start({ streamName: "events" }), s.start({ streamName: "events" })]);
    expect(a.ref).toMatch(/^app\/host-1\.[0-9a-f]{16}$/);
    expect(b.ref).not.toBe(a.ref);
  });
});
