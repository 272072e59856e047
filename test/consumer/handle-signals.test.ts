import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { createStream, localKinesis, testCredentials, uniqueName } from "../support/clients.ts";

/**
 * `handleSignals: true`: Ctrl-C (SIGINT) or SIGTERM closes the consumer, which releases its leases at
 * once, and then the signal ends the process as it would have. The consumer runs in a child process
 * (Node, Deno, Bun) with a sessionTimeout of 120 s: rows without `ref` right after it exits can only
 * come from the release on close, never from expiry.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules", ".bin");
let scratch: string;
let bundle: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "async-kinesis-signals-"));
  // One self-contained ES module (no bare imports) that all three runtimes run as is.
  const out = await build({
    entryPoints: [join(ROOT, "test/runtimes/signal-consumer.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  bundle = join(scratch, "signal-consumer.mjs");
  await writeFile(bundle, out.outputFiles[0]!.text);
}, 60_000);
afterAll(() => rm(scratch, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** Start the consumer, send `signal` once it is ready, and resolve when the process has exited. */
function runAndSignal(command: string, args: string[], signal: NodeJS.Signals): Promise<Exit> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DO_NOT_TRACK: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let stdout = "";
    let stderr = "";
    const guard = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const parts = stdout.split("\n");
      stdout = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (line.includes('"ready"')) child.kill(signal);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, exitSignal) => {
      clearTimeout(guard);
      resolvePromise({ code, signal: exitSignal, lines, stderr });
    });
  });
}

async function expectReleasedOnSignal(runtime: string, command: (file: string, args: string[]) => [string, string[]], signal: NodeJS.Signals): Promise<void> {
  const stream = await createStream(localKinesis(), 2, `signals-${runtime}`);
  const group = uniqueName(`signals-${runtime}`);
  const args = [inject("kinesisEndpoint"), inject("dynamodbEndpoint"), stream, group];
  const [bin, argv] = command(bundle, args);
  const exit = await runAndSignal(bin, argv, signal);
  const context = `${runtime} stdout:\n${exit.lines.join("\n")}\nstderr:\n${exit.stderr}`;
  const ready = exit.lines.map((l) => JSON.parse(l) as { type: string; shards?: string[]; signal?: string });
  expect(ready.find((e) => e.type === "ready")?.shards, context).toHaveLength(2);
  expect(ready.filter((e) => e.type === "signalReceived"), context).toEqual([{ type: "signalReceived", signal }]);
  // The default action proceeded: killed by the signal (a shell would report 128 + its number).
  const code = signal === "SIGINT" ? 130 : 143;
  expect(exit.signal === signal || exit.code === code, `${context}\nexit ${exit.code} ${exit.signal}`).toBe(true);

  const reader = new DynamoDBCheckPointer({ name: group, endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials: testCredentials });
  const rows = await reader.listCheckpoints({ streamName: stream });
  expect(rows.map((r) => r.shardId).sort()).toEqual((ready.find((e) => e.type === "ready")?.shards ?? []).sort());
  for (const row of rows) expect(row.owner, `${row.shardId} still leased`).toBeUndefined();
  await reader.close();
}

describe("handleSignals", () => {
  it("on Node, SIGINT releases every lease before the process ends by the signal", async () => {
    await expectReleasedOnSignal("node", (file, args) => [process.execPath, [file, ...args]], "SIGINT");
  }, 60_000);

  it("on Node, SIGTERM releases every lease before the process ends by the signal", async () => {
    await expectReleasedOnSignal("node", (file, args) => [process.execPath, [file, ...args]], "SIGTERM");
  }, 60_000);

  it("on Deno, SIGINT releases every lease before the process ends by the signal", async () => {
    await expectReleasedOnSignal(
      "deno",
      (file, args) => [join(BIN, "deno"), ["run", "--no-config", "--no-lock", "--no-prompt", "--allow-net=127.0.0.1", "--allow-env", file, ...args]],
      "SIGINT",
    );
  }, 60_000);

  it("on Bun, SIGINT releases every lease before the process ends by the signal", async () => {
    await expectReleasedOnSignal("bun", (file, args) => [join(BIN, "bun"), ["run", file, ...args]], "SIGINT");
  }, 60_000);
});
