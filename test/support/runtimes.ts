/**
 * Launching test/runtimes/* on Deno, Bun and workerd (Miniflare) from a Node test, shared by
 * test/runtimes.test.ts (smoke.ts) and test/runtimes-pipeline.test.ts (pipeline.ts).
 *
 * Runtime quirks met here:
 * - Deno: `jsr:` does not resolve on these machines and `npm:` would go to the registry unless
 *   deno.json's `nodeModulesDir: "manual"` applies. To stay independent of deno.json (which
 *   test/exports.test.ts checks with `deno check`), Deno runs with `--no-config` and a generated import
 *   map that points `aws4fetch` and `valibot` at the ESM files already in node_modules.
 *   DENO_NO_UPDATE_CHECK keeps it from phoning home for a newer version; it refuses fetches to port 1.
 * - Bun: resolves bare specifiers from node_modules like Node and runs .ts directly; nothing special.
 * - workerd: has no process environment, so credentials travel in the request body, and it forbids
 *   I/O at import time, so the worker does everything inside `fetch`. The bundle uses the `workerd` and
 *   `worker` export conditions (aws4fetch has a `worker` build). Miniflare lets a worker fetch
 *   127.0.0.1 by default; bare workerd would need a network service allowing "local". A refused
 *   connection there is a plain `Error: Network connection lost.`, not a TypeError as elsewhere.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { testCredentials } from "./clients.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules", ".bin");
const SPAWN_TIMEOUT_MS = 45_000;
/** Set through the environment for Deno and Bun, so the library's env lookup runs there too. */
export const ENV_REGION = "eu-central-1";

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, timeout: SPAWN_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** The last stdout line as the script's JSON result; any failure carries the runtime's stderr. */
export function parseOutcome<R>(runtime: string, outcome: Outcome): R {
  if (outcome.code !== 0) {
    throw new Error(
      `${runtime} exited with ${outcome.code ?? outcome.signal}\n--- stderr ---\n${outcome.stderr}\n--- stdout ---\n${outcome.stdout}`,
    );
  }
  const last = outcome.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as R;
  } catch {
    throw new Error(`${runtime} printed no JSON result\n--- stdout ---\n${outcome.stdout}\n--- stderr ---\n${outcome.stderr}`);
  }
}

/** Our environment minus anything AWS, plus the fake credentials: a developer's real keys never leak in. */
function runtimeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("AWS_")) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_REGION: ENV_REGION,
    ...extra,
  };
}

/** The file a package's `exports["."]` gives to `import`, as Node would pick it. */
async function esmEntry(name: string): Promise<string> {
  const dir = join(ROOT, "node_modules", name);
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    exports?: { ".": { import?: string | { default?: string } } };
    module?: string;
  };
  const target = manifest.exports?.["."].import;
  const file = typeof target === "string" ? target : (target?.default ?? manifest.module);
  if (file === undefined) throw new Error(`${name} has no ESM entry`);
  return pathToFileURL(join(dir, file)).href;
}

/** `deno run test/runtimes/deno.ts ...args`; `scratch` holds the generated import map. */
export function runOnDeno(scratch: string, args: string[]): Promise<Outcome> {
  return runDenoScript(scratch, "test/runtimes/deno.ts", ["--allow-net=127.0.0.1", "--allow-env"], args);
}

/** `deno run <permissions> <script> ...args`, e.g. with no permissions at all to see what Deno refuses. */
export async function runDenoScript(scratch: string, script: string, permissions: string[], args: string[] = []): Promise<Outcome> {
  const importMap = join(scratch, "import-map.json");
  await writeFile(importMap, JSON.stringify({ imports: { aws4fetch: await esmEntry("aws4fetch"), valibot: await esmEntry("valibot") } }));
  return run(
    join(BIN, "deno"),
    ["run", "--no-config", "--no-lock", "--no-prompt", `--import-map=${importMap}`, ...permissions, script, ...args],
    runtimeEnv({ DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
  );
}

/** `bun run test/runtimes/bun.ts ...args`. */
export function runOnBun(args: string[]): Promise<Outcome> {
  return run(join(BIN, "bun"), ["run", "test/runtimes/bun.ts", ...args], runtimeEnv({ DO_NOT_TRACK: "1", NO_COLOR: "1" }));
}

/** test/runtimes/worker.ts bundled into one module and loaded into a fresh Miniflare; dispose it after. */
export async function startWorker(): Promise<Miniflare> {
  const bundle = await build({
    entryPoints: [join(ROOT, "test/runtimes/worker.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker"],
    write: false,
    logLevel: "silent",
  });
  return new Miniflare({ modules: true, script: bundle.outputFiles[0]!.text, compatibilityDate: "2025-09-01" });
}
