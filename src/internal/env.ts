/**
 * The one place that touches a runtime's environment. Node and Bun expose `process.env`, Deno exposes
 * `Deno.env` (and throws without --allow-env), workerd exposes neither. Every read is guarded, so a
 * runtime without an environment simply has no values.
 */
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
  } catch {
    // Deno without --allow-env throws; treat it as "not set".
  }
  try {
    const value = globals.process?.env?.[name];
    return value === undefined || value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Whether this runtime exposes an environment at all (for error messages that say where we looked). */
export function hasEnvironment(): boolean {
  const globals = globalThis as { process?: ProcessLike; Deno?: DenoLike };
  return globals.process?.env !== undefined || globals.Deno?.env !== undefined;
}
