import { AwsV4Signer } from "aws4fetch";
import { CredentialsError } from "../../errors.ts";
import { type Credentials, redactSecrets } from "../credentials.ts";
import { amzDate } from "../signer.ts";
import type { ChainContext, EnvReader } from "./context.ts";
import { failureText, timedFetch } from "./timed-fetch.ts";
import { xmlText } from "./xml-text.ts";

const STS_TIMEOUT_MS = 10_000;

/** What one STS call needs besides the context. */
export interface StsRequest {
  action: "AssumeRole" | "AssumeRoleWithWebIdentity";
  params: Record<string, string>;
  region: string;
  /** Credentials to sign with; AssumeRoleWithWebIdentity is unsigned (the token is the proof). */
  signWith: Credentials | undefined;
  /** Values that must never reach an error message (the web identity token). */
  secrets: string[];
  /** For error messages: "profile dev" or "AWS_WEB_IDENTITY_TOKEN_FILE". */
  purpose: string;
}

/** `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then the regional endpoint (the partition's suffix). */
export function stsEndpoint(env: EnvReader, region: string): string {
  const configured = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.toLowerCase() === "true"
    ? undefined
    : (env("AWS_ENDPOINT_URL_STS") ?? env("AWS_ENDPOINT_URL"));
  if (configured !== undefined) return configured.trim().replace(/\/+$/, "");
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sts.${region}.${suffix}`;
}

/**
 * One STS query-protocol call (form-encoded POST, XML answer) that returns temporary credentials.
 * Only the four credential fields and the error's Code/Message are read from the answer.
 */
export async function stsCredentials(ctx: ChainContext, request: StsRequest): Promise<Credentials> {
  const endpoint = stsEndpoint(ctx.env, request.region);
  const body = new URLSearchParams({ Action: request.action, Version: "2011-06-15", ...request.params }).toString();
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
  let signedHeaders = headers;
  if (request.signWith !== undefined) {
    const signer = new AwsV4Signer({
      method: "POST",
      url: `${endpoint}/`,
      headers,
      body,
      accessKeyId: request.signWith.accessKeyId,
      secretAccessKey: request.signWith.secretAccessKey,
      ...(request.signWith.sessionToken === undefined ? {} : { sessionToken: request.signWith.sessionToken }),
      service: "sts",
      region: request.region,
      // The client's clock, not aws4fetch's `new Date()`: a corrected or test clock decides the signing time.
      datetime: amzDate(ctx.now()),
    });
    signedHeaders = Object.fromEntries((await signer.sign()).headers);
  }
  const redact = (text: string): string => {
    let out = redactSecrets(text, request.signWith);
    for (const secret of request.secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
    return out;
  };
  const where = `STS ${request.action} at ${endpoint} (for ${request.purpose})`;
  let answer: { status: number; text: string };
  try {
    answer = await timedFetch(ctx.fetch, `${endpoint}/`, { method: "POST", headers: signedHeaders, body }, STS_TIMEOUT_MS);
  } catch (cause) {
    throw new CredentialsError(`${where} failed: ${redact(failureText(cause))}`, [request.purpose], { cause });
  }
  if (answer.status < 200 || answer.status >= 300) {
    const code = xmlText(answer.text, "Code", "Error") ?? `HTTP ${answer.status}`;
    const message = xmlText(answer.text, "Message", "Error");
    throw new CredentialsError(`${where} failed: ${redact(code)}${message === undefined ? "" : `: ${redact(message)}`}`, [request.purpose]);
  }
  const field = (name: string): string | undefined => xmlText(answer.text, name, "Credentials");
  const accessKeyId = field("AccessKeyId");
  const secretAccessKey = field("SecretAccessKey");
  const sessionToken = field("SessionToken");
  const expiration = field("Expiration");
  if (accessKeyId === undefined || secretAccessKey === undefined || sessionToken === undefined) {
    throw new CredentialsError(`${where} answered without credentials`, [request.purpose]);
  }
  const expires = expiration === undefined ? undefined : new Date(expiration);
  return { accessKeyId, secretAccessKey, sessionToken, expiration: expires !== undefined && Number.isFinite(expires.getTime()) ? expires : undefined };
}
