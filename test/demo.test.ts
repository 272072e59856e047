/**
 * `npm run demo` is the first command the README shows a newcomer: it must run on its own (its own
 * in-process servers, no AWS account), finish within a minute, exit 0, and report that every produced
 * record was delivered.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const LIMIT_MS = 60_000;

function runDemo(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // What `npm run demo` runs, without npm in between (so a kill reaches the demo itself).
    const child = spawn(process.execPath, ["scripts/run-ts.mjs", "scripts/demo.ts"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), LIMIT_MS);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}

describe("npm run demo", () => {
  it("exits 0 on its own within 60 s and its summary reports no missing record", async () => {
    const run = await runDemo();
    const tail = run.output.split("\n").slice(-40).join("\n");
    expect(run.signal, `killed after ${LIMIT_MS} ms; output tail:\n${tail}`).toBeNull();
    expect(run.code, `output tail:\n${tail}`).toBe(0);
    expect(run.output).toMatch(/^ {2}missing {13}0$/m);
    const produced = /^ {2}produced +(\d+)$/m.exec(run.output);
    const unique = /^ {2}delivered \(unique\) +(\d+)$/m.exec(run.output);
    expect(Number(produced?.[1])).toBeGreaterThan(0);
    expect(unique?.[1]).toBe(produced?.[1]);
    console.log(`demo finished in ${(run.ms / 1000).toFixed(1)} s`);
  }, LIMIT_MS + 10_000);
});
