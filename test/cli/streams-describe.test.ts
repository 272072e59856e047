import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildCli, type BuiltCli, runBuiltCli } from "../support/cli.ts";
import { createStream, localKinesis } from "../support/clients.ts";

/** `streams` and `describe` through the built binary against kinesalite. */

let built: BuiltCli;
beforeAll(async () => {
  built = await buildCli();
}, 120_000);
afterAll(() => built?.remove());

const endpoint = (): string => inject("kinesisEndpoint");
const run = (args: string[], options?: Parameters<typeof runBuiltCli>[2]) => runBuiltCli(built.cli, [...args, "--endpoint", endpoint()], options);

describe("async-kinesis streams", () => {
  it("lists every stream across pages, one name per line", async () => {
    const kinesis = localKinesis();
    const prefix = `cli-ls-${Date.now().toString(36)}-`;
    const names = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
    for (const name of names) await kinesis.createStream(name, 1);
    for (const name of names) await kinesis.waitForActive(name, { pollInterval: 0.05 });
    // One name per ListStreams page: three pages at least, continued with ExclusiveStartStreamName.
    const result = await run(["streams", "--page-size", "1", "--prefix", prefix]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(names.map((name) => `${name}\n`).join(""));
  });

  it("--json prints each name as a JSON string", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-ls-json");
    const result = await run(["streams", "--json", "--prefix", stream]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n").map((line) => JSON.parse(line) as string)).toEqual([stream]);
  });

  it("--profile takes the keys and the region from the shared files' profile (the environment's keys are not used)", async () => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      // Credential=<key id>/<date>/<region>/kinesis/aws4_request: the keys and the region the request was signed with.
      const scope = String(request.headers["authorization"]).match(/Credential=([^/]+)\/\d+\/([^/]+)\//);
      seen.push(scope === null ? "none" : `${scope[1]} ${scope[2]}`);
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify({ StreamNames: ["from-profile"], HasMoreStreams: false }));
      });
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    const dir = await mkdtemp(join(tmpdir(), "cli-profile-"));
    try {
      await writeFile(join(dir, "credentials"), "[cli-test]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret-not-real\n");
      await writeFile(join(dir, "config"), "[profile cli-test]\nregion = eu-west-3\n");
      const { port } = server.address() as { port: number };
      const result = await runBuiltCli(built.cli, ["streams", "--profile", "cli-test", "--endpoint", `http://127.0.0.1:${port}`], {
        env: { AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"), AWS_CONFIG_FILE: join(dir, "config"), AWS_REGION: "" },
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("from-profile\n");
      expect(seen).toEqual(["AKIDPROFILE eu-west-3"]);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

interface Described {
  streamName: string;
  streamStatus: string;
  retentionPeriodHours: number;
  shards: Array<{ shardId: string; state: string; parents: string[]; hashKeyRange: { start: string; end: string; share: number } }>;
}

describe("async-kinesis describe", () => {
  it("prints the stream's retention and every shard with its parents, hash range and state (JSON when piped)", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "cli-describe");
    const [first] = await kinesis.listShards(stream);
    // Split the first shard in two: it closes, and its two children name it as their parent.
    const start = BigInt(first!.hashKeyRange.startingHashKey);
    const end = BigInt(first!.hashKeyRange.endingHashKey);
    await kinesis.splitShard(stream, first!.shardId, ((start + end) / 2n).toString());
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });

    const result = await run(["describe", stream]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const described = JSON.parse(result.stdout) as Described;
    expect(described).toMatchObject({ streamName: stream, streamStatus: "ACTIVE", retentionPeriodHours: 24 });
    expect(described.shards).toHaveLength(4);
    const parent = described.shards.find((shard) => shard.shardId === first!.shardId)!;
    expect(parent.state).toBe("closed");
    expect(parent.hashKeyRange.share).toBe(50);
    const children = described.shards.filter((shard) => shard.parents.includes(first!.shardId));
    expect(children.map((child) => child.state)).toEqual(["open", "open"]);
    expect(children.map((child) => child.hashKeyRange.start)).toEqual([start.toString(), ((start + end) / 2n).toString()]);
    expect(described.shards.filter((shard) => shard.state === "open")).toHaveLength(3);
  });

  it("--table prints the report for people: facts, then one row per shard", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-describe-table");
    const result = await run(["describe", stream, "--table"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^stream +${stream} \\(ACTIVE`));
    expect(result.stdout).toMatch(/^retention +24 hours$/m);
    expect(result.stdout).toMatch(/^shards +1 open, 0 closed$/m);
    expect(result.stdout).toMatch(/^SHARD +STATE +PARENTS +KEYS +HASH KEY RANGE$/m);
    expect(result.stdout).toMatch(/^shardId-000000000000 +open +- +100\.00% +0\.\.340282366920938463463374607431768211455$/m);
  });

  it("a missing <stream> is a usage error: exit 2, one line", async () => {
    const result = await run(["describe"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("async-kinesis describe: <stream>: missing: usage is async-kinesis describe <stream> ... (see async-kinesis describe --help)\n");
  });
});
