import { ConfigError } from "../errors.ts";
import { builtinModuleLoader, readEnv, runtimeProcess } from "./env.ts";

/**
 * The one place that reads files and starts processes, for the credential chain's shared files and
 * `credential_process`. Deno, Bun and Node each expose this differently; workerd and browsers have
 * none of it, and `runtimeIo()` then answers `undefined`. Nothing here runs at import time, and Node's
 * modules are reached through `builtinModuleLoader` (src/internal/env.ts, Node >= 20.16), never a static import.
 */
export interface RuntimeIo {
  readonly runtime: "deno" | "bun" | "node";
  /** The file's text, or `undefined` when it does not exist. A permission denial is a ConfigError naming the flag. */
  readTextFile(path: string): Promise<string | undefined>;
  /** As `readTextFile`, blocking: only for the region, which a client needs in its constructor. */
  readTextFileSync(path: string): string | undefined;
  /** The user's home directory as the runtime reports it, when the environment variables do not say. */
  homeDirectory(): string | undefined;
  /** Run `command` through the platform shell (as the AWS SDKs run `credential_process`). */
  runShell(command: string): Promise<ShellResult>;
  /** One environment variable; on Deno a missing --allow-env is a ConfigError naming the flag, not "unset". */
  readEnv(name: string): string | undefined;
}

export interface ShellResult {
  exitCode: number;
  stdout: string;
}

interface DenoErrorLike {
  name?: string;
}
interface DenoGlobal {
  readTextFile(path: string): Promise<string>;
  readTextFileSync(path: string): string;
  env: { get(name: string): string | undefined };
  build: { os: string };
  Command: new (
    program: string,
    options: { args: string[]; stdout: "piped"; stderr: "piped"; stdin: "null" },
  ) => { output(): Promise<{ code: number; stdout: Uint8Array }> };
}
interface BunGlobal {
  file(path: string): { text(): Promise<string> };
  spawn(
    command: string[],
    options: { stdout: "pipe"; stderr: "pipe"; stdin: "ignore" },
  ): { exited: Promise<number>; stdout: ReadableStream<Uint8Array> };
}
interface NodeFs {
  readFileSync(path: string, encoding: "utf8"): string;
  promises: { readFile(path: string, encoding: "utf8"): Promise<string> };
}
interface NodeChildProcess {
  exec(
    command: string,
    options: { encoding: "utf8"; maxBuffer: number; windowsHide: boolean },
    callback: (error: { code?: unknown } | null, stdout: string, stderr: string) => void,
  ): unknown;
}
interface NodeOs {
  homedir(): string;
}

/** The running runtime's file and process access, or `undefined` where there is none (workerd, browsers). */
export function runtimeIo(): RuntimeIo | undefined {
  const globals = globalThis as { Deno?: DenoGlobal; Bun?: BunGlobal };
  if (globals.Deno?.readTextFile !== undefined) return denoIo(globals.Deno);
  const load = builtinModuleLoader();
  if (load === undefined) return undefined;
  const windows = (runtimeProcess() as { platform?: string } | undefined)?.platform === "win32";
  if (globals.Bun?.file !== undefined) return bunIo(globals.Bun, load, windows);
  return nodeIo(load);
}

function denoIo(deno: DenoGlobal): RuntimeIo {
  const windows = deno.build.os === "windows";
  return {
    runtime: "deno",
    async readTextFile(path) {
      try {
        return await deno.readTextFile(path);
      } catch (error) {
        return missingOrThrow(error, `reading ${path}`);
      }
    },
    readTextFileSync(path) {
      try {
        return deno.readTextFileSync(path);
      } catch (error) {
        return missingOrThrow(error, `reading ${path}`);
      }
    },
    homeDirectory: () => undefined,
    async runShell(command) {
      const [program, args] = shellFor(command, windows);
      try {
        const output = await new deno.Command(program, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
        return { exitCode: output.code, stdout: new TextDecoder().decode(output.stdout) };
      } catch (error) {
        throw denied(error, "running credential_process") ?? error;
      }
    },
    readEnv(name) {
      try {
        const value = deno.env.get(name);
        return value === undefined || value === "" ? undefined : value;
      } catch (error) {
        throw denied(error, `reading the environment variable ${name}`) ?? error;
      }
    },
  };
}

/** Bun: Node's file and home-directory access (Bun implements them), with Bun's own file reader and spawn. */
function bunIo(bun: BunGlobal, load: <T>(name: string) => T, windows: boolean): RuntimeIo {
  return {
    ...nodeIo(load),
    runtime: "bun",
    async readTextFile(path) {
      try {
        return await bun.file(path).text();
      } catch (error) {
        return missingOrThrow(error, `reading ${path}`);
      }
    },
    async runShell(command) {
      const [program, args] = shellFor(command, windows);
      const child = bun.spawn([program, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
      const [stdout, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      return { exitCode, stdout };
    },
  };
}

function nodeIo(load: <T>(name: string) => T): RuntimeIo {
  const fs = (): NodeFs => load<NodeFs>("node:fs");
  return {
    runtime: "node",
    async readTextFile(path) {
      try {
        return await fs().promises.readFile(path, "utf8");
      } catch (error) {
        return missingOrThrow(error, `reading ${path}`);
      }
    },
    readTextFileSync(path) {
      try {
        return fs().readFileSync(path, "utf8");
      } catch (error) {
        return missingOrThrow(error, `reading ${path}`);
      }
    },
    homeDirectory: () => load<NodeOs>("node:os").homedir(),
    runShell(command) {
      const childProcess = load<NodeChildProcess>("node:child_process");
      return new Promise((resolve, reject) => {
        // `exec` runs the platform shell, as the SDKs do for credential_process.
        childProcess.exec(command, { encoding: "utf8", maxBuffer: 1024 * 1024, windowsHide: true }, (error, stdout) => {
          if (error === null) resolve({ exitCode: 0, stdout });
          else if (typeof error.code === "number") resolve({ exitCode: error.code, stdout });
          else reject(error as unknown as Error);
        });
      });
    },
    readEnv,
  };
}

function shellFor(command: string, windows: boolean): [string, string[]] {
  return windows ? ["cmd.exe", ["/d", "/s", "/c", command]] : ["/bin/sh", ["-c", command]];
}

/** "No such file" is an answer (the file is optional); anything else, a denial above all, is an error. */
function missingOrThrow(error: unknown, what: string): undefined {
  const name = (error as DenoErrorLike | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  if (name === "NotFound" || code === "ENOENT" || code === "ENOTDIR") return undefined;
  throw denied(error, what) ?? error;
}

const DENO_FLAG_BY_ACTION: ReadonlyArray<[RegExp, string]> = [
  [/^reading the environment/, "--allow-env"],
  [/^reading /, "--allow-read"],
  [/^running /, "--allow-run"],
];

/** Deno's permission errors (`NotCapable` since 2.0, `PermissionDenied` before) become a ConfigError naming the flag. */
function denied(error: unknown, what: string): ConfigError | undefined {
  const name = (error as DenoErrorLike | null)?.name;
  if (name !== "NotCapable" && name !== "PermissionDenied") return undefined;
  const flag = DENO_FLAG_BY_ACTION.find(([pattern]) => pattern.test(what))?.[1] ?? "the matching --allow-* flag";
  return new ConfigError("Deno permissions", `${what} was refused: run Deno with ${flag} (or pass \`credentials\` and \`region\` explicitly)`);
}
