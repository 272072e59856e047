import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Credentials, CredentialSource, redactSecrets } from "../src/aws/credentials.ts";
import { AwsServiceError, CredentialsError } from "../src/errors.ts";
import { KinesisClient } from "../src/kinesis/client.ts";

const ENV_NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;
const MINUTE = 60_000;

describe("CredentialSource", () => {
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    for (const name of ENV_NAMES) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const name of ENV_NAMES) {
      const value = saved.get(name);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("returns static credentials as given", async () => {
    const credentials = { accessKeyId: "AKID", secretAccessKey: "secret-1", sessionToken: "token-1" };
    const source = new CredentialSource(credentials, () => 0);
    expect(await source.get()).toBe(credentials);
  });

  it("rejects static credentials without a secret key, naming the option but not the values", async () => {
    const source = new CredentialSource({ accessKeyId: "AKID", secretAccessKey: "" }, () => 0);
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ code: "CREDENTIALS", searched: ["credentials option"] });
    expect((error as Error).message).toContain("secretAccessKey");
  });

  it("caches a provider's answer until 5 minutes before its expiration, then asks again", async () => {
    let now = 1_000_000;
    let calls = 0;
    const source = new CredentialSource(() => {
      calls++;
      return { accessKeyId: `AKID${calls}`, secretAccessKey: "s", expiration: new Date(now + 15 * MINUTE) };
    }, () => now);
    const start = now;
    expect((await source.get()).accessKeyId).toBe("AKID1");
    now = start + 10 * MINUTE - 1; // 5 min + 1 ms before expiry: still fresh
    expect((await source.get()).accessKeyId).toBe("AKID1");
    expect(calls).toBe(1);
    now = start + 10 * MINUTE; // exactly 5 min before expiry: refresh
    expect((await source.get()).accessKeyId).toBe("AKID2");
    expect(calls).toBe(2);
  });

  it("never re-asks a provider whose credentials have no expiration", async () => {
    let now = 0;
    let calls = 0;
    const source = new CredentialSource(async () => {
      calls++;
      return { accessKeyId: "AKID", secretAccessKey: "s" };
    }, () => now);
    await source.get();
    now += 365 * 24 * 60 * MINUTE;
    await source.get();
    expect(calls).toBe(1);
  });

  it("shares one provider call among concurrent callers", async () => {
    let calls = 0;
    let release!: (credentials: Credentials) => void;
    const source = new CredentialSource(() => {
      calls++;
      return new Promise<Credentials>((resolve) => {
        release = resolve;
      });
    }, () => 0);
    const waiting = [source.get(), source.get(), source.get()];
    await Promise.resolve();
    release({ accessKeyId: "AKID", secretAccessKey: "s" });
    const results = await Promise.all(waiting);
    expect(calls).toBe(1);
    expect(results[0]).toBe(results[1]);
    expect(results[1]).toBe(results[2]);
  });

  it("wraps a provider failure in CredentialsError with the cause, and asks again on the next call", async () => {
    let calls = 0;
    const failure = new Error("metadata service unreachable");
    const source = new CredentialSource(async () => {
      calls++;
      if (calls === 1) throw failure;
      return { accessKeyId: "AKID", secretAccessKey: "s" };
    }, () => 0);
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ searched: ["credentials provider"] });
    expect((error as Error).cause).toBe(failure);
    expect((await source.get()).accessKeyId).toBe("AKID");
    expect(calls).toBe(2);
  });

  it("rejects a provider that returns no secret key", async () => {
    const source = new CredentialSource(() => ({ accessKeyId: "AKID" }) as unknown as Credentials, () => 0);
    await expect(source.get()).rejects.toMatchObject({ name: "CredentialsError", searched: ["credentials provider"] });
  });

  it("falls back to the AWS_* environment variables, session token included", async () => {
    process.env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    process.env["AWS_SECRET_ACCESS_KEY"] = "env-secret";
    process.env["AWS_SESSION_TOKEN"] = "env-token";
    expect(await new CredentialSource(undefined, () => 0).get()).toEqual({
      accessKeyId: "AKIDENV",
      secretAccessKey: "env-secret",
      sessionToken: "env-token",
    });
    delete process.env["AWS_SESSION_TOKEN"];
    expect((await new CredentialSource(undefined, () => 0).get()).sessionToken).toBeUndefined();
  });

  it("reports every place it looked when no credentials exist anywhere", async () => {
    process.env["AWS_ACCESS_KEY_ID"] = "AKIDONLY"; // half a pair is no pair
    const error = await new CredentialSource(undefined, () => 0).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    const searched = (error as CredentialsError).searched;
    expect(searched).toEqual([
      "credentials option",
      "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables",
      "shared credentials and config files (AWS_PROFILE, ~/.aws/credentials, ~/.aws/config)",
      "AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (STS AssumeRoleWithWebIdentity)",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS, EKS Pod Identity)",
      "EC2 instance metadata (IMDSv2)",
    ]);
    for (const place of searched) expect((error as Error).message).toContain(place);
  });
});

