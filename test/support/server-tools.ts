/**
 * The system programs some tests need — `redis-server` (Redis checkpointer) and `java` (DynamoDB
 * Local) — obtained, never skipped: vitest's global setup calls ensureServerTools() once; a missing
 * one is installed with apt when the tests run as root, and otherwise (or if apt fails) every test that
 * needs it fails with the exact command to run (missingToolMessage). The world — PATH, uid, the
 * command runner — comes in as arguments, so the "missing" paths are tested without uninstalling anything.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { findOnPath } from "./child-server.ts";

export interface ServerTool {
  binary: string;
  /** The Debian package that provides it. */
  packageName: string;
  neededBy: string;
}

export const REDIS_SERVER: ServerTool = { binary: "redis-server", packageName: "redis-server", neededBy: "the Redis checkpointer tests" };
export const JAVA: ServerTool = { binary: "java", packageName: "default-jre-headless", neededBy: "DynamoDB Local (the TTL and conditional-write tests)" };
export const SERVER_TOOLS: readonly ServerTool[] = [REDIS_SERVER, JAVA];

/** Where the global setup's apt output goes (relative to the repository root). */
export const INSTALL_LOG = ".tmp/server-tools.log";
/** apt-get update or install may take minutes on a cold mirror, but never forever. */
export const INSTALL_TIMEOUT_MS = 300_000;

export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; logFile: string },
) => Promise<{ ok: boolean; detail: string }>;

export interface ToolEnvironment {
  /** The PATH to look on. */
  path: string;
  /** The effective uid; undefined where there is none (Windows): never root then. */
  uid: number | undefined;
  run: CommandRunner;
  logFile: string;
  timeoutMs: number;
}

export type ToolStatus =
  | { tool: ServerTool; state: "present" | "installed"; file: string }
  | { tool: ServerTool; state: "missing"; command: string; reason: string };

/** The exact command that installs `tool`: with sudo unless already root. */
export function installCommand(tool: ServerTool, uid: number | undefined): string {
  const sudo = uid === 0 ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${tool.packageName}`;
}

/** What a test that needs `tool` fails with when it is not on PATH. */
export function missingToolMessage(tool: ServerTool, uid: number | undefined = process.getuid?.()): string {
  return (
    `${tool.binary} is not on PATH (needed by ${tool.neededBy}); install it with: ${installCommand(tool, uid)} ` +
    `(npm test does this itself when run as root; its apt output is in ${INSTALL_LOG})`
  );
}

/** Look for each tool; as root, apt-get install the missing ones (one `apt-get update` first) and look again. */
export async function ensureServerTools(env: ToolEnvironment, tools: readonly ServerTool[] = SERVER_TOOLS): Promise<ToolStatus[]> {
  const statuses: ToolStatus[] = [];
  let updated: { ok: boolean; detail: string } | undefined;
  for (const tool of tools) {
    const file = findOnPath(tool.binary, env.path);
    if (file !== undefined) {
      statuses.push({ tool, state: "present", file });
      continue;
    }
    const command = installCommand(tool, env.uid);
    if (env.uid !== 0) {
      statuses.push({ tool, state: "missing", command, reason: "not running as root, so not installing it" });
      continue;
    }
    updated ??= await env.run("apt-get", ["update"], { timeoutMs: env.timeoutMs, logFile: env.logFile });
    if (!updated.ok) {
      statuses.push({ tool, state: "missing", command, reason: `apt-get update failed (${updated.detail}); see ${env.logFile}` });
      continue;
    }
    const installed = await env.run("apt-get", ["install", "-y", tool.packageName], { timeoutMs: env.timeoutMs, logFile: env.logFile });
    const after = findOnPath(tool.binary, env.path);
    if (installed.ok && after !== undefined) statuses.push({ tool, state: "installed", file: after });
    else {
      const why = installed.ok
        ? `apt-get installed ${tool.packageName} but ${tool.binary} is still not on PATH`
        : `apt-get install failed (${installed.detail})`;
      statuses.push({ tool, state: "missing", command, reason: `${why}; see ${env.logFile}` });
    }
  }
  return statuses;
}

/**
 * Run a command non-interactively with its output appended to `logFile`; SIGKILL it past `timeoutMs`.
 * Never throws: a command that cannot start, fails or overruns is `ok: false` with the reason.
 */
export const runLogged: CommandRunner = (command, args, { timeoutMs, logFile }) => {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "a");
  writeSync(fd, `\n$ ${[command, ...args].join(" ")}\n`);
  return new Promise((resolve) => {
    const finish = (result: { ok: boolean; detail: string }): void => {
      clearTimeout(timer);
      closeSync(fd);
      resolve(result);
    };
    const child = spawn(command, args, { stdio: ["ignore", fd, fd], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => finish({ ok: false, detail: `could not start ${command}: ${error.message}` }));
    child.once("exit", (code, signal) => {
      if (timedOut) finish({ ok: false, detail: `timed out after ${timeoutMs} ms` });
      else finish(code === 0 ? { ok: true, detail: "exit code 0" } : { ok: false, detail: signal === null ? `exit code ${code}` : `signal ${signal}` });
    });
  });
};
