import { describe, expect, it } from "vitest";
import { type EnvReader, resolveEndpoint, serviceEndpoint } from "../src/aws/endpoints.ts";
import { ConfigError } from "../src/errors.ts";

/** An injected environment: nothing here reads or writes process.env. */
function envOf(values: Record<string, string>): EnvReader {
  return (name) => values[name];
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("endpoints", () => {
  it("AWS_ENDPOINT_URL_KINESIS and AWS_ENDPOINT_URL_DYNAMODB point each service at its own URL", () => {
    const env = envOf({ AWS_ENDPOINT_URL_KINESIS: "http://127.0.0.1:4567/", AWS_ENDPOINT_URL_DYNAMODB: "http://localhost:8000" });
    expect(resolveEndpoint("kinesis", "eu-west-1", undefined, env)).toBe("http://127.0.0.1:4567");
    expect(resolveEndpoint("dynamodb", "eu-west-1", undefined, env)).toBe("http://localhost:8000");
  });

  it("AWS_ENDPOINT_URL serves every service without a variable of its own", () => {
    const env = envOf({ AWS_ENDPOINT_URL: "http://localhost:4566", AWS_ENDPOINT_URL_DYNAMODB: "http://localhost:8000" });
    expect(resolveEndpoint("kinesis", "us-east-1", undefined, env)).toBe("http://localhost:4566");
    expect(resolveEndpoint("dynamodb", "us-east-1", undefined, env)).toBe("http://localhost:8000");
  });

  it("the explicit endpoint option wins over every variable", () => {
    const env = envOf({ AWS_ENDPOINT_URL: "http://localhost:4566", AWS_ENDPOINT_URL_KINESIS: "http://localhost:1", AWS_USE_FIPS_ENDPOINT: "true" });
    expect(resolveEndpoint("kinesis", "us-east-1", "http://127.0.0.1:9/", env)).toBe("http://127.0.0.1:9");
  });

  it("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the endpoint variables", () => {
    const env = envOf({ AWS_ENDPOINT_URL: "http://localhost:4566", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" });
    expect(resolveEndpoint("kinesis", "us-east-1", undefined, env)).toBe("https://kinesis.us-east-1.amazonaws.com");
  });

  it("an endpoint variable that is not an http(s) URL is a ConfigError naming the variable", () => {
    const error = configErrorOf(() => resolveEndpoint("dynamodb", "us-east-1", undefined, envOf({ AWS_ENDPOINT_URL_DYNAMODB: "localhost:8000" })));
    expect(error.option).toBe("AWS_ENDPOINT_URL_DYNAMODB");
    expect(error.message).toContain("http://");
  });

  it("builds the partitions' endpoints: aws, aws-cn, aws-us-gov", () => {
    const none = envOf({});
    expect(resolveEndpoint("kinesis", "eu-west-1", undefined, none)).toBe("https://kinesis.eu-west-1.amazonaws.com");
    expect(resolveEndpoint("kinesis", "cn-north-1", undefined, none)).toBe("https://kinesis.cn-north-1.amazonaws.com.cn");
    expect(resolveEndpoint("dynamodb", "cn-northwest-1", undefined, none)).toBe("https://dynamodb.cn-northwest-1.amazonaws.com.cn");
    expect(resolveEndpoint("kinesis", "us-gov-west-1", undefined, none)).toBe("https://kinesis.us-gov-west-1.amazonaws.com");
  });

  it("AWS_USE_FIPS_ENDPOINT picks the -fips host names", () => {
    const fips = envOf({ AWS_USE_FIPS_ENDPOINT: "true" });
    expect(resolveEndpoint("kinesis", "us-east-1", undefined, fips)).toBe("https://kinesis-fips.us-east-1.amazonaws.com");
    expect(resolveEndpoint("dynamodb", "us-west-2", undefined, fips)).toBe("https://dynamodb-fips.us-west-2.amazonaws.com");
    expect(resolveEndpoint("kinesis", "us-gov-east-1", undefined, fips)).toBe("https://kinesis-fips.us-gov-east-1.amazonaws.com");
    // GovCloud's DynamoDB endpoint is FIPS-validated under its usual name.
    expect(resolveEndpoint("dynamodb", "us-gov-west-1", undefined, fips)).toBe("https://dynamodb.us-gov-west-1.amazonaws.com");
    expect(resolveEndpoint("kinesis", "us-east-1", undefined, envOf({ AWS_USE_FIPS_ENDPOINT: "false" }))).toBe("https://kinesis.us-east-1.amazonaws.com");
  });

  it("AWS_USE_DUALSTACK_ENDPOINT picks the api.aws host names, with FIPS too", () => {
    expect(resolveEndpoint("kinesis", "eu-west-1", undefined, envOf({ AWS_USE_DUALSTACK_ENDPOINT: "true" }))).toBe("https://kinesis.eu-west-1.api.aws");
    expect(resolveEndpoint("dynamodb", "us-east-1", undefined, envOf({ AWS_USE_DUALSTACK_ENDPOINT: "TRUE" }))).toBe("https://dynamodb.us-east-1.api.aws");
    expect(resolveEndpoint("kinesis", "us-east-1", undefined, envOf({ AWS_USE_DUALSTACK_ENDPOINT: "true", AWS_USE_FIPS_ENDPOINT: "true" }))).toBe(
      "https://kinesis-fips.us-east-1.api.aws",
    );
    expect(serviceEndpoint("kinesis", "cn-north-1", { dualStack: true })).toBe("https://kinesis.cn-north-1.api.amazonwebservices.com.cn");
  });

  it("FIPS in aws-cn, or a flag that is not true/false, is a ConfigError naming the variable", () => {
    expect(configErrorOf(() => resolveEndpoint("kinesis", "cn-north-1", undefined, envOf({ AWS_USE_FIPS_ENDPOINT: "true" }))).option).toBe(
      "AWS_USE_FIPS_ENDPOINT",
    );
    expect(configErrorOf(() => resolveEndpoint("kinesis", "us-east-1", undefined, envOf({ AWS_USE_DUALSTACK_ENDPOINT: "yes" }))).option).toBe(
      "AWS_USE_DUALSTACK_ENDPOINT",
    );
  });
});
