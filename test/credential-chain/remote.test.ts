import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { credentialChain } from "../../src/aws/credential-chain/chain.ts";
import { CredentialSource } from "../../src/aws/credentials.ts";
import { CredentialsError } from "../../src/errors.ts";
import { runtimeIo } from "../../src/internal/runtime-io.ts";
import { closedLoopbackEndpoint } from "../support/closed-port.ts";
import { type FakeKeys, type FakeServer, metadataJson, startFakeImds, startFakeServer, startFakeSts } from "../support/fake-credential-servers.ts";
import { chainIn, envOf, HOUR, isoIn, loopbackFetch, type TempHome, tempHome } from "./world.ts";

const keys = (id: string): FakeKeys => ({ accessKeyId: id, secretAccessKey: `${id}-secret`, sessionToken: `${id}-token`, expiration: isoIn(HOUR) });

describe("credential chain: web identity, containers, instance metadata", () => {
  let home: TempHome;
  const servers: FakeServer[] = [];
  beforeEach(async () => {
    home = await tempHome();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await home.dispose();
  });
  const serve = async (server: Promise<FakeServer>): Promise<FakeServer> => {
    const started = await server;
    servers.push(started);
    return started;
  };

  it("AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: unsigned AssumeRoleWithWebIdentity with the file's token and session name", async () => {
    const sts = await serve(startFakeSts(() => keys("ASIAWEB")));
    const tokenFile = await home.write("token", "eyJ.web.token\n");
    const env = {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: "arn:aws:iam::1:role/irsa",
      AWS_ROLE_SESSION_NAME: "pod-1",
      AWS_ENDPOINT_URL_STS: sts.url,
    };
    expect((await chainIn(env)()).accessKeyId).toBe("ASIAWEB");
    const request = sts.requests[0]!;
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: "arn:aws:iam::1:role/irsa",
      RoleSessionName: "pod-1",
      WebIdentityToken: "eyJ.web.token",
    });
    expect(request.headers["authorization"]).toBeUndefined();
  });

  it("ECS: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is fetched from the ECS agent address", async () => {
    const agent = await serve(startFakeServer((r) => (r.path === "/v2/credentials/abc" ? { body: metadataJson(keys("ASIAECS")) } : { status: 404, body: "" })));
    const fetchFn = loopbackFetch({ ecs: agent.url });
    const got = await chainIn({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/abc" }, fetchFn)();
    expect(got).toMatchObject({ accessKeyId: "ASIAECS", secretAccessKey: "ASIAECS-secret", sessionToken: "ASIAECS-token" });
    expect(fetchFn.urls).toEqual(["http://169.254.170.2/v2/credentials/abc"]);
  });

  it("EKS Pod Identity: FULL_URI with the token file's token as Authorization (the file wins over the variable)", async () => {
    const agent = await serve(startFakeServer(() => ({ body: metadataJson(keys("ASIAPOD")) })));
    const tokenFile = await home.write("pod-token", "pod-token-from-file\n");
    const env = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "from-variable",
    };
    expect((await chainIn(env)()).accessKeyId).toBe("ASIAPOD");
    expect(agent.requests[0]!.headers["authorization"]).toBe("pod-token-from-file");
  });

  it("a plain-http FULL_URI that is not loopback or a container agent is refused before any request", async () => {
    const fetchFn = loopbackFetch();
    const error = await chainIn({ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://10.0.0.5/creds", AWS_CONTAINER_AUTHORIZATION_TOKEN: "t" }, fetchFn)().catch((
      e: unknown,
    ) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain("10.0.0.5");
    expect(fetchFn.urls).toEqual([]);
  });

  it("IMDSv2: a session token from PUT, then the role and its credentials with the token", async () => {
    const imds = await serve(startFakeImds("app-role", () => keys("ASIAEC2")));
    const got = await chainIn({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url })();
    expect(got).toMatchObject({ accessKeyId: "ASIAEC2", sessionToken: "ASIAEC2-token" });
    expect(imds.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "PUT /latest/api/token",
      "GET /latest/meta-data/iam/security-credentials/",
      "GET /latest/meta-data/iam/security-credentials/app-role",
    ]);
    expect(imds.requests[0]!.headers["x-aws-ec2-metadata-token-ttl-seconds"]).toBe("21600");
  });

  it("AWS_EC2_METADATA_DISABLED=true skips the metadata service and says so", async () => {
    const fetchFn = loopbackFetch();
    const error = await chainIn({ AWS_EC2_METADATA_DISABLED: "true" }, fetchFn)().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain("AWS_EC2_METADATA_DISABLED");
    expect(fetchFn.urls).toEqual([]);
  });

  it("a metadata service that refuses connections ends the chain with a CredentialsError naming it, after one retry", async () => {
    const closed = await closedLoopbackEndpoint();
    const fetchFn = loopbackFetch();
    const error = await chainIn({ AWS_EC2_METADATA_SERVICE_ENDPOINT: closed }, fetchFn)().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain("EC2 instance metadata");
    expect(fetchFn.urls).toEqual([`${closed}/latest/api/token`, `${closed}/latest/api/token`]);
  });

  it("temporary credentials are fetched again before Expiration, and at once after the service refuses them", async () => {
    let served = 0;
    let expiration = isoIn(HOUR);
    const imds = await serve(startFakeImds("r", () => ({ ...keys(`ASIA${++served}`), expiration })));
    let now = Date.now();
    const source = new CredentialSource(undefined, () => now, {
      region: "eu-west-1",
      env: envOf({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }),
      io: runtimeIo(),
      fetch: loopbackFetch(),
    });
    const first = await source.get();
    expect(first.accessKeyId).toBe("ASIA1");
    expect((await source.get()).accessKeyId).toBe("ASIA1");
    now = new Date(expiration).getTime() - 4 * 60_000; // inside the 5-minute margin
    expiration = isoIn(2 * HOUR);
    const second = await source.get();
    expect(second.accessKeyId).toBe("ASIA2");
    source.invalidate(second); // what an ExpiredTokenException does
    expect((await source.get()).accessKeyId).toBe("ASIA3");
  });

  it("on a runtime without file access (Node before 20.16) the final error says the shared files were skipped", async () => {
    const chain = credentialChain({ region: "us-east-1", env: envOf({ AWS_EC2_METADATA_DISABLED: "true" }), io: null, fetch: loopbackFetch() });
    const error = await chain().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain("shared files and credential_process skipped");
  });

  it("without file access (workerd) or an environment, the chain says only explicit credentials apply", async () => {
    const fetchFn = loopbackFetch();
    const chain = credentialChain({ region: "us-east-1", env: null, io: null, fetch: fetchFn });
    const error = await chain().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).searched).toEqual(["credentials option"]);
    expect((error as Error).message).toContain("only explicit credentials apply");
    expect(fetchFn.urls).toEqual([]);
  });
});
