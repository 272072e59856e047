import {
  fromContainerMetadata,
  fromHttp,
  fromIni,
  fromInstanceMetadata,
  fromNodeProviderChain,
  fromProcess,
  fromTokenFile,
} from "@aws-sdk/credential-providers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Credentials } from "../../src/aws/credentials.ts";
import { type FakeServer, metadataJson, type SeenRequest, startFakeImds, startFakeServer, startFakeSts } from "../support/fake-credential-servers.ts";
import { chainIn, HOUR, isoIn, type TempHome, tempHome } from "./world.ts";

/**
 * Oracle: the AWS SDK's own providers read the same files and environment, pointed at the same fakes,
 * and must end with the same keys as our chain. The SDK reads `process.env`, so each test sets it and
 * the afterEach puts it back (this file runs in its own worker process, whose AWS_* were cleared).
 */

const EXPIRATION = isoIn(HOUR);

/** STS keys that depend on what was asked and who signed, so a wrong path gives different keys. */
function stsKeysFor(form: URLSearchParams, request: SeenRequest) {
  const role = (form.get("RoleArn") ?? "none").split("/").pop();
  const signer = /Credential=([^/]+)\//.exec(String(request.headers["authorization"] ?? ""))?.[1] ?? `WEB-${form.get("WebIdentityToken")}`;
  return { accessKeyId: `ASIA-${role}-${signer}`, secretAccessKey: `secret-of-${role}`, sessionToken: `token-of-${role}-${signer}`, expiration: EXPIRATION };
}

interface Comparable {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  expiration: number | undefined;
}
function comparable(c: Credentials | { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }): Comparable {
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration?.getTime() };
}

describe("oracle: @aws-sdk/credential-providers resolves the same files and environment to the same keys", () => {
  let sts: FakeServer;
  let home: TempHome;
  const saved = { ...process.env };
  beforeAll(async () => {
    sts = await startFakeSts(stsKeysFor);
  });
  afterAll(async () => {
    await sts.close();
  });
  beforeEach(async () => {
    home = await tempHome(); // a fresh directory per test: the SDK caches files by path
  });
  afterEach(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await home.dispose();
  });

  /** Set `values` in process.env for the SDK and return the same environment for ours. */
  function environment(values: Record<string, string>): Record<string, string | undefined> {
    Object.assign(process.env, values);
    return { ...process.env };
  }

  async function profileFiles(): Promise<Record<string, string>> {
    const credentials = await home.write(
      "credentials",
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n" +
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\naws_session_token = base-token\n",
    );
    const processJson = await home.write(
      "process.json",
      JSON.stringify({ Version: 1, AccessKeyId: "AKIDPROC", SecretAccessKey: "proc-secret", SessionToken: "proc-token", Expiration: EXPIRATION }),
    );
    const config = await home.write(
      "config",
      "[profile static]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = config-secret\n" +
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/first\nsource_profile = base\n" +
        "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/second\nsource_profile = role\n" +
        "[profile envrole]\nrole_arn = arn:aws:iam::123456789012:role/fromenv\ncredential_source = Environment\n" +
        `[profile proc]\ncredential_process = cat ${processJson}\n`,
    );
    return { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config, AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_STS: sts.url };
  }

  it.each(["default", "static", "base", "role", "chained", "proc"])("fromIni, profile %s", async (profile) => {
    const env = environment({ ...(await profileFiles()), AWS_PROFILE: profile });
    const sdk = await fromIni({ profile, clientConfig: { region: "eu-west-1" } })();
    const ours = await chainIn(env)();
    expect(comparable(ours)).toEqual(comparable(sdk));
  });

  it("fromIni with credential_source = Environment", async () => {
    const env = environment({ ...(await profileFiles()), AWS_PROFILE: "envrole", AWS_ACCESS_KEY_ID: "AKIDENVSRC", AWS_SECRET_ACCESS_KEY: "env-src-secret" });
    const sdk = await fromIni({ profile: "envrole", clientConfig: { region: "eu-west-1" } })();
    const ours = await chainIn(env)();
    expect(ours.accessKeyId).toBe("ASIA-fromenv-AKIDENVSRC");
    expect(comparable(ours)).toEqual(comparable(sdk));
  });

  it("fromProcess", async () => {
    const env = environment({ ...(await profileFiles()), AWS_PROFILE: "proc" });
    const sdk = await fromProcess({ profile: "proc" })();
    expect(comparable(await chainIn(env)())).toEqual(comparable(sdk));
  });

  it("fromTokenFile (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)", async () => {
    const tokenFile = await home.write("web-token", "web-token-1");
    const env = environment({
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: "arn:aws:iam::1:role/irsa",
      AWS_ROLE_SESSION_NAME: "pod",
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    const sdk = await fromTokenFile({ clientConfig: { region: "eu-west-1" } })();
    const ours = await chainIn(env)();
    expect(ours.accessKeyId).toBe("ASIA-irsa-WEB-web-token-1");
    expect(comparable(ours)).toEqual(comparable(sdk));
  });

  it("fromContainerMetadata and fromHttp (AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback with an authorization token)", async () => {
    const agent = await startFakeServer((request) =>
      request.headers["authorization"] === "pod-token"
        ? { body: metadataJson({ accessKeyId: "ASIAPOD", secretAccessKey: "pod-secret", sessionToken: "pod-session", expiration: EXPIRATION }) }
        : { status: 401, body: "" }
    );
    try {
      const env = environment({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: "pod-token" });
      const ours = comparable(await chainIn(env)());
      expect(ours.accessKeyId).toBe("ASIAPOD");
      expect(ours).toEqual(comparable(await fromContainerMetadata()()));
      expect(ours).toEqual(comparable(await fromHttp({})()));
    } finally {
      await agent.close();
    }
  });

  it("fromInstanceMetadata (AWS_EC2_METADATA_SERVICE_ENDPOINT on loopback)", async () => {
    const imds = await startFakeImds(
      "app-role",
      () => ({ accessKeyId: "ASIAEC2", secretAccessKey: "ec2-secret", sessionToken: "ec2-token", expiration: EXPIRATION }),
    );
    try {
      const env = environment({ AWS_EC2_METADATA_DISABLED: "false", AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });
      const ours = comparable(await chainIn(env)());
      expect(ours.accessKeyId).toBe("ASIAEC2");
      expect(ours).toEqual(comparable(await fromInstanceMetadata({ timeout: 1000, maxRetries: 1 })()));
    } finally {
      await imds.close();
    }
  });

  it.each([
    ["environment keys beat the default profile", { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "env-secret" }],
    ["AWS_PROFILE beats environment keys", { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "env-secret", AWS_PROFILE: "role" }],
    ["the default profile when nothing else is set", {}],
  ])("fromNodeProviderChain: %s", async (_name, extra: Record<string, string>) => {
    const env = environment({ ...(await profileFiles()), ...extra });
    const sdk = await fromNodeProviderChain({ clientConfig: { region: "eu-west-1" } })();
    expect(comparable(await chainIn(env)())).toEqual(comparable(sdk));
  });
});
