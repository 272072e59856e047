import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn, type StdioOptions } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { build, type Options } from "tsup";
import config from "../../tsup.config.ts";
import { testCredentials } from "./clients.ts";

/**
 * The `async-kinesis` binary as users run it: the Node build of tsup.config.ts (the build that holds
 * the `node/cli` entry, with its shared chunks), built into a scratch folder inside the repository so
 * it resolves its two dependencies from ./node_modules. Tests then spawn `node <dir>/node/cli.js`.
 */

const ROOT = join(import.meta.dirname, "..", "..");
export const RUNTIME_BIN = join(ROOT, "node_modules", ".bin");

/**
 * The other runtimes the built binary runs on: Deno (`deno run -A`, as `deno run -A npm:async-kinesis`
 * runs it; its registry points at a closed loopback port so nothing is downloaded) and Bun.
 */
export const CLI_RUNTIMES = [
  {
    name: "Deno",
    runtime: { command: join(RUNTIME_BIN, "deno"), args: ["run", "-A"] },
    env: { DENO_NO_UPDATE_CHECK: "1", NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/" },
  },
  { name: "Bun", runtime: { command: join(RUNTIME_BIN, "bun"), args: [] }, env: {} },
] as const;

export interface BuiltCli {
  /** Path of the built cli.js. */
  cli: string;
  remove(): Promise<void>;
}

export async function buildCli(): Promise<BuiltCli> {
  const builds = (Array.isArray(config) ? config : [config]) as Options[];
  const nodeBuild = builds.find((options) => typeof options.entry === "object" && !Array.isArray(options.entry) && "node/cli" in options.entry);
  if (nodeBuild === undefined) throw new Error("tsup.config.ts has no build with the node/cli entry");
  await mkdir(join(ROOT, ".tmp"), { recursive: true });
  const outDir = await mkdtemp(join(ROOT, ".tmp", "cli-"));
  await build({ ...nodeBuild, outDir, sourcemap: false, clean: false, silent: true, config: false });
  return { cli: join(outDir, "node", "cli.js"), remove: () => rm(outDir, { recursive: true, force: true }) };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Our environment minus anything AWS (a developer's real keys never reach a test), plus the fake keys. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("AWS_")) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    ...extra,
  };
}

export interface RunOptions {
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Run with this program instead of Node (e.g. Deno or Bun), its arguments first. */
  runtime?: { command: string; args: readonly string[] };
}

/** Run the built CLI to its end. */
export function runBuiltCli(cli: string, args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const command = options.runtime?.command ?? process.execPath;
  const argv = [...(options.runtime?.args ?? []), cli, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, env: cliEnv(options.env), timeout: options.timeoutMs ?? 45_000, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

const spawned: ChildProcess[] = [];

/**
 * Spawn a long-running command (a `tail`, a shell pipeline) in its own process group, remembered so
 * `stopSpawned()` (in `afterEach`) kills the whole group if a failing or timed-out test left it running.
 */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdio?: StdioOptions },
): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, { ...options, detached: true }) as ChildProcessWithoutNullStreams;
  spawned.push(child);
  return child;
}

export function stopSpawned(): void {
  for (const child of spawned.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
