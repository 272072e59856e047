import { CredentialsError } from "../../errors.ts";
import type { Credentials } from "../credentials.ts";
import { containerCredentials, containerCredentialsUrl } from "./container.ts";
import type { ChainContext } from "./context.ts";
import { instanceMetadataCredentials } from "./instance-metadata.ts";
import { processCredentials } from "./process-credentials.ts";
import type { CredentialProvider } from "./provider.ts";
import { type Profile, readSharedFiles, selectedProfile, type SharedFiles } from "./shared-files.ts";
import { stsCredentials } from "./sts.ts";
import { assumeRoleWithWebIdentity } from "./web-identity.ts";

const NAME = "shared credentials and config files (AWS_PROFILE, ~/.aws/credentials, ~/.aws/config)";

/**
 * The profile named by `AWS_PROFILE` (else `default`) in the shared files, resolved as the SDKs do:
 * `role_arn` with `source_profile` or `credential_source` (STS AssumeRole), static keys,
 * `web_identity_token_file` with `role_arn`, then `credential_process`. A profile that exists but
 * holds none of these lets the chain go on (it may only set `region`); a profile named in
 * `AWS_PROFILE` that exists in neither file is an error, since it is almost surely a typo.
 */
export const profileProvider: CredentialProvider = {
  name: NAME,
  async resolve(ctx) {
    if (ctx.io === undefined) return undefined;
    const files = await readSharedFiles(ctx.env, ctx.io);
    const { name, explicit } = selectedProfile(ctx.env);
    const profile = files.profiles.get(name);
    if (profile === undefined) {
      if (!explicit) return undefined;
      throw new CredentialsError(`AWS_PROFILE names profile "${name}", which is in neither ${describeFiles(files)}`, [NAME]);
    }
    return resolveProfile(ctx, files, name, []);
  },
};

/** The credentials `name` stands for, or `undefined` when it holds no credential settings. `visited` catches loops. */
async function resolveProfile(ctx: ChainContext, files: SharedFiles, name: string, visited: string[]): Promise<Credentials | undefined> {
  const profile = files.profiles.get(name);
  if (profile === undefined) {
    throw new CredentialsError(`profile "${visited.at(-1) ?? name}" names source_profile "${name}", which is in neither ${describeFiles(files)}`, [NAME]);
  }
  // A source profile with keys of its own is used for its keys, even if it also has a role_arn (as in the SDKs).
  if (visited.length > 0 && hasStaticKeys(profile)) return staticKeys(profile);
  if (profile.has("role_arn") && (profile.has("source_profile") || profile.has("credential_source"))) {
    return assumeProfileRole(ctx, files, name, profile, visited);
  }
  if (hasStaticKeys(profile)) return staticKeys(profile);
  const roleArn = profile.get("role_arn");
  const tokenFile = profile.get("web_identity_token_file");
  if (roleArn !== undefined && tokenFile !== undefined) {
    return assumeRoleWithWebIdentity(ctx, {
      tokenFile,
      roleArn,
      sessionName: profile.get("role_session_name"),
      region: ctx.region,
      purpose: `profile "${name}"`,
    });
  }
  const command = profile.get("credential_process");
  if (command !== undefined && ctx.io !== undefined) return processCredentials(ctx.io, command, name, ctx.now());
  if (profile.has("sso_session") || profile.has("sso_start_url")) {
    throw new CredentialsError(
      `profile "${name}" uses IAM Identity Center (SSO), which this library does not read; add \`credential_process = aws configure export-credentials --profile ${name} --format process\` to a profile and use that one`,
      [NAME],
    );
  }
  if (visited.length > 0) throw new CredentialsError(`source_profile "${name}" (of profile "${visited.at(-1)}") holds no credentials`, [NAME]);
  return undefined;
}

async function assumeProfileRole(ctx: ChainContext, files: SharedFiles, name: string, profile: Profile, visited: string[]): Promise<Credentials> {
  const sourceProfile = profile.get("source_profile");
  const credentialSource = profile.get("credential_source");
  if (sourceProfile !== undefined && credentialSource !== undefined) {
    throw new CredentialsError(`profile "${name}" sets both source_profile and credential_source; keep one`, [NAME]);
  }
  if (profile.has("mfa_serial")) {
    throw new CredentialsError(
      `profile "${name}" needs an MFA code (mfa_serial), which a library cannot prompt for; use a credential_process that asks for it`,
      [NAME],
    );
  }
  let source: Credentials | undefined;
  if (sourceProfile !== undefined) {
    if (visited.includes(sourceProfile) || (sourceProfile === name && !hasStaticKeys(profile))) {
      throw new CredentialsError(`profiles form a source_profile loop: ${[...visited, name, sourceProfile].join(" -> ")}`, [NAME]);
    }
    source = sourceProfile === name ? staticKeys(profile) : await resolveProfile(ctx, files, sourceProfile, [...visited, name]);
  } else {
    source = await credentialSourceCredentials(ctx, name, credentialSource!);
  }
  if (source === undefined) throw new CredentialsError(`profile "${name}": its source credentials are missing`, [NAME]);
  const params: Record<string, string> = {
    RoleArn: profile.get("role_arn")!,
    RoleSessionName: profile.get("role_session_name") ?? `async-kinesis-${ctx.now()}`,
  };
  const externalId = profile.get("external_id");
  if (externalId !== undefined) params["ExternalId"] = externalId;
  const duration = profile.get("duration_seconds");
  if (duration !== undefined) params["DurationSeconds"] = duration;
  return stsCredentials(ctx, { action: "AssumeRole", params, region: ctx.region, signWith: source, secrets: [], purpose: `profile "${name}"` });
}

/** `credential_source`: where a role profile's own credentials come from when it has no source_profile. */
async function credentialSourceCredentials(ctx: ChainContext, name: string, credentialSource: string): Promise<Credentials> {
  switch (credentialSource) {
    case "Environment": {
      const accessKeyId = ctx.env("AWS_ACCESS_KEY_ID");
      const secretAccessKey = ctx.env("AWS_SECRET_ACCESS_KEY");
      if (accessKeyId === undefined || secretAccessKey === undefined) {
        throw new CredentialsError(`profile "${name}": credential_source = Environment, but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set`, [NAME]);
      }
      return { accessKeyId, secretAccessKey, sessionToken: ctx.env("AWS_SESSION_TOKEN") };
    }
    case "Ec2InstanceMetadata":
      return instanceMetadataCredentials(ctx);
    case "EcsContainer": {
      const resolved = containerCredentialsUrl(ctx);
      if (resolved === undefined) {
        throw new CredentialsError(`profile "${name}": credential_source = EcsContainer, but no AWS_CONTAINER_CREDENTIALS_* variable is set`, [NAME]);
      }
      return containerCredentials(ctx, resolved);
    }
    default:
      throw new CredentialsError(`profile "${name}": credential_source must be Environment, Ec2InstanceMetadata or EcsContainer (got "${credentialSource}")`, [
        NAME,
      ]);
  }
}

function hasStaticKeys(profile: Profile): boolean {
  return profile.has("aws_access_key_id") && profile.has("aws_secret_access_key");
}

function staticKeys(profile: Profile): Credentials {
  return {
    accessKeyId: profile.get("aws_access_key_id")!,
    secretAccessKey: profile.get("aws_secret_access_key")!,
    sessionToken: profile.get("aws_session_token"),
  };
}

function describeFiles(files: SharedFiles): string {
  return `${files.credentialsPath ?? "(no credentials file: no home directory)"} nor ${files.configPath ?? "(no config file: no home directory)"}`;
}
