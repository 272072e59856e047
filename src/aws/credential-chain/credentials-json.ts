import { CredentialsError } from "../../errors.ts";
import type { Credentials } from "../credentials.ts";

/** The field names each source uses for the session token. */
type TokenField = "Token" | "SessionToken";

/**
 * Credentials out of a JSON answer (container endpoint, instance metadata, `credential_process`).
 * Error messages name the source and the missing field, never a value.
 */
export function credentialsFromJson(text: string, source: string, tokenField: TokenField, now: number): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialsError(`${source} did not answer JSON`, [source]);
  }
  if (typeof parsed !== "object" || parsed === null) throw new CredentialsError(`${source} did not answer a JSON object`, [source]);
  const record = parsed as Record<string, unknown>;
  const accessKeyId = record["AccessKeyId"];
  const secretAccessKey = record["SecretAccessKey"];
  if (typeof accessKeyId !== "string" || accessKeyId === "" || typeof secretAccessKey !== "string" || secretAccessKey === "") {
    throw new CredentialsError(`${source} answered without AccessKeyId / SecretAccessKey`, [source]);
  }
  const token = record[tokenField];
  if (token !== undefined && token !== null && typeof token !== "string") throw new CredentialsError(`${source}: ${tokenField} is not a string`, [source]);
  const rawExpiration = record["Expiration"];
  let expiration: Date | undefined;
  if (rawExpiration !== undefined && rawExpiration !== null) {
    expiration = typeof rawExpiration === "string" ? new Date(rawExpiration) : new Date(Number.NaN);
    if (!Number.isFinite(expiration.getTime())) throw new CredentialsError(`${source}: Expiration is not an ISO 8601 date`, [source]);
    if (expiration.getTime() <= now) throw new CredentialsError(`${source} returned credentials that expired at ${expiration.toISOString()}`, [source]);
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(typeof token === "string" && token !== "" ? { sessionToken: token } : {}),
    ...(expiration === undefined ? {} : { expiration }),
  };
}
