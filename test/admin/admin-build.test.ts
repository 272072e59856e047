/**
 * The async-kinesis/admin entry as npm builds it: the Web file imports nothing but the two runtime
 * dependencies (no node: built-in), and the Node file shares the Node root entry's modules, so a
 * checkpointer made with `async-kinesis` on Node is accepted and the errors are the root entry's classes.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packagesImportedBy } from "../support/build-imports.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
let outDir = "";

beforeAll(async () => {
  await mkdir(join(root, ".tmp"), { recursive: true });
  outDir = await mkdtemp(join(root, ".tmp", "admin-build-"));
  await run(join(root, "node_modules", ".bin", "tsup"), ["--out-dir", outDir, "--no-sourcemap"], { cwd: root, timeout: 180_000 });
}, 200_000);
afterAll(async () => {
  if (outDir !== "") await rm(outDir, { recursive: true, force: true });
});

describe("the async-kinesis/admin build", () => {
  it("the Web entry imports nothing but the runtime dependencies (no node: built-in); its declarations name the four functions", async () => {
    const imported = [...(await packagesImportedBy(outDir, "admin/index.js"))];
    expect(imported.filter((name) => name !== "aws4fetch" && name !== "valibot")).toEqual([]);
    const declarations = await readFile(join(outDir, "admin", "index.d.ts"), "utf8");
    for (const name of ["listCheckpoints", "resetCheckpoints", "migrateCheckpoints", "importPythonCheckpoints", "LiveLeasesError"]) {
      expect(declarations).toContain(name);
    }
  });

  it("the Node entry takes a checkpointer from the Node root entry, and its errors are the root entry's classes", async () => {
    const script = `
      const [admin, main] = await Promise.all([import(${JSON.stringify(join(outDir, "node", "admin.js"))}), import(${
      JSON.stringify(join(outDir, "node.js"))
    })]);
      const store = new main.DynamoDBCheckPointer({ name: "app", region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "not-a-secret" } });
      let sameClass;
      try { await admin.resetCheckpoints({ store, stream: "s", kinesis: {}, to: "tomorrow" }); } catch (e) { sameClass = e instanceof main.ConfigError && e.option === "to"; }
      console.log(JSON.stringify({ sameClass, live: admin.LiveLeasesError === main.LiveLeasesError }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ sameClass: true, live: true });
  });
});
