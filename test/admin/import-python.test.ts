/**
 * importPythonCheckpoints: rows written here exactly as the Python async-kinesis checkpointers write
 * them (kinesis/dynamodb.py: table keyed by `shard_id` = the bare shard id, with `ref`, `ts`,
 * `sequence`, `ttl`, NULL when released; kinesis/checkpointers.py: Redis string key
 * `pyredis-<name>-<shard id>` holding JSON `{"ref", "ts", "sequence"}`), imported, then a Consumer of
 * this library resumes right after the Python fleet's last checkpoint on every shard.
 */
import { describe, expect, it } from "vitest";
import { importPythonCheckpoints } from "../../src/admin/python.ts";
import type { Item } from "../../src/dynamodb/marshal.ts";
import { LiveLeasesError } from "../../src/errors.ts";
import { createStream, localDynamo, localKinesis, uniqueName } from "../support/clients.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { consumeAll, consumerOf, dynamoCheckPointer, putNumbers } from "./support.ts";

const redis = useRedisFixture();

/** The Python DynamoDBCheckPointer's table: hash key shard_id (S), as its _create_table makes it. */
async function createPythonTable(name: string): Promise<string> {
  const table = `kinesis-checkpoints-${name}`;
  const dynamo = localDynamo();
  await dynamo.createTable({
    TableName: table,
    KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "shard_id", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  });
  await dynamo.waitForTableActive(table);
  return table;
}

/** A row as the Python checkpointer leaves it: after deallocate (ref and ts NULL), or held (ref and ts set). */
function pythonItem(shardId: string, sequence: string | null, held?: { ref: string; ts: number }): Item {
  const ttl = Math.floor(Date.now() / 1000) + 24 * 3600;
  return {
    shard_id: { S: shardId },
    ref: held === undefined ? { NULL: true } : { S: held.ref },
    ts: held === undefined ? { NULL: true } : { N: String(held.ts) },
    sequence: sequence === null ? { NULL: true } : { S: sequence },
    ttl: { N: String(ttl) },
  };
}

/** Put 10 records per shard in turn; the Python fleet "committed" the first `done` of each shard. */
async function streamWithProgress(shards: number, done: number): Promise<{ stream: string; checkpoints: Map<string, string>; expected: number[] }> {
  const stream = await createStream(localKinesis(), shards, "py-import");
  const put = await putNumbers(stream, 0, 10 * shards);
  const byShard = new Map<string, Array<{ n: number; sequence: string }>>();
  for (const record of put) byShard.set(record.shardId, [...(byShard.get(record.shardId) ?? []), record]);
  const checkpoints = new Map<string, string>();
  const expected: number[] = [];
  for (const [shardId, records] of byShard) {
    if (records.length > done) checkpoints.set(shardId, records[done - 1]!.sequence);
    expected.push(...records.slice(done).map((r) => r.n));
  }
  return { stream, checkpoints, expected: expected.sort((a, b) => a - b) };
}

describe("importPythonCheckpoints", () => {
  it("from the Python DynamoDB table: a Consumer resumes after the Python fleet's checkpoints (our rows share its table)", async () => {
    const name = uniqueName("pyapp");
    const table = await createPythonTable(name);
    const { stream, checkpoints, expected } = await streamWithProgress(2, 3);
    const dynamo = localDynamo();
    for (const [shardId, sequence] of checkpoints) await dynamo.putItem({ TableName: table, Item: pythonItem(shardId, sequence) });

    const result = await importPythonCheckpoints({ from: { dynamodb: dynamo }, name, stream, kinesis: localKinesis(), to: dynamoCheckPointer(name) });
    expect(result.group).toBe(name);
    expect(new Map(result.changes.map((c) => [c.shardId, c.after.sequence]))).toEqual(checkpoints);

    // The default table of our checkpointer for the same name is the Python one: both kinds of row live in it.
    const seen = await consumeAll(consumerOf(stream, dynamoCheckPointer(name)));
    expect(seen.sort((a, b) => a - b)).toEqual(expected);
    const python = await dynamo.getItem(table, { shard_id: { S: [...checkpoints.keys()][0]! } });
    expect(python?.["sequence"]).toEqual({ S: [...checkpoints.values()][0]! });
  });

  it("from the Python Redis keys: a Consumer on RedisCheckPointer resumes after them", async () => {
    const name = uniqueName("pyapp");
    const { stream, checkpoints, expected } = await streamWithProgress(2, 6);
    for (const [shardId, sequence] of checkpoints) {
      await redis.redis.sendCommand(["SET", `pyredis-${name}-${shardId}`, JSON.stringify({ ref: null, ts: null, sequence })]);
    }
    const result = await importPythonCheckpoints({ from: { redis: redis.redis }, name, stream, kinesis: localKinesis(), to: { redis: redis.redis } });
    expect(result.changes).toHaveLength(checkpoints.size);
    const seen = await consumeAll(consumerOf(stream, redis.store(name)));
    expect(seen.sort((a, b) => a - b)).toEqual(expected);
  });

  it("a shard the Python fleet allocated but never checkpointed is left to the consumer's iteratorType", async () => {
    const name = uniqueName("pyapp");
    const stream = await createStream(localKinesis(), 1, "py-import-none");
    await putNumbers(stream, 0, 3);
    await redis.redis.sendCommand(["SET", `pyredis-${name}-shardId-000000000000`, JSON.stringify({ ref: null, ts: null, sequence: null })]);
    const result = await importPythonCheckpoints({ from: { redis: redis.redis }, name, stream, kinesis: localKinesis(), to: { redis: redis.redis } });
    expect(result.changes).toEqual([]);
    expect(result.skipped).toEqual([{ shardId: "shardId-000000000000", reason: "no-position" }]);
  });

  it("refuses while a Python worker holds a lease (ref and a ts within sessionTimeout), naming it; force imports", async () => {
    const name = uniqueName("pyapp");
    const table = await createPythonTable(name);
    const { stream, checkpoints } = await streamWithProgress(1, 2);
    const [shardId, sequence] = [...checkpoints][0]!;
    const dynamo = localDynamo();
    const ref = `${name}/4242`; // Python's ref: <name>/<pid>
    await dynamo.putItem({ TableName: table, Item: pythonItem(shardId, sequence, { ref, ts: Math.floor(Date.now() / 1000) }) });
    const options = { from: { dynamodb: dynamo, tableName: table }, name, stream, kinesis: localKinesis(), to: { redis: redis.redis } };
    const refusal = await importPythonCheckpoints(options).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(LiveLeasesError);
    expect((refusal as LiveLeasesError).leases).toEqual([{ shardId, owner: ref }]);
    const forced = await importPythonCheckpoints({ ...options, force: true });
    expect(forced.changes.map((c) => c.after.sequence)).toEqual([sequence]);
  });
});
