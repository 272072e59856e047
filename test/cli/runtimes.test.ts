import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildCli, type BuiltCli, CLI_RUNTIMES, runBuiltCli } from "../support/cli.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { putItems } from "../support/delivery-checks.ts";

/**
 * The same built binary on Deno (`deno run -A`, as `deno run -A npm:async-kinesis` runs it) and on Bun:
 * it reaches the service through node: modules there too. Deno resolves the two dependencies through
 * deno.json from ./node_modules; its registry points at a closed port so nothing is downloaded.
 */

let built: BuiltCli;
beforeAll(async () => {
  built = await buildCli();
}, 120_000);
afterAll(() => built?.remove());

describe.each(CLI_RUNTIMES)("async-kinesis on $name", ({ runtime, env }) => {
  it("describe prints the stream's shards as JSON and exits 0", async () => {
    const stream = await createStream(localKinesis(), 2, "cli-runtime");
    const result = await runBuiltCli(built.cli, ["describe", stream, "--endpoint", inject("kinesisEndpoint")], { runtime, env, timeoutMs: 60_000 });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const described = JSON.parse(result.stdout) as { streamName: string; shards: Array<{ shardId: string; state: string }> };
    expect(described.streamName).toBe(stream);
    expect(described.shards.map((shard) => [shard.shardId, shard.state])).toEqual([
      ["shardId-000000000000", "open"],
      ["shardId-000000000001", "open"],
    ]);
  });

  it("tail --limit ends with the records as JSON lines", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "cli-runtime-tail");
    await putItems(kinesis, stream, "item", 0, 2);
    const args = ["tail", stream, "--from", "trim-horizon", "--limit", "2", "--endpoint", inject("kinesisEndpoint")];
    const result = await runBuiltCli(built.cli, args, { runtime, env, timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"id":"item-0"}\n{"id":"item-1"}\n');
  });

  it("a usage error exits 2 with one line", async () => {
    const result = await runBuiltCli(built.cli, ["describe", "--bogus"], { runtime, env, timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("async-kinesis describe: --bogus: unknown option for describe (see async-kinesis describe --help)\n");
  });
});
