import { ConfigError } from "../errors.ts";
import { readEnv } from "../internal/env.ts";

/** The services whose endpoints this library builds. */
export type EndpointService = "kinesis" | "dynamodb";

/** Reads one environment variable; injected so tests never touch the process environment. */
export type EnvReader = (name: string) => string | undefined;

/** The SDKs' service-specific endpoint variables (`AWS_ENDPOINT_URL_<SERVICE ID>`). */
const SERVICE_VARIABLE: Record<EndpointService, string> = {
  kinesis: "AWS_ENDPOINT_URL_KINESIS",
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
};

/** A partition: the DNS suffix of its regions' endpoints, and of their dual-stack endpoints. */
interface Partition {
  name: string;
  dnsSuffix: string;
  dualStackSuffix: string | undefined;
  fips: boolean;
}

const AWS: Partition = { name: "aws", dnsSuffix: "amazonaws.com", dualStackSuffix: "api.aws", fips: true };
// First match wins; the commercial partition is the fallback for every other region name.
const PARTITIONS: ReadonlyArray<{ prefix: string; partition: Partition }> = [
  { prefix: "cn-", partition: { name: "aws-cn", dnsSuffix: "amazonaws.com.cn", dualStackSuffix: "api.amazonwebservices.com.cn", fips: false } },
  { prefix: "us-gov-", partition: { name: "aws-us-gov", dnsSuffix: "amazonaws.com", dualStackSuffix: "api.aws", fips: true } },
  { prefix: "us-isob-", partition: { name: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov", dualStackSuffix: undefined, fips: true } },
  { prefix: "us-iso-", partition: { name: "aws-iso", dnsSuffix: "c2s.ic.gov", dualStackSuffix: undefined, fips: true } },
];

function partitionOf(region: string): Partition {
  return PARTITIONS.find((p) => region.startsWith(p.prefix))?.partition ?? AWS;
}

/** FIPS and dual-stack choices, as the SDKs' `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`. */
export interface EndpointVariant {
  fips?: boolean;
  dualStack?: boolean;
}

/**
 * The public AWS endpoint of `service` in `region`: `https://kinesis.eu-west-1.amazonaws.com`,
 * `https://kinesis.cn-north-1.amazonaws.com.cn`, FIPS `https://kinesis-fips.us-east-1.amazonaws.com`,
 * dual-stack `https://kinesis.us-east-1.api.aws`, both `https://kinesis-fips.us-east-1.api.aws`.
 */
export function serviceEndpoint(service: EndpointService, region: string, variant: EndpointVariant = {}): string {
  const partition = partitionOf(region);
  if (variant.fips === true && !partition.fips) {
    throw new ConfigError("AWS_USE_FIPS_ENDPOINT", `the ${partition.name} partition (region ${region}) has no FIPS endpoints; unset AWS_USE_FIPS_ENDPOINT`);
  }
  let suffix = partition.dnsSuffix;
  if (variant.dualStack === true) {
    if (partition.dualStackSuffix === undefined) {
      throw new ConfigError(
        "AWS_USE_DUALSTACK_ENDPOINT",
        `the ${partition.name} partition (region ${region}) has no dual-stack endpoints; unset AWS_USE_DUALSTACK_ENDPOINT`,
      );
    }
    suffix = partition.dualStackSuffix;
  }
  // DynamoDB in GovCloud is FIPS-validated on its regular host name; there is no dynamodb-fips host there.
  const fipsHost = variant.fips === true && !(service === "dynamodb" && partition.name === "aws-us-gov" && variant.dualStack !== true);
  return `https://${fipsHost ? `${service}-fips` : service}.${region}.${suffix}`;
}

/**
 * Where a client sends its requests, in the SDKs' order: the explicit `endpoint` option, then
 * `AWS_ENDPOINT_URL_KINESIS` / `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then the
 * region's public endpoint (with `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`).
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` skips the two endpoint variables, as in the SDKs.
 */
export function resolveEndpoint(service: EndpointService, region: string, explicit: string | undefined, env: EnvReader = readEnv): string {
  if (explicit !== undefined) return trimSlashes(explicit);
  if (!isTrue(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    for (const variable of [SERVICE_VARIABLE[service], "AWS_ENDPOINT_URL"]) {
      const value = env(variable);
      if (value !== undefined) return trimSlashes(checkedUrl(variable, value));
    }
  }
  return serviceEndpoint(service, region, { fips: isTrue(env, "AWS_USE_FIPS_ENDPOINT"), dualStack: isTrue(env, "AWS_USE_DUALSTACK_ENDPOINT") });
}

/** The SDKs accept `true`/`false` in any case; anything else is a mistake worth saying out loud. */
function isTrue(env: EnvReader, variable: string): boolean {
  const value = env(variable)?.trim().toLowerCase();
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ConfigError(variable, `${variable} must be "true" or "false"`);
}

function checkedUrl(variable: string, value: string): string {
  try {
    const url = new URL(value.trim());
    if (url.protocol === "http:" || url.protocol === "https:") return value.trim();
  } catch {
    // reported below
  }
  // The value is an address, not a secret: quoting it tells the user which setting is wrong.
  throw new ConfigError(variable, `${variable} must be an http:// or https:// URL (got "${value.slice(0, 200)}")`);
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, "");
}
