import { CredentialsError } from "../../errors.ts";
import type { Credentials } from "../credentials.ts";
import type { ChainContext } from "./context.ts";
import { credentialsFromJson } from "./credentials-json.ts";
import type { CredentialProvider } from "./provider.ts";
import { failureText, timedFetchWithRetry } from "./timed-fetch.ts";

const ECS_HOST = "http://169.254.170.2";
/** Plain-http hosts the SDKs accept for a full URI: the ECS and EKS agents and loopback. */
const AGENT_HOSTS: ReadonlySet<string> = new Set(["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "localhost", "[::1]"]);
const TIMEOUT_MS = 1_000;
const RETRIES = 1;
const SOURCE = "container credentials";

/**
 * ECS task roles (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, on the ECS agent at 169.254.170.2) and EKS Pod
 * Identity (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `_TOKEN`).
 */
export const containerProvider: CredentialProvider = {
  name: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS, EKS Pod Identity)",
  async resolve(ctx) {
    const url = containerCredentialsUrl(ctx);
    return url === undefined ? undefined : containerCredentials(ctx, url);
  },
};

/** The relative URI on the ECS agent (it wins, as in the SDKs), else the checked full URI, else `undefined`. */
export function containerCredentialsUrl(ctx: ChainContext): string | undefined {
  const relative = ctx.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  if (relative !== undefined) return `${ECS_HOST}${relative}`;
  const full = ctx.env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  return full === undefined ? undefined : checkedFullUri(full);
}

export async function containerCredentials(ctx: ChainContext, url: string): Promise<Credentials> {
  const headers: Record<string, string> = {};
  const authorization = await authorizationToken(ctx);
  if (authorization !== undefined) headers["Authorization"] = authorization;
  let answer: { status: number; text: string };
  try {
    answer = await timedFetchWithRetry(ctx.fetch, url, { method: "GET", headers }, TIMEOUT_MS, RETRIES);
  } catch (cause) {
    throw new CredentialsError(`${SOURCE} endpoint ${url} did not answer: ${failureText(cause)}`, [SOURCE], { cause });
  }
  if (answer.status !== 200) throw new CredentialsError(`${SOURCE} endpoint ${url} answered HTTP ${answer.status}`, [SOURCE]);
  return credentialsFromJson(answer.text, `${SOURCE} endpoint ${url}`, "Token", ctx.now());
}

/** The token file wins over the variable (EKS rotates the file), as in the SDKs; read afresh each time. */
async function authorizationToken(ctx: ChainContext): Promise<string | undefined> {
  const file = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  let token: string | undefined;
  if (file !== undefined) {
    if (ctx.io === undefined) throw new CredentialsError(`${SOURCE}: this runtime cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, [SOURCE]);
    token = (await ctx.io.readTextFile(file))?.trim();
    if (token === undefined) throw new CredentialsError(`${SOURCE}: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${file} does not exist`, [SOURCE]);
  } else {
    token = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token !== undefined && /[\r\n]/.test(token)) throw new CredentialsError(`${SOURCE}: the authorization token holds a line break`, [SOURCE]);
  return token === "" ? undefined : token;
}

/**
 * Over https any host is fine; over plain http only the container agents and loopback, so a
 * misconfigured variable cannot send the authorization token across a network in clear text.
 */
function checkedFullUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CredentialsError(`${SOURCE}: AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL`, [SOURCE]);
  }
  if (url.protocol === "https:") return value;
  if (url.protocol === "http:" && (AGENT_HOSTS.has(url.hostname) || isLoopbackV4(url.hostname))) return value;
  throw new CredentialsError(
    `${SOURCE}: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must point at loopback (127.0.0.0/8, [::1]) or the ECS/EKS agent (169.254.170.2, 169.254.170.23, [fd00:ec2::23]); got host ${url.hostname}`,
    [SOURCE],
  );
}

function isLoopbackV4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts[0] === "127" && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}
