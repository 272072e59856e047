import type { Credentials } from "../credentials.ts";
import type { ChainContext } from "./context.ts";

/**
 * One link of the chain. `resolve` answers `undefined` when its source is not configured (the chain
 * goes on to the next link) and throws a CredentialsError when it is configured but fails (the chain
 * stops there, as the SDKs do: a broken profile must not silently fall through to another identity).
 */
export interface CredentialProvider {
  /** Where it looks, for "looked in ..." messages. */
  readonly name: string;
  resolve(ctx: ChainContext): Promise<Credentials | undefined>;
}
