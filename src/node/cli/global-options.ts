import type { ClientOptions } from "../index.ts";
import type { ParsedArgs } from "./args.ts";
import type { FlagSpecs, GlobalOptions } from "./command.ts";

/** The flags every verb accepts, before or after the verb. */
export const GLOBAL_FLAGS: FlagSpecs = {
  endpoint: { kind: "string", value: "<url>", description: "service URL for Kinesis and DynamoDB (e.g. LocalStack); default the region's AWS endpoint" },
  "kinesis-endpoint": { kind: "string", value: "<url>", description: "Kinesis URL only (wins over --endpoint)" },
  "dynamodb-endpoint": { kind: "string", value: "<url>", description: "DynamoDB URL only (wins over --endpoint)" },
  region: { kind: "string", value: "<region>", description: "AWS region; default AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1" },
  profile: { kind: "string", value: "<name>", description: "shared-config profile for credentials and region (sets AWS_PROFILE)" },
  "max-attempts": { kind: "string", value: "<n>", description: "attempts per AWS request, retries included (default 8); 1 fails fast" },
  debug: { kind: "boolean", description: "also print the error's stack after its one-line message" },
  version: { kind: "boolean", description: "print the package's version" },
};

/** The global flags' values; `--max-attempts` is checked here so every verb gets a valid number. */
export function readGlobalOptions(globals: ParsedArgs): GlobalOptions {
  return {
    endpoint: globals.string("endpoint"),
    kinesisEndpoint: globals.string("kinesis-endpoint"),
    dynamodbEndpoint: globals.string("dynamodb-endpoint"),
    region: globals.string("region"),
    profile: globals.string("profile"),
    maxAttempts: globals.integer("max-attempts", { min: 1, max: 100 }),
  };
}

/**
 * The library options the global flags stand for. Unset flags are left out, so the library's own
 * defaults (environment variables, profile, region endpoint) apply, exactly as for a program.
 */
export function clientOptionsFor(global: GlobalOptions, service: "kinesis" | "dynamodb"): ClientOptions {
  const options: ClientOptions = {};
  const endpoint = (service === "kinesis" ? global.kinesisEndpoint : global.dynamodbEndpoint) ?? global.endpoint;
  if (endpoint !== undefined) options.endpoint = endpoint;
  if (global.region !== undefined) options.region = global.region;
  if (global.maxAttempts !== undefined) options.maxAttempts = global.maxAttempts;
  return options;
}
