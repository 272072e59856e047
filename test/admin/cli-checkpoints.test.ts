/**
 * `async-kinesis checkpoints list|reset|migrate|import-python` through the built binary, against
 * kinesalite, dynalite and a real redis-server (its `--redis` URL read by the CLI's own connection).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { buildCli, type BuiltCli, CLI_RUNTIMES, runBuiltCli } from "../support/cli.ts";
import { createStream, localKinesis, uniqueName } from "../support/clients.ts";
import { connectRedis, type NodeRedis } from "../support/redis-clients.ts";
import { type LocalRedis, startRedis } from "../support/redis-server.ts";
import { consumeAll, consumerOf, dynamoCheckPointer, putNumbers, range } from "./support.ts";

let built: BuiltCli;
let server: LocalRedis;
let redis: NodeRedis;
beforeAll(async () => {
  [built, server] = await Promise.all([buildCli(), startRedis()]);
  redis = await connectRedis(server.url);
}, 120_000);
afterAll(async () => {
  await redis?.close();
  await server?.close();
  await built?.remove();
});

const endpoints = (): string[] => ["--kinesis-endpoint", inject("kinesisEndpoint"), "--dynamodb-endpoint", inject("dynamodbEndpoint")];
const run = (args: string[]) => runBuiltCli(built.cli, [...args, ...endpoints()]);
const redisStore = (group: string) =>
  new RedisCheckPointer({ name: group, client: redis, sessionTimeout: 1.5, heartbeatFrequency: 0.3, checkpointInterval: 0.1 });

describe("async-kinesis checkpoints", () => {
  it("list prints the operator table (--pretty) and JSON lines when piped", async () => {
    const stream = await createStream(localKinesis(), 2, "cli-cp-list");
    const put = await putNumbers(stream, 0, 8);
    const group = uniqueName("g");
    await consumeAll(consumerOf(stream, redisStore(group)));
    const table = await run(["checkpoints", "list", "--group", group, "--stream", stream, "--redis", server.url, "--pretty"]);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^SHARD\s+OWNER\s+SEQUENCE\s+LAG\s+LAST UPDATE\s+FINISHED$/);
    expect(lines).toHaveLength(3);
    expect(table.stdout).toContain(put.filter((r) => r.shardId === "shardId-000000000000").at(-1)!.sequence);

    const piped = await run(["checkpoints", "list", "--group", group, "--stream", stream, "--redis", server.url]);
    const rows = piped.stdout.trim().split("\n").map((line) => JSON.parse(line) as { shardId: string; lagMs: number; lagSource: string });
    expect(rows.map((r) => [r.shardId, r.lagMs])).toEqual([["shardId-000000000000", 0], ["shardId-000000000001", 0]]);
  });

  it("reset refuses while a consumer holds the lease (exit 5, one line naming shard and owner), --dry-run writes nothing, then resets", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-cp-reset");
    await putNumbers(stream, 0, 6);
    const group = uniqueName("g");
    const table = uniqueName("cp");
    const running = consumerOf(stream, dynamoCheckPointer(group, { tableName: table }), { idleTimeout: undefined });
    const iterator = running[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) await iterator.next();
    const base = ["checkpoints", "reset", "--group", group, "--stream", stream, "--table", table, "--to", "trim-horizon"];
    try {
      const refused = await run(base);
      expect(refused.code).toBe(5);
      expect(refused.stdout).toBe("");
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toContain("shardId-000000000000");
      expect(refused.stderr).toContain(`${group}/`);
    } finally {
      await running.close();
    }
    const dry = await run([...base, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: nothing written");
    expect(dry.stdout).toMatch(/shardId-000000000000\s+after \d+\s+trim horizon/);
    // Untouched: the next consumer resumes after the last committed record (5 was in hand at close, so it comes again).
    expect(await consumeAll(consumerOf(stream, dynamoCheckPointer(group, { tableName: table })))).toEqual([5]);

    const done = await run(base);
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    expect(await consumeAll(consumerOf(stream, dynamoCheckPointer(group, { tableName: table })))).toEqual(range(0, 6));
  });

  it("migrate --from redis://… --to dynamodb:<table>: the group continues on DynamoDB where it stopped on Redis", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-cp-migrate");
    await putNumbers(stream, 0, 10);
    const group = uniqueName("g");
    expect(await consumeAll(consumerOf(stream, redisStore(group), { stopAfter: { records: 4 } }))).toEqual(range(0, 4));
    const table = uniqueName("cp");
    const result = await run(["checkpoints", "migrate", "--from", server.url, "--to", `dynamodb:${table}`, "--group", group]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`migrated group ${group}`);
    expect(await consumeAll(consumerOf(stream, dynamoCheckPointer(group, { tableName: table })))).toEqual(range(4, 10));
  });

  it("import-python --redis <url> --name <app>: the TypeScript group resumes after the Python keys' checkpoints", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-cp-python");
    const put = await putNumbers(stream, 0, 10);
    const name = uniqueName("pyapp");
    await redis.sendCommand(["SET", `pyredis-${name}-shardId-000000000000`, JSON.stringify({ ref: null, ts: null, sequence: put[6]!.sequence })]);
    const result = await run(["checkpoints", "import-python", "--redis", server.url, "--name", name, "--stream", stream, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { group: string; changes: Array<{ after: { sequence: string } }> };
    expect(report.group).toBe(name);
    expect(report.changes.map((c) => c.after.sequence)).toEqual([put[6]!.sequence]);
    expect(await consumeAll(consumerOf(stream, redisStore(name)))).toEqual(range(7, 10));
  });

  it("a bad --to is a usage error (exit 2), and a --redis URL's password never appears in output", async () => {
    const bad = await run(["checkpoints", "reset", "--group", "g", "--stream", "s", "--to", "tomorrow", "--redis", "redis://u:s3cret-pw@127.0.0.1:1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("to must be");
    const unreachable = await run(["checkpoints", "list", "--group", "g", "--stream", "s", "--redis", "redis://u:s3cret-pw@127.0.0.1:1"]);
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr + unreachable.stdout).not.toContain("s3cret-pw");
  });
});

// The CLI's own Redis connection (node:net) on the other runtimes the binary runs on.
describe.each(CLI_RUNTIMES)("async-kinesis checkpoints on $name", ({ runtime, env }) => {
  it("list --redis <url> reads the group's rows", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-cp-runtime");
    const put = await putNumbers(stream, 0, 3);
    const group = uniqueName("g");
    await consumeAll(consumerOf(stream, redisStore(group)));
    const result = await runBuiltCli(
      built.cli,
      ["checkpoints", "list", "--group", group, "--stream", stream, "--redis", server.url, "--json", ...endpoints()],
      {
        runtime,
        env,
        timeoutMs: 60_000,
      },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { shardId: string; sequence: string });
    expect(rows.map((r) => [r.shardId, r.sequence])).toEqual([["shardId-000000000000", put.at(-1)!.sequence]]);
  });
});
