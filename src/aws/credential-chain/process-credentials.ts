import { CredentialsError } from "../../errors.ts";
import type { RuntimeIo } from "../../internal/runtime-io.ts";
import type { Credentials } from "../credentials.ts";
import { credentialsFromJson } from "./credentials-json.ts";

/**
 * Run a profile's `credential_process` and read its JSON (`Version: 1`, `AccessKeyId`,
 * `SecretAccessKey`, optional `SessionToken` and `Expiration`). The command line and the process's
 * output are never quoted in errors: either may hold secrets.
 */
export async function processCredentials(io: RuntimeIo, command: string, profile: string, now: number): Promise<Credentials> {
  const source = `credential_process of profile "${profile}"`;
  let result: { exitCode: number; stdout: string };
  try {
    result = await io.runShell(command);
  } catch (cause) {
    throw new CredentialsError(`${source} could not be started: ${cause instanceof Error ? cause.message : String(cause)}`, [source], { cause });
  }
  if (result.exitCode !== 0) throw new CredentialsError(`${source} exited with code ${result.exitCode}`, [source]);
  let version: unknown;
  try {
    version = (JSON.parse(result.stdout) as { Version?: unknown }).Version;
  } catch {
    throw new CredentialsError(`${source} printed something other than JSON`, [source]);
  }
  if (version !== 1) throw new CredentialsError(`${source} printed Version ${JSON.stringify(version)}; only Version 1 is supported`, [source]);
  return credentialsFromJson(result.stdout, source, "SessionToken", now);
}
