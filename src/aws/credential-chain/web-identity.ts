import { CredentialsError } from "../../errors.ts";
import type { Credentials } from "../credentials.ts";
import type { ChainContext } from "./context.ts";
import type { CredentialProvider } from "./provider.ts";
import { stsCredentials } from "./sts.ts";

export interface WebIdentityRole {
  tokenFile: string;
  roleArn: string;
  sessionName: string | undefined;
  region: string;
  /** For messages: where the settings came from. */
  purpose: string;
}

/** Read the (rotating) token file afresh and exchange it at STS, unsigned, for the role's credentials. */
export async function assumeRoleWithWebIdentity(ctx: ChainContext, role: WebIdentityRole): Promise<Credentials> {
  if (ctx.io === undefined) throw new CredentialsError(`${role.purpose}: this runtime cannot read files`, [role.purpose]);
  const token = (await ctx.io.readTextFile(role.tokenFile))?.trim();
  if (token === undefined || token === "") {
    throw new CredentialsError(`${role.purpose}: the web identity token file ${role.tokenFile} is missing or empty`, [role.purpose]);
  }
  return stsCredentials(ctx, {
    action: "AssumeRoleWithWebIdentity",
    params: { RoleArn: role.roleArn, RoleSessionName: role.sessionName ?? `async-kinesis-${ctx.now()}`, WebIdentityToken: token },
    region: role.region,
    signWith: undefined,
    secrets: [token],
    purpose: role.purpose,
  });
}

/** EKS IRSA and friends: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`). */
export const webIdentityProvider: CredentialProvider = {
  name: "AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (STS AssumeRoleWithWebIdentity)",
  async resolve(ctx) {
    const tokenFile = ctx.env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const roleArn = ctx.env("AWS_ROLE_ARN");
    if (tokenFile === undefined || roleArn === undefined) return undefined;
    return assumeRoleWithWebIdentity(ctx, {
      tokenFile,
      roleArn,
      sessionName: ctx.env("AWS_ROLE_SESSION_NAME"),
      region: ctx.region,
      purpose: "AWS_WEB_IDENTITY_TOKEN_FILE",
    });
  },
};
