/**
 * The one place that touches a runtime's environment. Node and Bun expose `process.env`, Deno exposes
 * `Deno.env` (and throws without --allow-env), workerd exposes neither. Every read is guarded, so a
 * runtime without an environment simply has no values. Deno refusing access (no `--allow-env`) is not
 * "no value": it is a `ConfigError` naming the flag, so a denied region or key is never silently replaced.
 */
import { ConfigError } from "../errors.ts";
import { isPermissionDenial } from "./permission.ts";

interface ProcessLike {
  env?: Record<string, string | undefined>;
}
interface DenoLike {
  env?: { get(name: string): string | undefined };
}

export function readEnv(name: string): string | undefined {
  const globals = globalThis as { process?: ProcessLike; Deno?: DenoLike };
  try {
    const fromDeno = globals.Deno?.env?.get(name);
    if (fromDeno !== undefined) return fromDeno === "" ? undefined : fromDeno;
  } catch (error) {
    // Deno without --allow-env: "not set" would silently pick another region or no credentials.
    if (isPermissionDenial(error)) {
      throw new ConfigError(
        "--allow-env",
        `Deno denied reading ${name}: run with --allow-env (or list the AWS_* variables it needs), or pass the setting as an option`,
      );
    }
  }
  try {
    const value = globals.process?.env?.[name];
    return value === undefined || value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}

/**
 * Node's and Bun's `process` object, or undefined where there is none (workerd, browsers). The rest of
 * src/ reaches `process` only through here (signals, built-in modules, the platform).
 */
export function runtimeProcess(): object | undefined {
  const proc = (globalThis as { process?: unknown }).process;
  return typeof proc === "object" && proc !== null ? proc : undefined;
}

/**
 * A loader of built-in modules through `process.getBuiltinModule` (Node >= 20.16, Bun), never a static
 * `node:` import; undefined where the runtime has none (Deno without Node compat, workerd, browsers).
 */
export function builtinModuleLoader(): (<T>(name: string) => T) | undefined {
  const proc = runtimeProcess() as { getBuiltinModule?: (name: string) => unknown } | undefined;
  const builtin = proc?.getBuiltinModule;
  if (typeof builtin !== "function") return undefined;
  return <T>(name: string): T => builtin.call(proc, name) as T;
}

/** Whether this runtime exposes an environment at all (for error messages that say where we looked). */
export function hasEnvironment(): boolean {
  const globals = globalThis as { process?: ProcessLike; Deno?: DenoLike };
  return globals.process?.env !== undefined || globals.Deno?.env !== undefined;
}
