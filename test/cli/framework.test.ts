import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildCli, type BuiltCli, runBuiltCli } from "../support/cli.ts";
import { closedLoopbackEndpoint } from "../support/closed-port.ts";

/** The command-line framework, through the built binary: help, usage errors, error lines and exit codes. */

let built: BuiltCli;
beforeAll(async () => {
  built = await buildCli();
}, 120_000);
afterAll(() => built?.remove());

const run = (args: string[], options?: Parameters<typeof runBuiltCli>[2]) => runBuiltCli(built.cli, args, options);

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line !== "");
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe("async-kinesis: help and usage errors", () => {
  it("--help lists every verb and the exit codes on stdout and exits 0", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    for (const verb of ["streams", "describe", "tail", "put"]) expect(result.stdout).toMatch(new RegExp(`^  ${verb} `, "m"));
    expect(result.stdout).toContain("Exit status:");
    expect(result.stderr).toBe("");
  });

  it("every verb answers --help with its usage line and exits 0", async () => {
    for (const verb of ["streams", "describe", "tail", "put"]) {
      const result = await run([verb, "--help"]);
      expect(result.code, verb).toBe(0);
      expect(result.stdout, verb).toMatch(new RegExp(`^Usage: async-kinesis ${verb}\\b`));
      expect(result.stdout, verb).toContain("--endpoint <url>");
    }
  });

  it("--help wins over a broken rest of the line", async () => {
    const result = await run(["tail", "--no-such-flag", "--limit", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: async-kinesis tail/);
  });

  it("no verb prints the help on stderr and exits 2", async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Usage: async-kinesis <command>/);
  });

  it("an unknown verb exits 2 with one line naming it", async () => {
    const result = await run(["strems"]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(/^async-kinesis: <command>: "strems" is not a command of async-kinesis \(commands: streams, /);
  });

  it("an unknown option exits 2 with one line naming it and the verb's --help", async () => {
    const result = await run(["streams", "--colour"]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toBe("async-kinesis streams: --colour: unknown option for streams (see async-kinesis streams --help)");
  });

  it("an option missing its value exits 2 with one line", async () => {
    const result = await run(["streams", "--region"]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(/^async-kinesis streams: --region: needs a value/);
  });

  it("an invalid --max-attempts exits 2 with one line", async () => {
    const result = await run(["streams", "--max-attempts", "0"]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(/^async-kinesis streams: --max-attempts: must be a whole number between 1 and 100, got "0"/);
  });

  it("an invalid --endpoint is the library's ConfigError: exit 2, one line, no stack", async () => {
    const result = await run(["streams", "--endpoint", "not a url"]);
    expect(result.code).toBe(2);
    const line = oneLine(result.stderr);
    expect(line).toMatch(/^async-kinesis streams: endpoint: /);
    expect(line).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe("async-kinesis: errors from the service and the network", () => {
  it("an unreachable endpoint exits 4 with one line naming the endpoint and ECONNREFUSED", async () => {
    const endpoint = await closedLoopbackEndpoint();
    const result = await run(["streams", "--endpoint", endpoint, "--max-attempts", "2"]);
    expect(result.code).toBe(4);
    const line = oneLine(result.stderr);
    expect(line).toContain(endpoint);
    expect(line).toContain("ECONNREFUSED");
  });

  it("an unreachable endpoint exits 4 with the default attempts too (the client gives up on an endpoint that never answered)", async () => {
    const endpoint = await closedLoopbackEndpoint();
    const result = await run(["streams", "--endpoint", endpoint]);
    expect(result.code).toBe(4);
    expect(oneLine(result.stderr)).toContain("has not answered any of 8 attempts");
  });

  it("a service error (no such stream) exits 3 with one line carrying the AWS code and never the secret key", async () => {
    const result = await run(["describe", "no-such-stream-h4", "--endpoint", inject("kinesisEndpoint")]);
    expect(result.code).toBe(3);
    const line = oneLine(result.stderr);
    expect(line).toMatch(/^async-kinesis describe: kinesis \w+: ResourceNotFoundException \(HTTP 400\)/);
    expect(result.stderr + result.stdout).not.toContain("test-secret-key-not-real");
  });

  it("--profile selects a shared-config profile: a profile missing from the files is a credentials error, exit 3", async () => {
    const result = await run(["streams", "--profile", "no-such-profile-h4", "--endpoint", inject("kinesisEndpoint")], {
      env: { AWS_CONFIG_FILE: "/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials" },
    });
    expect(result.code).toBe(3);
    expect(oneLine(result.stderr)).toContain('profile "no-such-profile-h4"');
  });
});
