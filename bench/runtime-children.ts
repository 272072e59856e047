/**
 * Running bench/consume-runtime.ts on Bun and Deno (their binaries are devDependencies) against a
 * sink the driver started, and reading back its one JSON line. Deno runs with `--no-config` and a
 * generated import map pointing `aws4fetch` and `valibot` at node_modules (as test/support/runtimes.ts
 * does), so it never asks a registry; `--v8-flags=--expose-gc` lets it collect between rounds as Node does.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ConsumeResult } from "./consume-floor.ts";

const CHILD_TIMEOUT_MS = 180_000;

export type OtherRuntime = "bun" | "deno";

/** The consume-vs-floor result from `runtime`, or an Error saying why it could not run. */
export async function consumeOn(runtime: OtherRuntime, root: string, workDir: string, endpoint: string, quick: boolean): Promise<ConsumeResult | Error> {
  const binary = join(root, "node_modules", ".bin", runtime);
  if (!existsSync(binary)) return new Error(`${binary} not installed (npm ci installs it)`);
  const script = join(root, "bench", "consume-runtime.ts");
  const args = [endpoint, ...(quick ? ["--quick"] : [])];
  const argv = runtime === "bun" ? ["run", script, ...args] : [
    "run",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    `--import-map=${await denoImportMap(root, workDir)}`,
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--v8-flags=--expose-gc",
    script,
    ...args,
  ];
  const env = { ...process.env, DO_NOT_TRACK: "1", NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  const { code, stdout, stderr } = await run(binary, argv, root, env);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !last.startsWith("{")) return new Error(`${runtime} exited with ${code}: ${(stderr || stdout).trim().split("\n").slice(-3).join(" / ")}`);
  return JSON.parse(last) as ConsumeResult;
}

async function denoImportMap(root: string, workDir: string): Promise<string> {
  const file = join(workDir, "deno-import-map.json");
  const imports = { aws4fetch: await esmEntry(root, "aws4fetch"), valibot: await esmEntry(root, "valibot") };
  await writeFile(file, JSON.stringify({ imports }));
  return file;
}

/** The file a package's `exports["."]` gives to `import`, as Node picks it. */
async function esmEntry(root: string, name: string): Promise<string> {
  const dir = join(root, "node_modules", name);
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    exports?: { ".": { import?: string | { default?: string } } };
    module?: string;
  };
  const target = manifest.exports?.["."].import;
  const file = typeof target === "string" ? target : (target?.default ?? manifest.module);
  if (file === undefined) throw new Error(`${name} has no ESM entry`);
  return pathToFileURL(join(dir, file)).href;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, timeout: CHILD_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
