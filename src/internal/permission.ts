/**
 * Deno refuses what a program was not granted with `Deno.errors.NotCapable` (Deno 2) or
 * `PermissionDenied` (Deno 1): from `fetch` without `--allow-net`, from `Deno.env.get` without
 * `--allow-env`. Retrying cannot help, so callers turn it into a `ConfigError` naming the flag.
 * Matched by name: `Deno` does not exist on the other runtimes, and the class may be wrapped.
 */
export function isPermissionDenial(error: unknown): boolean {
  let current: unknown = error;
  // A few levels of `cause`: a polyfill or a user's fetch wrapper may wrap the runtime's error.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current.name === "NotCapable" || current.name === "PermissionDenied") return true;
    current = current.cause;
  }
  return false;
}
