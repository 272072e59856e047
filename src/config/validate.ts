import * as v from "valibot";
import { ConfigError } from "../errors.ts";
import type { Clock } from "../internal/clock.ts";
import { rejectUnknownKeys } from "./unknown-keys.ts";

/**
 * Parse user options with a valibot schema and turn the first issue into a `ConfigError` that names
 * the option (dotted path, e.g. `credentials.accessKeyId`) and says what was expected. Option names
 * the schema does not know are a `ConfigError` too, with the closest known name.
 */
export function parseOptions<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
  what: string,
): v.InferOutput<TSchema> {
  if (typeof input !== "object" || input === null) {
    throw new ConfigError(what, `options must be an object, got ${describe(input)}`);
  }
  rejectUnknownKeys(schema, input, what);
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? what;
  // Whatever valibot says by default ("Invalid type: Expected …") is jargon: every schema gives its own message.
  const message = issue.message.startsWith("Invalid ") ? `${path} has the wrong form` : issue.message;
  throw new ConfigError(path, `${message} (got ${shown(path, issue.input)}; in ${what} options)`);
}

/** The offending value, short, so the fix is obvious; never the value of a credential (it may be a secret). */
function shown(path: string, value: unknown): string {
  if (path.startsWith("credentials")) return describe(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return "a Date";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return describe(value);
}

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}

/** A positive, finite number of seconds (the library's unit for durations, as in the Python library). */
export const seconds = (label: string) =>
  v.pipe(v.number(`${label} must be a number of seconds, e.g. 1.5`), v.finite(`${label} must be finite`), v.minValue(0, `${label} must be >= 0`));

export const positiveInteger = (label: string) =>
  v.pipe(v.number(`${label} must be a whole number, at least 1`), v.integer(`${label} must be an integer`), v.minValue(1, `${label} must be >= 1`));

export const fetchFunction = v.custom<typeof fetch>((value) => typeof value === "function", "fetch must be a function");

export const abortSignal = v.custom<AbortSignal>(
  (value) => typeof AbortSignal !== "undefined" && value instanceof AbortSignal,
  "signal must be an AbortSignal",
);

/** Options of one call that only waits (`waitReady`, `flush`): an optional `signal` that abandons the wait. */
export interface WaitOptions {
  /** Aborting rejects the wait with the signal's reason (an `AbortedError`); nothing is closed or lost. */
  signal?: AbortSignal | undefined;
}

/** The `signal` of a call's options, checked: a `ConfigError` for anything but an `AbortSignal`. */
export function waitSignal(options: WaitOptions | undefined, call: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(call, `options must be an object like { signal }, got ${describe(options)}`);
  }
  const signal: unknown = options.signal;
  if (signal === undefined) return undefined;
  if (typeof AbortSignal !== "undefined" && signal instanceof AbortSignal) return signal;
  throw new ConfigError(`${call}.signal`, `signal must be an AbortSignal (e.g. AbortSignal.timeout(5000)), got ${describe(signal)}`);
}

/** An injected clock (tests, simulations): it must read the time and sleep. */
export const clockOption = v.custom<Clock>(
  (value) => typeof value === "object" && value !== null && typeof (value as Clock).now === "function" && typeof (value as Clock).sleep === "function",
  "clock must have now() and sleep()",
);

export const endpointUrl = v.pipe(
  v.string("endpoint must be a URL string"),
  v.check((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, "endpoint must be an http:// or https:// URL"),
);

export const regionName = v.pipe(
  v.string("region must be a string"),
  v.regex(/^[a-z0-9-]+$/, "region must look like us-east-1"),
);

const credentialsObject = v.object({
  accessKeyId: v.pipe(v.string("credentials.accessKeyId must be a string"), v.minLength(1, "credentials.accessKeyId is empty")),
  secretAccessKey: v.pipe(v.string("credentials.secretAccessKey must be a string"), v.minLength(1, "credentials.secretAccessKey is empty")),
  sessionToken: v.optional(v.string("credentials.sessionToken must be a string")),
  expiration: v.optional(v.date("credentials.expiration must be a Date")),
  // What the AWS SDK's credential providers add (AwsCredentialIdentity): accepted so their result can be passed as is, not used.
  credentialScope: v.optional(v.string("credentials.credentialScope must be a string")),
  accountId: v.optional(v.string("credentials.accountId must be a string")),
});

export const credentialsOption = v.union(
  [credentialsObject, v.custom<() => unknown>((value) => typeof value === "function")],
  "credentials must be { accessKeyId, secretAccessKey, sessionToken? } or an async function returning that",
);
