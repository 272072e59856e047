/**
 * The fake on Deno (with no permissions: no network, no environment), Bun and workerd (Miniflare): the
 * same scenario file, test/testing/runtimes/scenario.ts, gives the same result everywhere.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Outcome, parseOutcome, runDenoScript } from "../support/runtimes.ts";
import type { FakeScenarioResult } from "./runtimes/scenario.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const expected: FakeScenarioResult = { delivered: 20, shards: 2, restartDelivered: 0, checkpointRows: 2, outsideRequests: 0 };

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "fake-runtimes-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function runBun(script: string): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "bun"), ["run", script], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", DO_NOT_TRACK: "1", NO_COLOR: "1" },
      timeout: 45_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

describe("the fake on other runtimes", () => {
  it("runs the produce, consume and resume scenario on Deno with no permissions", async () => {
    const outcome = await runDenoScript(scratch, "test/testing/runtimes/deno.ts", []);
    expect(parseOutcome<FakeScenarioResult>("deno", outcome)).toEqual(expected);
  });

  it("runs the produce, consume and resume scenario on Bun", async () => {
    expect(parseOutcome<FakeScenarioResult>("bun", await runBun("test/testing/runtimes/bun.ts"))).toEqual(expected);
  });

  it("runs the produce, consume and resume scenario inside workerd (Miniflare)", async () => {
    const bundle = await build({
      entryPoints: [join(ROOT, "test/testing/runtimes/worker.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["workerd", "worker"],
      write: false,
      logLevel: "silent",
    });
    const mf = new Miniflare({ modules: true, script: bundle.outputFiles[0]!.text, compatibilityDate: "2025-09-01" });
    try {
      const response = await mf.dispatchFetch("http://localhost/");
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(JSON.parse(text)).toEqual(expected);
    } finally {
      await mf.dispose();
    }
  });
});