describe("redactSecrets", () => {
  const credentials = { accessKeyId: "AKIDPUBLIC", secretAccessKey: "wJalrXUtnFEMI/K7MDENG", sessionToken: "FwoGZXIvYXdzEJr//token" };

  it("replaces every occurrence of the secret key and the session token", () => {
    const text = `key=${credentials.secretAccessKey} token=${credentials.sessionToken} again=${credentials.secretAccessKey}`;
    const redacted = redactSecrets(text, credentials);
    expect(redacted).toBe("key=[redacted] token=[redacted] again=[redacted]");
  });

  it("leaves the access key id, which is not a secret, and text without credentials alone", () => {
    expect(redactSecrets("id AKIDPUBLIC", credentials)).toBe("id AKIDPUBLIC");
    expect(redactSecrets("anything", undefined)).toBe("anything");
  });

  it("does not shred text over secrets too short to be real", () => {
    expect(redactSecrets("a b c", { accessKeyId: "A", secretAccessKey: "a" })).toBe("a b c");
  });
});

describe("secrets never reach an error", () => {
  const secretAccessKey = "SECRETKEY-do-not-leak-0123456789";
  const sessionToken = "SESSIONTOKEN-do-not-leak-abcdefgh";

  /** A server that, like a confused signature check, echoes secrets in its error message and header. */
  function echoingServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const token = String(req.headers["x-amz-security-token"] ?? "");
      const body = JSON.stringify({
        __type: "InvalidSignatureException",
        message: `The request signature we calculated does not match. Secret used: ${secretAccessKey}; token seen: ${token}`,
      });
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "echo-1" });
      res.end(body);
    });
    return new Promise((resolve) => {
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        resolve({ endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) });
      });
    });
  }

  it("redacts an echoed secret key and session token from AwsServiceError's message, stack and JSON", async () => {
    const server = await echoingServer();
    try {
      const client = new KinesisClient({
        endpoint: server.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDECHO", secretAccessKey, sessionToken },
        maxAttempts: 1,
      });
      const error = await client.describeStreamSummary("s").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AwsServiceError);
      // The token really was sent and echoed: the test would be empty otherwise.
      expect((error as Error).message).toContain("token seen: [redacted]");
      for (const text of [(error as Error).message, String(error), (error as Error).stack ?? "", JSON.stringify(error)]) {
        expect(text).not.toContain(secretAccessKey);
        expect(text).not.toContain(sessionToken);
      }
    } finally {
      await server.close();
    }
  });
});

describe("CredentialSource refresh failures", () => {
  it("keeps using unexpired credentials when a refresh inside the margin fails, and throws once they expire", async () => {
    let now = 0;
    let calls = 0;
    const source = new CredentialSource(() => {
      calls++;
      if (calls > 1) throw new Error("provider down");
      return { accessKeyId: "AKID", secretAccessKey: "secret-1", expiration: new Date(10 * 60_000) };
    }, () => now);
    expect((await source.get()).secretAccessKey).toBe("secret-1");
    now = 6 * 60_000; // inside the 5-minute refresh margin, not yet expired
    expect((await source.get()).secretAccessKey).toBe("secret-1");
    expect(calls).toBe(2);
    now = 11 * 60_000; // expired: nothing to fall back on
    await expect(source.get()).rejects.toBeInstanceOf(CredentialsError);
  });
});

describe("an expired token", () => {
  /** A fake fetch that answers ExpiredTokenException to the first `expiredAnswers` requests, then succeeds; it records each request's token. */
  function expiringFetch(expiredAnswers: number): { fetch: typeof fetch; tokens: string[] } {
    const tokens: string[] = [];
    const fake: typeof fetch = async (_input, init) => {
      tokens.push(new Headers(init?.headers).get("x-amz-security-token") ?? "");
      if (tokens.length <= expiredAnswers) {
        const body = JSON.stringify({ __type: "ExpiredTokenException", message: "The security token included in the request is expired" });
        return new Response(body, { status: 400, headers: { "content-type": "application/x-amz-json-1.1" } });
      }
      return new Response(JSON.stringify({ StreamDescriptionSummary: { StreamName: "s" } }), { status: 200 });
    };
    return { fetch: fake, tokens };
  }

  it("drops the cached credentials and asks a provider without `expiration` again, then succeeds", async () => {
    let calls = 0;
    const provider = () => {
      calls++;
      return { accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: `token-${calls}` };
    };
    const { fetch, tokens } = expiringFetch(1);
    const client = new KinesisClient({ endpoint: "http://127.0.0.1:9", region: "us-east-1", credentials: provider, fetch, random: () => 0 });
    await client.http.call("DescribeStreamSummary", { StreamName: "s" });
    expect(calls).toBe(2);
    expect(tokens).toEqual(["token-1", "token-2"]);
  });

  it("is not retried with static credentials, which cannot change", async () => {
    const { fetch, tokens } = expiringFetch(1);
    const credentials = { accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "token-static" };
    const client = new KinesisClient({ endpoint: "http://127.0.0.1:9", region: "us-east-1", credentials, fetch, random: () => 0 });
    const error = await client.http.call("DescribeStreamSummary", { StreamName: "s" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AwsServiceError", awsCode: "ExpiredTokenException", retryable: false });
    expect(tokens).toEqual(["token-static"]);
  });

  it("keeps credentials a concurrent caller fetched after the expired ones", async () => {
    let calls = 0;
    const source = new CredentialSource(() => ({ accessKeyId: "AKID", secretAccessKey: "s", sessionToken: `t${++calls}` }), () => 0);
    const stale = await source.get();
    source.invalidate(stale);
    const fresh = await source.get();
    source.invalidate(stale); // a second request that carried the stale token reports late
    expect(await source.get()).toBe(fresh);
    expect(calls).toBe(2);
  });
});
