import { CredentialsError } from "../../errors.ts";
import type { Credentials } from "../credentials.ts";
import type { ChainContext } from "./context.ts";
import { credentialsFromJson } from "./credentials-json.ts";
import type { CredentialProvider } from "./provider.ts";
import { failureText, timedFetchWithRetry } from "./timed-fetch.ts";

/** Short, so a laptop (no metadata service) learns "no credentials" in about two seconds, not minutes. */
const TIMEOUT_MS = 1_000;
const RETRIES = 1;
const TOKEN_TTL_SECONDS = "21600";
const CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/";
const SOURCE = "EC2 instance metadata (IMDSv2)";

/** Whether `AWS_EC2_METADATA_DISABLED` turns the service off: any value but `false`, as in the SDKs. */
export function instanceMetadataDisabled(ctx: ChainContext): boolean {
  const value = ctx.env("AWS_EC2_METADATA_DISABLED");
  return value !== undefined && value.trim().toLowerCase() !== "false";
}

/** `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the IPv4 (or with `_ENDPOINT_MODE=IPv6`, IPv6) link-local address. */
function metadataBase(ctx: ChainContext): string {
  const configured = ctx.env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (configured !== undefined) return configured.replace(/\/+$/, "");
  const mode = ctx.env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")?.toLowerCase();
  return mode === "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
}

/**
 * The instance role's credentials, IMDSv2 only: PUT a session token, list the role, fetch its
 * credentials with the token. IMDSv1 (no token) is never used.
 */
export async function instanceMetadataCredentials(ctx: ChainContext): Promise<Credentials> {
  const base = metadataBase(ctx);
  const step = async (what: string, path: string, init: { method: string; headers: Record<string, string> }): Promise<string> => {
    let answer: { status: number; text: string };
    try {
      answer = await timedFetchWithRetry(ctx.fetch, `${base}${path}`, init, TIMEOUT_MS, RETRIES);
    } catch (cause) {
      throw new CredentialsError(`${SOURCE} at ${base} did not answer the ${what} request: ${failureText(cause)}`, [SOURCE], { cause });
    }
    if (answer.status !== 200) throw new CredentialsError(`${SOURCE} at ${base} answered the ${what} request with HTTP ${answer.status}`, [SOURCE]);
    return answer.text;
  };
  const token = await step("session token", "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS } });
  const withToken = { method: "GET", headers: { "x-aws-ec2-metadata-token": token } };
  const role = (await step("role name", CREDENTIALS_PATH, withToken)).split(/\r?\n/)[0]?.trim();
  if (role === undefined || role === "") throw new CredentialsError(`${SOURCE} at ${base}: the instance has no IAM role`, [SOURCE]);
  const text = await step("credentials", `${CREDENTIALS_PATH}${encodeURIComponent(role)}`, withToken);
  const code = codeOf(text);
  if (code !== undefined && code !== "Success") throw new CredentialsError(`${SOURCE}: role ${role} answered Code ${String(code)}`, [SOURCE]);
  return credentialsFromJson(text, `${SOURCE} role ${role}`, "Token", ctx.now());
}

function codeOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { Code?: unknown } | null)?.Code;
  } catch {
    return undefined; // credentialsFromJson reports the malformed answer
  }
}

/** The last link: skipped when `AWS_EC2_METADATA_DISABLED` is set. */
export const instanceMetadataProvider: CredentialProvider = {
  name: SOURCE,
  async resolve(ctx) {
    if (instanceMetadataDisabled(ctx)) return undefined;
    return instanceMetadataCredentials(ctx);
  },
};
