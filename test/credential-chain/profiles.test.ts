import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveRegion } from "../../src/aws/client-options.ts";
import { CredentialsError } from "../../src/errors.ts";
import { runtimeIo } from "../../src/internal/runtime-io.ts";
import { type FakeServer, startFakeSts } from "../support/fake-credential-servers.ts";
import { chainIn, envOf, HOUR, isoIn, loopbackFetch, type TempHome, tempHome } from "./world.ts";

const ROLE_KEYS = { accessKeyId: "ASIAROLE", secretAccessKey: "role-secret", sessionToken: "role-token", expiration: isoIn(HOUR) };

describe("credential chain: shared files", () => {
  let home: TempHome;
  let sts: FakeServer;
  beforeEach(async () => {
    home = await tempHome();
    sts = await startFakeSts(() => ROLE_KEYS);
  });
  afterEach(async () => {
    await sts.close();
    await home.dispose();
  });

  it("reads static keys of the default profile from ~/.aws/credentials", async () => {
    await home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n");
    expect(await chainIn({ HOME: home.home })()).toMatchObject({ accessKeyId: "AKIDDEFAULT", secretAccessKey: "default-secret" });
  });

  it("finds AWS_PROFILE as [profile x] in the config file and [x] in the credentials file, the credentials file winning", async () => {
    const config = await home.write("cfg", "[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = config-secret\nregion = ap-south-1\n");
    const credentials = await home.write("creds", "# comment\n[dev]\naws_access_key_id = AKIDCREDS ; trailing comment\n");
    const env = { AWS_PROFILE: "dev", AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
    expect(await chainIn(env)()).toMatchObject({ accessKeyId: "AKIDCREDS", secretAccessKey: "config-secret" });
  });

  it("environment keys win over the files, unless AWS_PROFILE names a profile (as the SDK v3 chain does)", async () => {
    await home.write(
      ".aws/credentials",
      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s\n",
    );
    const keys = { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "env-secret", HOME: home.home };
    expect((await chainIn(keys)()).accessKeyId).toBe("AKIDENV");
    expect((await chainIn({ ...keys, AWS_PROFILE: "other" })()).accessKeyId).toBe("AKIDOTHER");
  });

  it("a profile named in AWS_PROFILE that exists nowhere is an error naming it, not a fall-through", async () => {
    const error = await chainIn({ HOME: home.home, AWS_PROFILE: "typo" })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('profile "typo"');
  });

  it("role_arn + source_profile: AssumeRole signed with the source profile's keys, form-encoded, at AWS_ENDPOINT_URL_STS", async () => {
    await home.write(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
    await home.write(
      ".aws/config",
      "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\nrole_session_name = sess\nexternal_id = ext-1\n",
    );
    const got = await chainIn({ HOME: home.home, AWS_PROFILE: "app", AWS_ENDPOINT_URL_STS: sts.url })();
    expect(got).toEqual({ accessKeyId: "ASIAROLE", secretAccessKey: "role-secret", sessionToken: "role-token", expiration: new Date(ROLE_KEYS.expiration) });
    const [request] = sts.requests;
    const form = Object.fromEntries(new URLSearchParams(request!.body));
    expect(form).toEqual({
      Action: "AssumeRole",
      Version: "2011-06-15",
      RoleArn: "arn:aws:iam::123456789012:role/app",
      RoleSessionName: "sess",
      ExternalId: "ext-1",
    });
    expect(request!.headers["authorization"]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDBASE\/\d{8}\/eu-west-1\/sts\/aws4_request/);
  });

  it("AssumeRole is signed at the chain's clock (the client's), not the runtime's Date", async () => {
    await home.write(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
    await home.write(".aws/config", "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n");
    const fixedNow = Date.UTC(2021, 2, 4, 5, 6, 7, 890);
    await chainIn({ HOME: home.home, AWS_PROFILE: "app", AWS_ENDPOINT_URL_STS: sts.url }, loopbackFetch(), () => fixedNow)();
    expect(sts.requests[0]!.headers["x-amz-date"]).toBe("20210304T050607Z");
    expect(sts.requests[0]!.headers["authorization"]).toContain("Credential=AKIDBASE/20210304/eu-west-1/sts/aws4_request");
  });

  it("chained roles assume each role in turn, and a source_profile loop is an error", async () => {
    await home.write(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
    await home.write(
      ".aws/config",
      "[profile first]\nrole_arn = arn:aws:iam::1:role/first\nsource_profile = base\n[profile second]\nrole_arn = arn:aws:iam::1:role/second\nsource_profile = first\n" +
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n",
    );
    await chainIn({ HOME: home.home, AWS_PROFILE: "second", AWS_ENDPOINT_URL_STS: sts.url })();
    expect(sts.requests.map((r) => new URLSearchParams(r.body).get("RoleArn"))).toEqual(["arn:aws:iam::1:role/first", "arn:aws:iam::1:role/second"]);
    expect(sts.requests[1]!.headers["authorization"]).toContain("Credential=ASIAROLE/");
    const loop = await chainIn({ HOME: home.home, AWS_PROFILE: "a", AWS_ENDPOINT_URL_STS: sts.url })().catch((e: unknown) => e);
    expect((loop as Error).message).toContain("loop");
  });

  it("credential_source = Environment signs AssumeRole with the environment's keys", async () => {
    await home.write(".aws/config", "[profile envrole]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n");
    const env = { HOME: home.home, AWS_PROFILE: "envrole", AWS_ACCESS_KEY_ID: "AKIDFROMENV", AWS_SECRET_ACCESS_KEY: "s", AWS_ENDPOINT_URL_STS: sts.url };
    expect((await chainIn(env)()).accessKeyId).toBe("ASIAROLE");
    expect(sts.requests[0]!.headers["authorization"]).toContain("Credential=AKIDFROMENV/");
  });

  it("credential_process: Version 1 JSON with SessionToken and Expiration; another Version or a failed exit is a CredentialsError", async () => {
    const expiration = isoIn(HOUR);
    const json = JSON.stringify({ Version: 1, AccessKeyId: "AKIDPROC", SecretAccessKey: "proc-secret", SessionToken: "proc-token", Expiration: expiration });
    const script = await home.write("creds.json", json);
    const v2 = await home.write("v2.json", JSON.stringify({ Version: 2, AccessKeyId: "A", SecretAccessKey: "proc-secret" }));
    await home.write(
      ".aws/config",
      `[default]\ncredential_process = cat ${script}\n[profile v2]\ncredential_process = cat ${v2}\n[profile fails]\ncredential_process = sh -c 'exit 3'\n`,
    );
    expect(await chainIn({ HOME: home.home })()).toEqual({
      accessKeyId: "AKIDPROC",
      secretAccessKey: "proc-secret",
      sessionToken: "proc-token",
      expiration: new Date(expiration),
    });
    const wrongVersion = await chainIn({ HOME: home.home, AWS_PROFILE: "v2" })().catch((e: unknown) => e);
    expect((wrongVersion as Error).message).toContain("Version 2");
    expect((wrongVersion as Error).message).not.toContain("proc-secret");
    const failed = await chainIn({ HOME: home.home, AWS_PROFILE: "fails" })().catch((e: unknown) => e);
    expect((failed as Error).message).toContain("exited with code 3");
  });

  it("an STS error that echoes the source secret and token never shows them", async () => {
    const echo = await startFakeSts((form, request) => ({
      errorCode: "AccessDenied",
      message: `not allowed; you sent ${request.headers["authorization"] ?? ""} with token ${String(request.headers["x-amz-security-token"])} for ${
        form.get("RoleArn")
      } and secret base-secret-VALUE`,
    }));
    try {
      await home.write(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret-VALUE\naws_session_token = base-session-TOKEN\n",
      );
      await home.write(".aws/config", "[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = base\n");
      const error = await chainIn({ HOME: home.home, AWS_PROFILE: "app", AWS_ENDPOINT_URL_STS: echo.url })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CredentialsError);
      const message = (error as Error).message;
      expect(message).toContain("AccessDenied");
      expect(message).toContain("[redacted]");
      expect(message).not.toContain("base-secret-VALUE");
      expect(message).not.toContain("base-session-TOKEN");
    } finally {
      await echo.close();
    }
  });

  it("the region comes from the profile when AWS_REGION and AWS_DEFAULT_REGION are unset", async () => {
    await home.write(".aws/config", "[default]\nregion = eu-central-1\n[profile tokyo]\nregion = ap-northeast-1\n");
    const io = runtimeIo()!;
    expect(resolveRegion(undefined, { env: envOf({ HOME: home.home }), io })).toBe("eu-central-1");
    expect(resolveRegion(undefined, { env: envOf({ HOME: home.home, AWS_PROFILE: "tokyo" }), io })).toBe("ap-northeast-1");
    expect(resolveRegion(undefined, { env: envOf({ HOME: home.home, AWS_REGION: "us-west-2" }), io })).toBe("us-west-2");
    expect(resolveRegion(undefined, { env: envOf({ HOME: home.path("nowhere") }), io })).toBe("us-east-1");
  });
});
