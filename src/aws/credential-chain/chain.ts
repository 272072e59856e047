import { AsyncKinesisError, CredentialsError } from "../../errors.ts";
import { hasEnvironment, readEnv } from "../../internal/env.ts";
import { type RuntimeIo, runtimeIo } from "../../internal/runtime-io.ts";
import type { Credentials } from "../credentials.ts";
import { containerProvider } from "./container.ts";
import type { ChainContext, EnvReader } from "./context.ts";
import { environmentProvider } from "./environment-provider.ts";
import { instanceMetadataDisabled, instanceMetadataProvider } from "./instance-metadata.ts";
import { profileProvider } from "./profile.ts";
import type { CredentialProvider } from "./provider.ts";
import { webIdentityProvider } from "./web-identity.ts";
import { defaultFetch } from "../../internal/default-fetch.ts";

/** The AWS SDKs' order. */
export const DEFAULT_PROVIDERS: readonly CredentialProvider[] = [
  environmentProvider,
  profileProvider,
  webIdentityProvider,
  containerProvider,
  instanceMetadataProvider,
];

export interface CredentialChainOptions {
  /** The client's region: STS is called there. */
  region: string;
  fetch?: typeof fetch | undefined;
  now?: (() => number) | undefined;
  /** Environment reader; default the runtime's environment (Deno: a missing --allow-env is an error); `null`: none. */
  env?: EnvReader | null | undefined;
  /** File and process access; default the running runtime's (`null`: none, as on workerd). */
  io?: RuntimeIo | null | undefined;
  providers?: readonly CredentialProvider[] | undefined;
}

const EXPLICIT = "credentials option";

/**
 * The default credential provider: each link in turn until one has credentials. A link that is
 * configured but fails ends the search with its error (and every place looked so far); caching and
 * refreshing before `expiration` are CredentialSource's job.
 */
export function credentialChain(options: CredentialChainOptions): () => Promise<Credentials> {
  const io = options.io === null ? undefined : (options.io ?? runtimeIo());
  const noEnvironment = options.env === null || (options.env === undefined && !hasEnvironment());
  const env = options.env ?? (io === undefined ? readEnv : (name: string) => io.readEnv(name));
  const providers = options.providers ?? DEFAULT_PROVIDERS;
  const ctx: ChainContext = {
    env,
    io,
    fetch: options.fetch ?? defaultFetch,
    now: options.now ?? Date.now,
    region: options.region,
  };
  // workerd and browsers: nothing to read, so nothing but the explicit option can apply.
  const noRuntime = noEnvironment && io === undefined;
  return async () => {
    if (noRuntime) {
      throw new CredentialsError(
        "no credentials: pass `credentials` (this runtime, e.g. Cloudflare workerd, has no process environment and no file system, so only explicit credentials apply)",
        [EXPLICIT],
      );
    }
    const searched = [EXPLICIT];
    for (const provider of providers) {
      searched.push(provider.name);
      let found: Credentials | undefined;
      try {
        found = await provider.resolve(ctx);
      } catch (error) {
        throw chainFailure(error, provider, searched);
      }
      if (found !== undefined) return found;
    }
    const notes: string[] = [];
    // Node before 20.16 has no process.getBuiltinModule: say the files were not read rather than imply they were empty.
    if (io === undefined) notes.push("shared files and credential_process skipped: this runtime gives no file access (Node >= 20.16, Bun or Deno needed)");
    if (instanceMetadataDisabled(ctx)) notes.push("instance metadata skipped: AWS_EC2_METADATA_DISABLED");
    const noted = notes.length === 0 ? "" : ` (${notes.join("; ")})`;
    throw new CredentialsError(`no credentials: looked in ${searched.join(", ")}${noted}; pass \`credentials\` or configure one of them`, searched);
  };
}

function chainFailure(error: unknown, provider: CredentialProvider, searched: string[]): CredentialsError {
  const where = `(looked in ${searched.join(", ")})`;
  if (error instanceof CredentialsError) {
    return new CredentialsError(`${error.message} ${where}`, [...searched], error.cause === undefined ? undefined : { cause: error.cause });
  }
  // Deno permission denials arrive as ConfigErrors naming the flag: keep their words.
  const detail = error instanceof AsyncKinesisError || error instanceof Error ? error.message : String(error);
  return new CredentialsError(`${provider.name}: ${detail} ${where}`, [...searched], { cause: error });
}
