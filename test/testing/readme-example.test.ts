/**
 * The README's `unit-test-fake` block is itself a test file: it is copied verbatim (its two package
 * imports pointed at this repository's src/) into a scratch directory and run by `bun test` and by
 * vitest, with no local server, and must pass under both.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
let scratch = "";
let file = "";

function readmeBlock(markdown: string, name: string): string {
  const marker = markdown.indexOf(`<!-- example: ${name} -->`);
  if (marker < 0) throw new Error(`README.md has no <!-- example: ${name} --> block`);
  const open = markdown.indexOf("```ts\n", marker);
  const close = markdown.indexOf("\n```", open + 6);
  return markdown.slice(open + 6, close + 1);
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", DO_NOT_TRACK: "1", CI: "1" },
      timeout: 90_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code, output }));
  });
}

beforeAll(async () => {
  await mkdir(join(ROOT, ".tmp"), { recursive: true });
  scratch = await mkdtemp(join(ROOT, ".tmp", "readme-fake-"));
  const code = readmeBlock(await readFile(join(ROOT, "README.md"), "utf8"), "unit-test-fake")
    .replace('from "async-kinesis/testing"', `from ${JSON.stringify(join(ROOT, "src/testing/index.ts"))}`)
    .replace('from "async-kinesis"', `from ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
  expect(code).not.toContain('"async-kinesis');
  file = join(scratch, "billing.test.ts");
  await writeFile(file, code);
  // A config of its own, so vitest does not pick up this repository's (its global setup starts servers).
  await writeFile(join(scratch, "vitest.config.mjs"), 'export default { test: { include: ["*.test.ts"] } };\n');
});

afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

it("the README's unit test with the fake passes under bun test", async () => {
  const outcome = await run(join(ROOT, "node_modules", ".bin", "bun"), ["test", file], scratch);
  expect(outcome.output).toMatch(/1 pass/);
  expect(outcome.code, outcome.output).toBe(0);
});

it("the README's unit test with the fake passes under vitest", async () => {
  const outcome = await run(join(ROOT, "node_modules", ".bin", "vitest"), ["run", "--root", scratch, "--config", join(scratch, "vitest.config.mjs")], scratch);
  expect(outcome.output).toMatch(/1 passed/);
  expect(outcome.code, outcome.output).toBe(0);
});
