import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOutcome, runDenoScript } from "./support/runtimes.ts";

interface Seen {
  name: string;
  option: string | undefined;
  message: string;
  fetchCalls: number;
}

/**
 * Deno refuses network and environment access the program was not granted. Those refusals are
 * configuration errors naming the flag to add, thrown at once: never retried as network failures,
 * never read as "variable not set". Nothing reaches the network (Deno refuses before connecting).
 */
describe("Deno permission denials", () => {
  let scratch: string;
  let result: { net: Seen; env: Seen };
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "async-kinesis-deno-perm-"));
    const outcome = await runDenoScript(scratch, "test/runtimes/permission-denials.ts", [], ["http://127.0.0.1:4567"]);
    result = parseOutcome("deno", outcome);
  }, 60_000);
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it("a fetch without --allow-net is a ConfigError naming --allow-net=<host:port>, not retried", () => {
    expect(result.net).toMatchObject({ name: "ConfigError", option: "--allow-net=127.0.0.1:4567", fetchCalls: 1 });
    expect(result.net.message).toContain("--allow-net=127.0.0.1:4567");
  });

  it("reading the environment without --allow-env is a ConfigError naming --allow-env, before any request", () => {
    expect(result.env).toMatchObject({ name: "ConfigError", option: "--allow-env", fetchCalls: 0 });
    expect(result.env.message).toContain("AWS_REGION");
  });
});
