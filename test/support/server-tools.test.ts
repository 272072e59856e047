/**
 * Servers obtained, never skipped: the global setup's detection and install step, run against a PATH
 * that lacks the binary, a stub uid and a stub command runner (nothing is really installed or
 * removed), and the errors the server starters give when a binary is missing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDynamoDBLocal } from "./dynamodb-local.ts";
import { startRedis } from "./redis-server.ts";
import { type CommandRunner, ensureServerTools, JAVA, REDIS_SERVER, runLogged, type ToolEnvironment } from "./server-tools.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "server-tools-"));
  dirs.push(dir);
  return dir;
}

function putExecutable(dir: string, name: string): void {
  writeFileSync(join(dir, name), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, name), 0o755);
}

/** A runner that records what it was asked and answers with `outcome`, optionally "installing" a binary into `bin`. */
function stubRunner(
  outcome: (command: string, args: readonly string[]) => { ok: boolean; detail: string; installs?: string },
  bin: string,
): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (command: string, args: readonly string[]): Promise<{ ok: boolean; detail: string }> => {
    calls.push([command, ...args].join(" "));
    const { installs, ...result } = outcome(command, args);
    if (installs !== undefined) putExecutable(bin, installs);
    return result;
  };
  return Object.assign(run, { calls });
}

function environment(path: string, uid: number | undefined, run: CommandRunner): ToolEnvironment {
  return { path, uid, run, logFile: "/tmp/server-tools-test.log", timeoutMs: 1000 };
}

describe("obtaining redis-server and java for the tests", () => {
  it("not root and redis-server missing: installs nothing and names the exact command, with sudo", async () => {
    const bin = emptyDir();
    putExecutable(bin, "java");
    const run = stubRunner(() => ({ ok: true, detail: "exit code 0" }), bin);
    const statuses = await ensureServerTools(environment(bin, 1000, run));
    expect(run.calls).toEqual([]);
    expect(statuses.map((s) => [s.tool.binary, s.state])).toEqual([
      ["redis-server", "missing"],
      ["java", "present"],
    ]);
    expect(statuses[0]).toMatchObject({ command: "sudo apt-get update && sudo apt-get install -y redis-server" });
  });

  it("root with both missing: one apt-get update, then apt-get install -y of each package, and both are found afterwards", async () => {
    const bin = emptyDir();
    const run = stubRunner(
      (_, args) => ({ ok: true, detail: "exit code 0", ...(args[0] === "install" ? { installs: args[2] === "redis-server" ? "redis-server" : "java" } : {}) }),
      bin,
    );
    const statuses = await ensureServerTools(environment(bin, 0, run));
    expect(run.calls).toEqual(["apt-get update", "apt-get install -y redis-server", "apt-get install -y default-jre-headless"]);
    expect(statuses.map((s) => [s.tool.binary, s.state])).toEqual([
      ["redis-server", "installed"],
      ["java", "installed"],
    ]);
  });

  it("root but apt-get fails: the tool stays missing with the exact command and where the log is", async () => {
    const bin = emptyDir();
    const run = stubRunner((_, args) => (args[0] === "install" ? { ok: false, detail: "exit code 100" } : { ok: true, detail: "exit code 0" }), bin);
    const [status] = await ensureServerTools(environment(bin, 0, run), [JAVA]);
    expect(status).toEqual({
      tool: JAVA,
      state: "missing",
      command: "apt-get update && apt-get install -y default-jre-headless",
      reason: "apt-get install failed (exit code 100); see /tmp/server-tools-test.log",
    });
  });

  it("root, apt-get says it installed the package but the binary is still not on PATH: missing, not a success", async () => {
    const bin = emptyDir();
    const run = stubRunner(() => ({ ok: true, detail: "exit code 0" }), bin);
    const [status] = await ensureServerTools(environment(bin, 0, run), [REDIS_SERVER]);
    expect(status).toMatchObject({ state: "missing", reason: expect.stringContaining("still not on PATH") });
  });

  it("the real runner logs the command's output and kills it past its time bound", async () => {
    const logFile = join(emptyDir(), "logs", "install.log");
    const options = { timeoutMs: 20_000, logFile };
    expect(await runLogged(process.execPath, ["-e", "console.log('said hello'); process.exit(3)"], options)).toEqual({ ok: false, detail: "exit code 3" });
    expect(await runLogged(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { ...options, timeoutMs: 300 })).toEqual({
      ok: false,
      detail: "timed out after 300 ms",
    });
    expect(await runLogged(join(emptyDir(), "no-such-command"), [], options)).toMatchObject({ ok: false, detail: expect.stringContaining("could not start") });
    expect(readFileSync(logFile, "utf8")).toContain("said hello");
  });

  it("a test needing a missing server fails with the exact install command instead of skipping", async () => {
    const path = process.env["PATH"];
    process.env["PATH"] = emptyDir();
    try {
      await expect(startRedis()).rejects.toThrow("apt-get update && ");
      await expect(startRedis()).rejects.toThrow("apt-get install -y redis-server");
      await expect(startDynamoDBLocal()).rejects.toThrow("apt-get install -y default-jre-headless");
    } finally {
      process.env["PATH"] = path;
    }
  });
});
