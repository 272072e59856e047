import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { buildCli, type BuiltCli, cliEnv, runBuiltCli, spawnTracked, stopSpawned } from "../support/cli.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { putItems } from "../support/delivery-checks.ts";

/** `tail` through the built binary against kinesalite: limits, start positions, shards, formats, and stopping cleanly. */

let built: BuiltCli;
beforeAll(async () => {
  built = await buildCli();
}, 120_000);
afterAll(() => built?.remove());

afterEach(stopSpawned);
const spawn = spawnTracked;

const endpoint = (): string => inject("kinesisEndpoint");
const run = (args: string[], options?: Parameters<typeof runBuiltCli>[2]) => runBuiltCli(built.cli, [...args, "--endpoint", endpoint()], options);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function jsonLines(stdout: string): unknown[] {
  return stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown);
}

/** Keep putting a record every 100 ms until `done` settles (a tail that only notices its reader left on its next write). */
async function putUntil(stream: string, done: Promise<unknown>): Promise<void> {
  const kinesis = localKinesis();
  let settled = false;
  void done.finally(() => (settled = true));
  for (let i = 0; !settled; i++) {
    await putItems(kinesis, stream, "more", i, 1);
    await Promise.race([done, sleep(100)]);
  }
}

describe("async-kinesis tail", () => {
  it("--from trim-horizon --limit 3 prints the first three records as JSON lines and exits 0", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-limit");
    await putItems(kinesis, stream, "item", 0, 5);
    const result = await run(["tail", stream, "--from", "trim-horizon", "--limit", "3"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([{ id: "item-0" }, { id: "item-1" }, { id: "item-2" }]);
  });

  it("--from latest (the default) prints only records put after it started", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-latest");
    await putItems(kinesis, stream, "old", 0, 3);
    const child = spawn(process.execPath, [built.cli, "tail", stream, "--limit", "1", "--endpoint", endpoint()], { env: cliEnv() });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    await putUntil(stream, exited);
    expect(await exited).toBe(0);
    expect(jsonLines(stdout)).toEqual([{ id: expect.stringMatching(/^more-/) }]);
  });

  it("--from <ISO time> starts at the records that arrived from then on", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-time");
    await putItems(kinesis, stream, "before", 0, 3);
    await sleep(50);
    const from = new Date().toISOString();
    await sleep(50);
    await putItems(kinesis, stream, "after", 0, 2);
    const result = await run(["tail", stream, "--from", from, "--limit", "2"]);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([{ id: "after-0" }, { id: "after-1" }]);
  });

  it("--shard reads only that shard, and --metadata prints each record's shard, sequence number and partition key", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "cli-tail-shard");
    const puts = await putItems(kinesis, stream, "item", 0, 20);
    const shardId = puts[0]!.shardId;
    const mine = puts.filter((put) => put.shardId === shardId);
    expect(mine.length).toBeLessThan(20);
    const result = await run(["tail", stream, "--shard", shardId, "--from", "trim-horizon", "--limit", String(mine.length), "--metadata"]);
    expect(result.code).toBe(0);
    const printed = jsonLines(result.stdout) as Array<{ shardId: string; sequenceNumber: string; partitionKey: string; data: { id: string } }>;
    expect(printed.map((record) => record.shardId)).toEqual(mine.map(() => shardId));
    expect(printed.map((record) => record.sequenceNumber)).toEqual(mine.map((put) => put.sequenceNumber));
    expect(printed.map((record) => record.data.id)).toEqual(mine.map((put) => put.id));
    expect(printed[0]!.partitionKey).toBe(`pk-${mine[0]!.id.slice("item-".length)}`);
  });

  it("--shard on a child shard reads it at once, without waiting for its unread parent", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-child");
    await putItems(kinesis, stream, "parent", 0, 3);
    const [parent] = await kinesis.listShards(stream);
    await kinesis.splitShard(stream, parent!.shardId, (2n ** 127n).toString());
    await kinesis.waitForActive(stream, { pollInterval: 0.05 });
    const puts = await putItems(kinesis, stream, "child", 0, 10);
    const child = puts[0]!.shardId;
    expect(child).not.toBe(parent!.shardId);
    const expected = puts.filter((put) => put.shardId === child).map((put) => ({ id: put.id }));
    const result = await run(["tail", stream, "--shard", child, "--from", "trim-horizon", "--limit", String(expected.length)]);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual(expected);
  });

  it("--processor string and bytes print the payload as a JSON string and as base64", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-processor");
    await putItems(kinesis, stream, "item", 0, 1);
    const asString = await run(["tail", stream, "--from", "trim-horizon", "--limit", "1", "--processor", "string"]);
    expect(jsonLines(asString.stdout)).toEqual(['{"id":"item-0"}']);
    const asBytes = await run(["tail", stream, "--from", "trim-horizon", "--limit", "1", "--processor", "bytes"]);
    expect(jsonLines(asBytes.stdout)).toEqual([Buffer.from('{"id":"item-0"}').toString("base64")]);
  });

  it("prints indented JSON on a terminal", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-tty");
    await putItems(kinesis, stream, "item", 0, 1);
    // util-linux `script` runs the command on a pseudo-terminal, so the CLI sees a TTY as stdout.
    const command = [process.execPath, built.cli, "tail", stream, "--from", "trim-horizon", "--limit", "1", "--endpoint", endpoint()]
      .map((word) => `'${word}'`)
      .join(" ");
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], { env: cliEnv(), stdio: ["ignore", "pipe", "inherit"] });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, output }));
    });
    expect(result.code).toBe(0);
    expect(result.output.replace(/\r\n/g, "\n")).toBe('{\n  "id": "item-0"\n}\n');
  });

  it("exits 0 when its reader goes away (tail | head -1)", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-head");
    await putItems(kinesis, stream, "item", 0, 3);
    const script = `"$0" "$1" tail "$2" --from trim-horizon --endpoint "$3" | head -1; echo "tail exited $\{PIPESTATUS[0]}" >&2`;
    const child = spawn("bash", ["-c", script, process.execPath, built.cli, stream, endpoint()], { env: cliEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    // `head` is gone after the first line; tail notices on its next write, as `tail -f | head` does.
    await putUntil(stream, exited);
    expect(await exited).toBe(0);
    expect(jsonLines(stdout)).toEqual([{ id: "item-0" }]);
    expect(stderr).toBe("tail exited 0\n");
  });

  it("exits 0 on Ctrl-C (SIGINT), printing nothing on stderr", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-tail-sigint");
    const child = spawn(process.execPath, [built.cli, "tail", stream, "--endpoint", endpoint()], { env: cliEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    const printed = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    // Once it has printed a record it is certainly following the stream: interrupt it then.
    await putUntil(stream, printed);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^\{"id":"more-\d+"\}\n/);
  });

  it("an invalid --from, --processor or --shard is a usage error: exit 2 with one line", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-tail-usage");
    const badFrom = await run(["tail", stream, "--from", "yesterday"]);
    expect(badFrom.code).toBe(2);
    expect(badFrom.stderr).toMatch(/^async-kinesis tail: --from: must be latest, trim-horizon or an ISO 8601 time .*\n$/);
    const badProcessor = await run(["tail", stream, "--processor", "xml"]);
    expect(badProcessor.code).toBe(2);
    expect(badProcessor.stderr).toMatch(/^async-kinesis tail: --processor: must be one of json, string, bytes, kpl, got "xml" .*\n$/);
    const badShard = await run(["tail", stream, "--shard", "shardId-000000000099"]);
    expect(badShard.code).toBe(2);
    expect(badShard.stderr).toMatch(new RegExp(`^async-kinesis tail: --shard: stream ${stream} has no shard shardId-000000000099 .*\\n$`));
  });
});
