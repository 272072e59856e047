import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");

describe("the npm build", () => {
  let outDir = "";
  afterAll(async () => {
    if (outDir !== "") await rm(outDir, { recursive: true, force: true });
  });

  it("builds with tsup into an ESM bundle whose public classes load on Node with only the two runtime dependencies", async () => {
    // Inside the repository, so the built file resolves its two dependencies from ./node_modules.
    await mkdir(join(root, ".tmp"), { recursive: true });
    outDir = await mkdtemp(join(root, ".tmp", "build-"));
    await run(join(root, "node_modules", ".bin", "tsup"), ["--out-dir", outDir, "--no-sourcemap"], { cwd: root, timeout: 120_000 });
    const bundle = await readFile(join(outDir, "index.js"), "utf8");
    // Only the declared runtime dependencies may remain as imports; nothing Node-specific may be bundled in.
    const imports = [...bundle.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(new Set(["aws4fetch", "valibot"]));
    expect(bundle).not.toMatch(/from ["']node:/);
    const declarations = await readFile(join(outDir, "index.d.ts"), "utf8");
    for (const name of ["Consumer", "Producer", "DynamoDBCheckPointer", "MemoryCheckPointer", "KinesisClient", "ConfigError"]) {
      expect(declarations).toContain(`${name}`);
    }
    const script = `
      const m = await import(${JSON.stringify(join(outDir, "index.js"))});
      const c = new m.Consumer({ streamName: "s", region: "us-east-1" });
      const p = new m.Producer({ streamName: "s", region: "us-east-1" });
      let option;
      try { new m.Consumer({ streamName: "" }); } catch (e) { option = e.option; }
      console.log(JSON.stringify({ consumer: c.constructor.name, producer: p.constructor.name, option }));
      await c.close(); await p.close();
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ consumer: "Consumer", producer: "Producer", option: "streamName" });
  });
});
