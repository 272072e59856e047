import { streamNameOf } from "../checkpointers/lease/lease-row.ts";
import { ConfigError } from "../errors.ts";

/**
 * Finds the streams to read, for `streams` given as a function: called at start and then every
 * `streamDiscoveryInterval` seconds; streams it stops naming are removed, new ones added (each with an event).
 */
export type StreamDiscovery = () => readonly string[] | Promise<readonly string[]>;

/** Which streams a consumer reads: one (`streamName`), a fixed list, or a discovery function. */
export type StreamSelection =
  | { kind: "one"; streamName: string }
  | { kind: "list"; names: readonly string[] }
  | { kind: "discover"; discover: StreamDiscovery; intervalMs: number };

/** How often a discovery function is asked again, by default (seconds). */
export const DEFAULT_STREAM_DISCOVERY_SECONDS = 60;

/**
 * The key a stream is known by inside one consumer: its name, also when given as an ARN. Lease rows
 * are keyed by name, so two entries naming one stream (by name and by ARN, or by two accounts' ARNs)
 * would share rows: the consumer refuses them.
 */
export function streamKey(nameOrArn: string): string {
  return streamNameOf(nameOrArn);
}

/**
 * Checks a list of stream names or ARNs (`option` names it in the error): an array of non-empty
 * strings, at least one, no stream twice. Returns a copy.
 */
export function checkStreamList(value: unknown, option: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(option, "must be an array of stream names or ARNs");
  if (value.length === 0) throw new ConfigError(option, "must name at least one stream");
  const seen = new Map<string, string>();
  for (const [index, name] of value.entries()) {
    checkStreamName(name, `${option}[${index}]`);
    const key = streamKey(name);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new ConfigError(
        option,
        `names stream "${key}" twice ("${earlier}" and "${name}"): lease rows are keyed by stream name, so each stream may appear once`,
      );
    }
    seen.set(key, name);
  }
  return [...value] as string[];
}

/** One stream name or ARN: a non-empty string. */
export function checkStreamName(value: unknown, option: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw new ConfigError(option, "must be a stream name or ARN (a non-empty string)");
}

/** Which streams the options select; `streamName` and `streams` are exclusive, and one is required. */
export function resolveStreams(
  options: { streamName?: unknown; streams?: unknown; streamDiscoveryInterval?: number | undefined },
): StreamSelection {
  const { streamName, streams } = options;
  if (streamName !== undefined && streams !== undefined) {
    throw new ConfigError("streams", "give either streamName (one stream) or streams (several), not both");
  }
  if (options.streamDiscoveryInterval !== undefined && typeof streams !== "function") {
    throw new ConfigError("streamDiscoveryInterval", "applies only when streams is a function (stream discovery)");
  }
  if (streams === undefined) {
    if (streamName === undefined) throw new ConfigError("streamName", "is required: the stream's name or ARN (or give streams: [...] to read several)");
    checkStreamName(streamName, "streamName");
    return { kind: "one", streamName };
  }
  if (typeof streams === "function") {
    const intervalMs = (options.streamDiscoveryInterval ?? DEFAULT_STREAM_DISCOVERY_SECONDS) * 1000;
    return { kind: "discover", discover: streams as StreamDiscovery, intervalMs };
  }
  return { kind: "list", names: checkStreamList(streams, "streams") };
}
