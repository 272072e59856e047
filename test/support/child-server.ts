import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

/**
 * What the three out-of-process servers (kinesis-local, DynamoDB Local, redis-server) share: a free
 * loopback port, a child process whose output tail explains a failed start, a readiness poll, and a
 * kill that also happens when the test process exits without closing it.
 */

/** A port nobody listens on right now: bind port 0, read the port, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not read a free port"))));
    });
  });
}

/** The full path of `command` on PATH (or `path`), or undefined, so a missing binary gets a helpful error instead of ENOENT. */
export function findOnPath(command: string, path = process.env["PATH"] ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface SpawnedServer {
  readonly child: ChildProcess;
  /** The last few KiB of stdout+stderr, for error messages. */
  outputTail(): string;
  /** Set once the process has exited, with its code or signal. */
  exited(): string | undefined;
  /** Kill the process and wait for it to exit. */
  kill(): Promise<void>;
}

const TAIL_BYTES = 4096;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: "exit" handlers cannot wait. A forgotten server must not outlive the tests.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export function spawnServer(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): SpawnedServer {
  installExitHook();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let tail = "";
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exitStatus: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      exitStatus ??= `failed to spawn: ${error.message}`;
      live.delete(child);
      resolve();
    });
    child.once("exit", (code, signal) => {
      exitStatus ??= signal === null ? `exit code ${code}` : `signal ${signal}`;
      live.delete(child);
      resolve();
    });
  });
  return {
    child,
    outputTail: () => tail.trim(),
    exited: () => exitStatus,
    kill: async () => {
      if (exitStatus === undefined) {
        child.kill("SIGTERM");
        const forced = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exitedPromise;
        clearTimeout(forced);
      }
    },
  };
}

/**
 * Call `probe` until it resolves true. Fails early if the process exits, and with the output tail if
 * the deadline passes, so a broken server explains itself instead of timing out silently.
 */
export async function waitUntilReady(
  name: string,
  server: SpawnedServer,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const status = server.exited();
    if (status !== undefined) {
      throw new Error(`${name} exited before it was ready (${status}); output tail:\n${server.outputTail()}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      await server.kill();
      const why = lastError instanceof Error ? ` (last probe error: ${lastError.message})` : "";
      throw new Error(`${name} did not answer within ${timeoutMs} ms${why}; output tail:\n${server.outputTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
