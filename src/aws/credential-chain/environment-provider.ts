import type { CredentialProvider } from "./provider.ts";

/**
 * `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION`).
 * As in the AWS SDK for JavaScript v3, a set `AWS_PROFILE` means "use that profile": the keys are
 * then skipped rather than silently winning over the profile the user named.
 */
export const environmentProvider: CredentialProvider = {
  name: "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables",
  async resolve(ctx) {
    if (ctx.env("AWS_PROFILE") !== undefined) return undefined;
    const accessKeyId = ctx.env("AWS_ACCESS_KEY_ID");
    const secretAccessKey = ctx.env("AWS_SECRET_ACCESS_KEY");
    if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
    const sessionToken = ctx.env("AWS_SESSION_TOKEN");
    const expiration = ctx.env("AWS_CREDENTIAL_EXPIRATION");
    const expires = expiration === undefined ? undefined : new Date(expiration);
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      ...(expires !== undefined && Number.isFinite(expires.getTime()) ? { expiration: expires } : {}),
    };
  },
};
