import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.ts";
import { DynamoDBClient } from "../src/dynamodb/client.ts";
import { KinesisClient } from "../src/kinesis/client.ts";

describe("client options", () => {
  it.each([
    [{ endpoint: "ftp://example" }, "endpoint"],
    [{ endpoint: "not a url" }, "endpoint"],
    [{ region: "US East" }, "region"],
    [{ maxAttempts: 0 }, "maxAttempts"],
    [{ attemptTimeout: -1 }, "attemptTimeout"],
    [{ fetch: "nope" }, "fetch"],
    [{ credentials: { accessKeyId: "", secretAccessKey: "x" } }, "credentials.accessKeyId"],
    [{ credentials: 42 }, "credentials"],
  ])("rejects %j with a ConfigError naming %s", (options, option) => {
    for (const make of [(o: object) => new KinesisClient(o), (o: object) => new DynamoDBClient(o)]) {
      const error = (() => {
        try {
          make(options);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
    }
  });

  it("never echoes a secret in a ConfigError", () => {
    const secret = "SUPER-SECRET-VALUE-123";
    try {
      new KinesisClient({ credentials: { accessKeyId: "", secretAccessKey: secret } });
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(secret);
    }
  });

  it("defaults region from AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1, and builds the AWS endpoint", () => {
    const saved = { r: process.env["AWS_REGION"], d: process.env["AWS_DEFAULT_REGION"] };
    try {
      delete process.env["AWS_REGION"];
      delete process.env["AWS_DEFAULT_REGION"];
      expect(new KinesisClient().http.endpoint).toBe("https://kinesis.us-east-1.amazonaws.com");
      process.env["AWS_DEFAULT_REGION"] = "eu-west-1";
      expect(new DynamoDBClient().http.endpoint).toBe("https://dynamodb.eu-west-1.amazonaws.com");
      process.env["AWS_REGION"] = "ap-south-1";
      expect(new KinesisClient().http.region).toBe("ap-south-1");
      expect(new KinesisClient({ region: "cn-north-1" }).http.endpoint).toBe("https://kinesis.cn-north-1.amazonaws.com.cn");
      expect(new KinesisClient({ endpoint: "http://127.0.0.1:4567/" }).http.endpoint).toBe("http://127.0.0.1:4567");
    } finally {
      if (saved.r === undefined) delete process.env["AWS_REGION"];
      else process.env["AWS_REGION"] = saved.r;
      if (saved.d === undefined) delete process.env["AWS_DEFAULT_REGION"];
      else process.env["AWS_DEFAULT_REGION"] = saved.d;
    }
  });
});
