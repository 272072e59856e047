/**
 * migrateCheckpoints end to end on the real servers (redis-server, dynalite, kinesalite): a group
 * consumes part of a stream on the source, is stopped, migrated, and consumes the rest on the target:
 * every record delivered, none twice (the group closed cleanly, so nothing was in flight).
 */
import { describe, expect, it } from "vitest";
import { migrateCheckpoints } from "../../src/admin/migrate.ts";
import { LiveLeasesError } from "../../src/errors.ts";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { createStream, localDynamo, localKinesis, uniqueName } from "../support/clients.ts";
import { pausableRedis } from "../support/redis-clients.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { consumeAll, consumerOf, dynamoCheckPointer, putNumbers, range } from "./support.ts";

const redis = useRedisFixture();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("migrateCheckpoints", () => {
  it("Redis → DynamoDB: consume part on Redis, migrate, consume the rest on DynamoDB: every record once", async () => {
    const stream = await createStream(localKinesis(), 2, "migrate-r2d");
    await putNumbers(stream, 0, 40);
    const group = uniqueName("g");
    const first = await consumeAll(consumerOf(stream, redis.store(group), { stopAfter: { records: 15 } }));
    expect(first).toHaveLength(15);

    const table = uniqueName("migrated");
    const result = await migrateCheckpoints({ from: redis.store(group), to: { dynamodb: localDynamo(), tableName: table } });
    expect(result.group).toBe(group);
    // Every source row is copied (a shard the step did not reach has no row on either side).
    const sourceRows = await redis.store(group).listCheckpoints({ streamName: stream });
    expect(result.changes.map((c) => [c.shardId, c.after.sequence])).toEqual(sourceRows.map((r) => [r.shardId, r.sequence]));
    expect(result.changes.every((c) => c.before === undefined)).toBe(true);

    const rest = await consumeAll(consumerOf(stream, dynamoCheckPointer(group, { tableName: table })));
    expect(rest.filter((n) => first.includes(n))).toEqual([]);
    expect([...first, ...rest].sort((a, b) => a - b)).toEqual(range(0, 40));
  });

  it("DynamoDB → Redis, finished markers included: a resharded stream's closed parent is not read again", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "migrate-d2r");
    await putNumbers(stream, 0, 10);
    const [parent] = await kinesis.listShards(stream);
    await kinesis.splitShard(stream, parent!.shardId, (2n ** 127n).toString());
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });
    await putNumbers(stream, 10, 10);
    const group = uniqueName("g");
    const first = await consumeAll(consumerOf(stream, dynamoCheckPointer(group)));
    expect(first.sort((a, b) => a - b)).toEqual(range(0, 20));
    await putNumbers(stream, 20, 10);

    const result = await migrateCheckpoints({ from: dynamoCheckPointer(group), to: { redis: redis.redis } });
    const parentChange = result.changes.find((c) => c.shardId === parent!.shardId);
    expect(parentChange?.after.finished).toBe(true);

    const rest = await consumeAll(consumerOf(stream, redis.store(group)));
    expect(rest.sort((a, b) => a - b)).toEqual(range(20, 30));
  });

  it("refuses while a live worker holds a lease on the source, naming shard and owner; force copies anyway", async () => {
    const stream = await createStream(localKinesis(), 1, "migrate-live");
    await putNumbers(stream, 0, 5);
    const group = uniqueName("g");
    const running = consumerOf(stream, redis.store(group), { idleTimeout: undefined });
    const iterator = running[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    try {
      const table = uniqueName("migrated");
      const refusal = await migrateCheckpoints({ from: redis.store(group), to: { dynamodb: localDynamo(), tableName: table } }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(LiveLeasesError);
      expect((refusal as LiveLeasesError).leases.map((l) => l.shardId)).toEqual(["shardId-000000000000"]);
      expect((refusal as LiveLeasesError).leases[0]!.owner.startsWith(`${group}/`)).toBe(true);
      const forced = await migrateCheckpoints({ from: redis.store(group), to: { dynamodb: localDynamo(), tableName: table }, force: true });
      expect(forced.changes).toHaveLength(1);
    } finally {
      await running.close();
    }
  });

  it("a second run after the cutover leaves rows the target moved past alone (no rollback), and dryRun writes nothing", async () => {
    const stream = await createStream(localKinesis(), 1, "migrate-again");
    await putNumbers(stream, 0, 10);
    const group = uniqueName("g");
    await consumeAll(consumerOf(stream, redis.store(group), { stopAfter: { records: 4 } }));
    const table = uniqueName("migrated");
    const target = { dynamodb: localDynamo(), tableName: table };
    const dry = await migrateCheckpoints({ from: redis.store(group), to: target, dryRun: true });
    expect(dry.changes).toHaveLength(1);
    expect(await dynamoCheckPointer(group, { tableName: table }).listCheckpoints().catch(() => [])).toEqual([]);

    await migrateCheckpoints({ from: redis.store(group), to: target });
    expect(await consumeAll(consumerOf(stream, dynamoCheckPointer(group, { tableName: table })))).toEqual(range(4, 10));
    const again = await migrateCheckpoints({ from: redis.store(group), to: target });
    expect(again.changes).toEqual([]);
    expect(again.skipped).toEqual([{ stream, shardId: "shardId-000000000000", reason: "target-ahead" }]);
  });

  it("after a crash (workers cut off, not closed): once their leases expire the copy proceeds, and only the in-flight records come again", async () => {
    const stream = await createStream(localKinesis(), 1, "migrate-crash");
    await putNumbers(stream, 0, 30);
    const group = uniqueName("g");
    // The worker's Redis commands are held back from some point on, as for a host cut off the network.
    const cutOff = pausableRedis(redis.redis);
    const crashed = consumerOf(
      stream,
      new RedisCheckPointer({ name: group, client: cutOff, sessionTimeout: 1.5, heartbeatFrequency: 0.3, checkpointInterval: 0.1 }),
      {
        idleTimeout: undefined,
      },
    );
    const iterator = crashed[Symbol.asyncIterator]();
    const delivered: number[] = [];
    for (let i = 0; i < 10; i++) delivered.push(((await iterator.next()).value as { n: number }).n);
    await sleep(400); // its checkpoint (after 8: the item in hand is not committed) is written
    for (let i = 0; i < 3; i++) delivered.push(((await iterator.next()).value as { n: number }).n);
    cutOff.pause(); // 10..12 were delivered; their checkpoints may never reach Redis
    try {
      const source = { redis: redis.redis };
      const table = uniqueName("migrated");
      const options = { from: source, to: { dynamodb: localDynamo(), tableName: table }, group, sessionTimeout: 1.5 };
      await expect(migrateCheckpoints(options)).rejects.toThrow(LiveLeasesError);
      await sleep(1700); // sessionTimeout without a renewal: the lease is abandoned
      const result = await migrateCheckpoints(options);
      expect(result.changes[0]!.after.sequence).toBeDefined();
      const rest = await consumeAll(consumerOf(stream, dynamoCheckPointer(group, { tableName: table })));
      // Everything arrives; what comes twice is only what was delivered after the last written checkpoint.
      expect([...new Set([...delivered, ...rest])].sort((a, b) => a - b)).toEqual(range(0, 30));
      const twice = rest.filter((n) => delivered.includes(n));
      expect(twice.every((n) => n >= 9)).toBe(true);
      expect(twice.length).toBeLessThanOrEqual(4);
    } finally {
      cutOff.resume();
      await crashed.close().catch(() => undefined);
    }
  });
});
