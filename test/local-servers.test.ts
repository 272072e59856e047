import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient } from "../src/dynamodb/client.ts";
import { KinesisClient } from "../src/kinesis/client.ts";
import { decodeUtf8 as utf8Decode, encodeUtf8 as utf8Encode } from "../src/internal/utf8.ts";
import { testCredentials, uniqueName } from "./support/clients.ts";
import { spawnServer, waitUntilReady } from "./support/child-server.ts";
import { startDynamoDBLocal } from "./support/dynamodb-local.ts";
import { type LocalServer, startKinesisLocal } from "./support/kinesis-local.ts";
import { type LocalRedis, redisCommand, startRedis } from "./support/redis-server.ts";

describe("kinesis-local", () => {
  let server: LocalServer;
  let kinesis: KinesisClient;

  beforeAll(async () => {
    server = await startKinesisLocal();
    kinesis = new KinesisClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials });
  });
  afterAll(async () => server?.close());

  async function activeStream(shards: number): Promise<{ name: string; arn: string }> {
    const name = uniqueName("kl");
    await kinesis.createStream(name, shards);
    const summary = await kinesis.waitForActive(name, { pollInterval: 0.05 });
    return { name, arn: summary.streamArn };
  }

  it("lists every shard across ListShards pages, sending only NextToken after the first page", async () => {
    const { name } = await activeStream(5);
    const bodies: Array<Record<string, unknown>> = [];
    const paging = new KinesisClient({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: testCredentials,
      fetch: (input, init) => {
        if (new Headers(init?.headers).get("x-amz-target")?.endsWith(".ListShards")) bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        return globalThis.fetch(input, init);
      },
    });
    const shards = await paging.listShards(name, { pageSize: 2 });
    expect(shards.map((s) => s.shardId)).toEqual([0, 1, 2, 3, 4].map((i) => `shardId-00000000000${i}`));
    expect(bodies).toHaveLength(3);
    expect(bodies[0]).toMatchObject({ StreamName: name, MaxResults: 2 });
    for (const later of bodies.slice(1)) {
      expect(Object.keys(later).sort()).toEqual(["MaxResults", "NextToken"]);
    }
  });

  it("puts and reads records addressed by StreamARN, and writes explicit nulls the client treats as absent", async () => {
    const { arn } = await activeStream(1);
    expect(arn).toMatch(/^arn:aws:kinesis:us-east-1:\d{12}:stream\//);
    const put = await kinesis.putRecords(arn, [
      { data: utf8Encode("a"), partitionKey: "p1" },
      { data: utf8Encode("b"), partitionKey: "p2" },
    ]);
    expect(put.failedRecordCount).toBe(0);
    expect(put.records).toHaveLength(2);
    // kinesis-local sends `"ErrorCode": null` for successful entries; the typed result must not carry the key.
    for (const entry of put.records) {
      expect(entry.sequenceNumber).toMatch(/^\d+$/);
      expect(entry).not.toHaveProperty("errorCode");
    }
    const iterator = await kinesis.getShardIterator(arn, "shardId-000000000000", "TRIM_HORIZON");
    const raw = await kinesis.http.call<Record<string, unknown>>("GetRecords", { ShardIterator: iterator, StreamARN: arn });
    expect(raw).toHaveProperty("ChildShards", null);
    const page = await kinesis.getRecords(iterator, 10, { streamArn: arn });
    expect(page.records.map((r) => utf8Decode(r.data))).toEqual(["a", "b"]);
    expect(page).not.toHaveProperty("childShards");
    expect(page.nextShardIterator).toBeTypeOf("string");
  });

  it("ends a split parent with ChildShards naming both children", async () => {
    const { name } = await activeStream(1);
    await kinesis.putRecords(name, [{ data: utf8Encode("before-split"), partitionKey: "k" }]);
    const [parent] = await kinesis.listShards(name);
    const middle = ((BigInt(parent!.hashKeyRange.endingHashKey) + 1n) / 2n).toString();
    await kinesis.splitShard(name, parent!.shardId, middle);
    await kinesis.waitForActive(name, { pollInterval: 0.05 });

    let iterator: string | undefined = await kinesis.getShardIterator(name, parent!.shardId, "TRIM_HORIZON");
    const data: string[] = [];
    let childShards: Array<{ shardId: string; parentShards: string[] }> | undefined;
    for (let pages = 0; iterator !== undefined && pages < 20; pages++) {
      const page = await kinesis.getRecords(iterator);
      data.push(...page.records.map((r) => utf8Decode(r.data)));
      childShards = page.childShards;
      iterator = page.nextShardIterator;
    }
    expect(iterator).toBeUndefined();
    expect(data).toEqual(["before-split"]);
    expect(childShards).toHaveLength(2);
    for (const child of childShards!) expect(child.parentShards).toEqual([parent!.shardId]);
    const listed = await kinesis.listShards(name);
    const children = listed.filter((s) => s.parentShardId === parent!.shardId).map((s) => s.shardId);
    expect(childShards!.map((c) => c.shardId).sort()).toEqual(children.sort());
  });

  it("scales a stream with UpdateShardCount", async () => {
    const { name } = await activeStream(1);
    await kinesis.updateShardCount(name, 2);
    const summary = await kinesis.waitForActive(name, { pollInterval: 0.05 });
    expect(summary.openShardCount).toBe(2);
    const open = (await kinesis.listShards(name)).filter((s) => s.sequenceNumberRange.endingSequenceNumber === undefined);
    expect(open).toHaveLength(2);
  });
});

describe("DynamoDB Local", () => {
  let server: LocalServer;
  let dynamo: DynamoDBClient;

  beforeAll(async () => {
    server = await startDynamoDBLocal();
    dynamo = new DynamoDBClient({ endpoint: server.endpoint, region: "us-east-1", credentials: testCredentials });
  });
  afterAll(async () => server?.close());

  it("enables TTL on `ttl` and reports it", async () => {
    const table = uniqueName("ttl");
    await dynamo.createTable({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "shard_id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    });
    await dynamo.waitForTableActive(table);
    expect((await dynamo.describeTimeToLive(table)).status).toBe("DISABLED");
    await dynamo.updateTimeToLive(table, "ttl", true);
    const ttl = await dynamo.describeTimeToLive(table);
    expect(["ENABLED", "ENABLING"]).toContain(ttl.status);
    expect(ttl.attributeName).toBe("ttl");
  });
});

describe("redis-server", () => {
  let redis: LocalRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.close());

  it("answers PING and stores a value", async () => {
    expect(await redisCommand(redis.port, ["PING"])).toBe("+PONG");
    expect(await redisCommand(redis.port, ["SET", "k", "v"])).toBe("+OK");
    expect(await redisCommand(redis.port, ["EXISTS", "k"])).toBe(":1");
  });
});

describe("starting a child server", () => {
  it("reports a server that dies at start with its exit status and output tail", async () => {
    const server = spawnServer(process.execPath, ["-e", "console.error('cannot bind: port in use'); process.exit(3)"], {});
    const error = await waitUntilReady("doomed", server, async () => false, 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/doomed exited before it was ready \(exit code 3\)/);
    expect((error as Error).message).toContain("cannot bind: port in use");
  });

  it("tells how to install redis-server when it is not on PATH", async () => {
    const path = process.env["PATH"];
    process.env["PATH"] = "/nonexistent-dir";
    try {
      await expect(startRedis()).rejects.toThrow("apt-get install -y redis-server");
    } finally {
      process.env["PATH"] = path;
    }
  });
});
