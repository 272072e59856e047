/**
 * resetCheckpoints moves a group's positions, and the next Consumer really starts where it was asked:
 * every `to` kind, refusal while live workers hold leases, `force`, `dryRun`, and fencing against a
 * worker that writes while the reset is being written.
 */
import { describe, expect, it } from "vitest";
import { resetCheckpoints } from "../../src/admin/reset.ts";
import { CheckpointConflictError, ConfigError, LiveLeasesError } from "../../src/errors.ts";
import { inject } from "vitest";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { createStream, localDynamo, localKinesis, testCredentials, uniqueName } from "../support/clients.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { consumeAll, consumerOf, dynamoCheckPointer, eventsOf, putNumbers, range } from "./support.ts";

const redis = useRedisFixture();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("resetCheckpoints", () => {
  it("to trim-horizon: the next consumer re-reads every record, even one configured for LATEST", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "reset-th");
    await putNumbers(stream, 0, 20);
    const group = uniqueName("g");
    expect((await consumeAll(consumerOf(stream, dynamoCheckPointer(group)))).sort((a, b) => a - b)).toEqual(range(0, 20));

    const result = await resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: "trim-horizon" });
    expect(result.changes.map((c) => c.after)).toEqual([
      { startAt: 0, finished: false },
      { startAt: 0, finished: false },
    ]);
    const again = await consumeAll(consumerOf(stream, dynamoCheckPointer(group), { iteratorType: "LATEST" }));
    expect(again.sort((a, b) => a - b)).toEqual(range(0, 20));
  });

  it("to latest: the next consumer skips what is in the stream and reads only what arrives after the reset", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "reset-latest");
    await putNumbers(stream, 0, 10);
    const group = uniqueName("g");
    const result = await resetCheckpoints({ store: { redis: redis.redis }, group, stream, kinesis, to: "latest" });
    expect(result.changes).toHaveLength(2);
    expect(result.changes.every((c) => c.before === undefined && c.after.startAt !== undefined)).toBe(true);
    await sleep(1100); // arrival times have whole seconds on some servers: keep the new records clearly after
    await putNumbers(stream, 100, 10);
    const seen = await consumeAll(consumerOf(stream, redis.store(group)));
    expect(seen.sort((a, b) => a - b)).toEqual(range(100, 110));
  });

  it("to a time: the next consumer starts at the first record that arrived at or after it", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "reset-time");
    await putNumbers(stream, 0, 5);
    await sleep(1100);
    const at = new Date();
    await sleep(1100);
    await putNumbers(stream, 5, 5);
    const group = uniqueName("g");
    await consumeAll(consumerOf(stream, dynamoCheckPointer(group)));
    await resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: at });
    expect(await consumeAll(consumerOf(stream, dynamoCheckPointer(group)))).toEqual(range(5, 10));
  });

  it.each(["dynamodb", "redis"] as const)(
    "to a sequence number on one shard (%s): the next consumer resumes right after that record, even backwards",
    async (kind) => {
      const kinesis = localKinesis();
      const stream = await createStream(kinesis, 1, "reset-seq");
      const put = await putNumbers(stream, 0, 10);
      const group = uniqueName("g");
      const store = () => (kind === "redis" ? redis.store(group) : dynamoCheckPointer(group));
      expect(await consumeAll(consumerOf(stream, store()))).toEqual(range(0, 10));
      await resetCheckpoints({ store: store(), stream, kinesis, to: put[3]!.sequence, shards: [put[3]!.shardId] });
      expect(await consumeAll(consumerOf(stream, store()))).toEqual(range(4, 10));
      // The checkpoints written after the backwards move were accepted (the "never backwards" order moved too):
      // the next consumer starts after 9, not after 3 again.
      await putNumbers(stream, 10, 2);
      expect(await consumeAll(consumerOf(stream, store()))).toEqual([10, 11]);
    },
  );

  it("to a sequence number needs exactly one shard, and one inside that shard", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "reset-seq-bad");
    const put = await putNumbers(stream, 0, 4);
    const group = uniqueName("g");
    await expect(resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: put[0]!.sequence })).rejects.toThrow(ConfigError);
    await expect(resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: "1", shards: [put[0]!.shardId] })).rejects.toThrow(/outside shard/);
    await expect(resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: "yesterday" as never })).rejects.toThrow(ConfigError);
  });

  it("refuses while a live worker holds leases, naming each shard and its owner; force moves them and the worker loses its lease", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "reset-live");
    await putNumbers(stream, 0, 10);
    const group = uniqueName("g");
    const lost = eventsOf("leaseLost");
    const running = consumerOf(stream, dynamoCheckPointer(group), { idleTimeout: undefined, onEvent: lost.onEvent });
    const iterator = running[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) await iterator.next();
    await sleep(400); // its checkpoint and heartbeat are written
    try {
      const refusal = await resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: "trim-horizon" }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(LiveLeasesError);
      const leases = (refusal as LiveLeasesError).leases;
      expect(leases).toHaveLength(1);
      expect(leases[0]!.shardId).toBe("shardId-000000000000");
      expect(leases[0]!.owner.startsWith(`${group}/`)).toBe(true);
      expect((refusal as Error).message).toContain(leases[0]!.owner);

      const forced = await resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: "trim-horizon", force: true });
      expect(forced.changes[0]!.displacedOwner).toBe(leases[0]!.owner);
      // The displaced worker's next write is fenced: it loses the lease instead of writing over the reset.
      await expect.poll(() => lost.events.length, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      await running.close().catch(() => undefined);
    }
    // Its checkpoint did not come back: a new consumer starts at the trim horizon (the displaced one may have taken
    // the free row again meanwhile and started there too; what matters is that nothing was skipped).
    const after = await consumeAll(consumerOf(stream, dynamoCheckPointer(group)));
    expect(after[0]).toBe(0);
  });

  it("dryRun reports the changes and writes nothing", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "reset-dry");
    await putNumbers(stream, 0, 6);
    const group = uniqueName("g");
    expect(await consumeAll(consumerOf(stream, dynamoCheckPointer(group)))).toEqual(range(0, 6));
    const before = await dynamoCheckPointer(group).listCheckpoints({ streamName: stream });
    const result = await resetCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis, to: "trim-horizon", dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.changes[0]!.before?.sequence).toBe(before[0]!.sequence);
    expect(result.changes[0]!.after).toEqual({ startAt: 0, finished: false });
    expect(await dynamoCheckPointer(group).listCheckpoints({ streamName: stream })).toEqual(before);
  });

  it("a worker writing the row while the reset writes it makes the reset fail cleanly for that row, not overwrite it", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "reset-race");
    await putNumbers(stream, 0, 4);
    const group = uniqueName("g");
    await consumeAll(consumerOf(stream, redis.store(group)));
    const key = `async-kinesis:{${group}}:${stream}:shardId-000000000000`;
    // A client whose first script call is preceded by another worker's write (a counter bump, as any owner write does).
    let raced = false;
    const racing = {
      sendCommand: async (args: string[]) => {
        if (!raced && (args[0] === "EVALSHA" || args[0] === "EVAL") && args.includes(key)) {
          raced = true;
          await redis.redis.sendCommand(["HINCRBY", key, "lease_counter", "1"]);
          await redis.redis.sendCommand(["HSET", key, "sequence", "424242"]);
        }
        return redis.redis.sendCommand(args);
      },
    };
    const failure = await resetCheckpoints({ store: { redis: racing }, group, stream, kinesis, to: "trim-horizon" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CheckpointConflictError);
    expect((failure as CheckpointConflictError).conflicts.map((c) => c.shardId)).toEqual(["shardId-000000000000"]);
    expect((failure as CheckpointConflictError).applied).toEqual([]);
    expect(await redis.redis.sendCommand(["HGET", key, "sequence"])).toBe("424242");
  });

  it("on DynamoDB too: a worker's write between the reset's read and its write makes that row's write fail, not overwrite", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "reset-race-ddb");
    await putNumbers(stream, 0, 4);
    const group = uniqueName("g");
    await consumeAll(consumerOf(stream, dynamoCheckPointer(group)));
    const table = `kinesis-checkpoints-${group}`;
    const key = { shard_id: { S: `${group}#${stream}#shardId-000000000000` } };
    const plain = localDynamo();
    // A fetch that lets another worker's write (a counter bump, as any owner write does) land just before the reset's UpdateItem.
    let raced = false;
    const racingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (!raced && request.headers.get("x-amz-target") === "DynamoDB_20120810.UpdateItem") {
        raced = true;
        await plain.updateItem({
          TableName: table,
          Key: key,
          UpdateExpression: "SET lease_counter = lease_counter + :one, #s = :s",
          ExpressionAttributeNames: { "#s": "sequence" },
          ExpressionAttributeValues: { ":one": { N: "1" }, ":s": { S: "424242" } },
        });
      }
      return fetch(request);
    };
    const racing = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials: testCredentials, fetch: racingFetch });
    const failure = await resetCheckpoints({ store: { dynamodb: racing, tableName: table }, group, stream, kinesis, to: "trim-horizon" }).catch((e: unknown) =>
      e
    );
    expect(failure).toBeInstanceOf(CheckpointConflictError);
    expect((failure as CheckpointConflictError).conflicts.map((c) => c.shardId)).toEqual(["shardId-000000000000"]);
    expect((await plain.getItem(table, key))?.["sequence"]).toEqual({ S: "424242" });
  });
});
