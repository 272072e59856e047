import { AsyncKinesisError } from "../index.ts";

/**
 * The exit statuses of `async-kinesis`, documented in docs/cli.md. Scripts branch on them, so they
 * are part of the public interface: never renumber one.
 */
export const ExitCode = {
  /** Done (also: `tail` stopped by Ctrl-C or by its reader closing the pipe). */
  ok: 0,
  /** Some records could not be put, or an unexpected runtime error. */
  failed: 1,
  /** Bad command line: unknown verb or flag, missing or invalid argument, invalid option value. */
  usage: 2,
  /** AWS answered with an error (missing stream, access denied, throttled to the end), or no credentials. */
  service: 3,
  /** The endpoint could not be reached (refused, DNS, timeouts): nothing answered. */
  unreachable: 4,
  /** A checkpoint verb refused: live workers hold leases (`LiveLeasesError`), or rows changed while being written (`CheckpointConflictError`). */
  refused: 5,
  /** Stopped by a second Ctrl-C, or `put` interrupted before its input was read (128 + SIGINT). */
  interrupted: 130,
} as const;

/** The exit status for an error a verb threw. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof AsyncKinesisError)) return ExitCode.failed;
  switch (error.code) {
    case "CONFIG":
      return ExitCode.usage;
    case "AWS_SERVICE":
    case "CREDENTIALS":
    case "PROTOCOL":
    case "TABLE_MISSING":
      return ExitCode.service;
    case "NETWORK":
    case "TIMEOUT":
      return ExitCode.unreachable;
    case "LIVE_LEASES":
    case "CHECKPOINT_CONFLICT":
      return ExitCode.refused;
    case "REDIS":
      // A reply is an answer (WRONGTYPE, NOAUTH); no reply means the server could not be reached.
      return (error as AsyncKinesisError & { replyCode?: string }).replyCode === undefined ? ExitCode.unreachable : ExitCode.service;
    default:
      return ExitCode.failed;
  }
}
