import * as v from "valibot";
import { clockOption, credentialsOption, endpointUrl, fetchFunction, positiveInteger, regionName, seconds } from "../config/validate.ts";
import type { Clock } from "../internal/clock.ts";
import { readEnv } from "../internal/env.ts";
import { type RuntimeIo, runtimeIo } from "../internal/runtime-io.ts";
import type { EnvReader } from "./credential-chain/context.ts";
import { profileRegion } from "./credential-chain/profile-region.ts";
import type { CredentialsOption } from "./credentials.ts";
import { serviceEndpoint } from "./endpoints.ts";

/** Options every AWS-talking class accepts (Consumer, Producer, DynamoDBCheckPointer, the raw clients). */
export interface ClientOptions {
  /** AWS region; default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region`, then `us-east-1`. */
  region?: string | undefined;
  /**
   * Override the service URL (e.g. a local server); http is allowed here. Default `AWS_ENDPOINT_URL_KINESIS`
   * / `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then the region's AWS endpoint.
   */
  endpoint?: string | undefined;
  /** Static credentials or an async provider; default the AWS SDKs' provider chain (see docs/aws-access.md). */
  credentials?: CredentialsOption | undefined;
  /** The `fetch` to send requests with; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** Attempts per request, including the first (default 8). */
  maxAttempts?: number | undefined;
  /** Seconds one attempt may take before it is abandoned and retried (default 20). */
  attemptTimeout?: number | undefined;
  /** Time source, for tests and for runtimes whose `Date.now()` stands still. */
  clock?: Clock | undefined;
  /** Randomness for jitter, in [0, 1). */
  random?: (() => number) | undefined;
}

/** Attempts per request (AWS requests) and per record (the producer) unless `maxAttempts` says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 8;

/** The valibot entries for `ClientOptions`, spread into each public class's schema. */
export const clientOptionEntries = {
  region: v.optional(regionName),
  endpoint: v.optional(endpointUrl),
  credentials: v.optional(credentialsOption),
  fetch: v.optional(fetchFunction),
  maxAttempts: v.optional(positiveInteger("maxAttempts")),
  attemptTimeout: v.optional(v.pipe(seconds("attemptTimeout"), v.minValue(0.001, "attemptTimeout must be > 0"))),
  clock: v.optional(clockOption),
  random: v.optional(v.custom<() => number>((value) => typeof value === "function", "random must be a function")),
};

/** The client options out of a larger options object (Consumer, Producer, checkpointer), unset ones left out. */
export function pickClientOptions(options: ClientOptions): ClientOptions {
  const client: ClientOptions = {};
  for (const key of Object.keys(clientOptionEntries) as Array<keyof ClientOptions>) {
    if (options[key] !== undefined) (client as Record<string, unknown>)[key] = options[key];
  }
  return client;
}

/**
 * The SDKs' order: the option, `AWS_REGION`, `AWS_DEFAULT_REGION`, the selected profile's `region` in
 * ~/.aws/config (or `AWS_CONFIG_FILE`), then `us-east-1`. `deps` lets tests bring their own world.
 */
export function resolveRegion(option: string | undefined, deps: { env?: EnvReader; io?: RuntimeIo | null } = {}): string {
  const env = deps.env ?? readEnv;
  const fromEnv = option ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION");
  if (fromEnv !== undefined) return fromEnv;
  const io = deps.io === null ? undefined : (deps.io ?? runtimeIo());
  // Without injected variables, read HOME and AWS_PROFILE through the runtime, so Deno's --allow-env denial is reported.
  const fileEnv = deps.env ?? (io === undefined ? readEnv : (name: string) => io.readEnv(name));
  return profileRegion(fileEnv, io) ?? "us-east-1";
}

/** The region's public endpoint of `service` (its partition's DNS suffix); see endpoints.ts for the variables. */
export function defaultEndpoint(service: "kinesis" | "dynamodb", region: string): string {
  return serviceEndpoint(service, region);
}
