import type { RuntimeIo } from "../../internal/runtime-io.ts";

/** Reads one environment variable (`undefined` when unset or empty). */
export type EnvReader = (name: string) => string | undefined;

/**
 * Everything the credential providers touch, injected so tests point them at temp files, fake servers
 * and a made-up environment without touching the real one.
 */
export interface ChainContext {
  env: EnvReader;
  /** File and process access; `undefined` on runtimes without any (workerd, browsers). */
  io: RuntimeIo | undefined;
  fetch: typeof fetch;
  /** Wall clock, epoch ms: default session names and "already expired" checks. */
  now: () => number;
  /** The region STS is called in: the client's (option, AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1). */
  region: string;
}
