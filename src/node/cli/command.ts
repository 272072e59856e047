/**
 * The contract between the CLI framework (run.ts) and its verbs (one file each, listed in commands.ts).
 * A verb declares its flags and help text; the framework parses argv, answers `--help`, applies the
 * global options and turns whatever the verb throws into one line on stderr and an exit code.
 */
import type { ClientOptions } from "../index.ts";
import type { ParsedArgs } from "./args.ts";

/** How a flag is written: `--name <value>` (string) or `--name` alone (boolean). */
export interface FlagSpec {
  readonly kind: "string" | "boolean";
  /** The value's placeholder in help, e.g. `<n>` or `latest|trim-horizon|<ISO time>`. */
  readonly value?: string;
  /** One line for the help text; say the default here. */
  readonly description: string;
  /** May be given more than once; read it with `args.all(name)`. */
  readonly multiple?: boolean;
}

/** Flag specs by long name, without the dashes (`"limit"` for `--limit`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The global options every verb accepts (before or after the verb), already read from argv. */
export interface GlobalOptions {
  /** `--endpoint`: both services' URL (LocalStack style); the per-service flags win over it. */
  readonly endpoint?: string | undefined;
  readonly kinesisEndpoint?: string | undefined;
  readonly dynamodbEndpoint?: string | undefined;
  readonly region?: string | undefined;
  /** `--profile`: applied as `AWS_PROFILE` before the verb runs, so credentials and region come from it. */
  readonly profile?: string | undefined;
  readonly maxAttempts?: number | undefined;
}

/** Text output that waits when the reader is slow, and turns into a no-op once the reader has gone (EPIPE). */
export interface Output {
  /** Resolves once the text is handed on (or the pipe's buffer has room again). Never rejects. */
  write(text: string): Promise<void>;
  /** A terminal is attached (pretty output, progress lines); false for pipes and files. */
  readonly isTTY: boolean;
  /** The reader closed the pipe (`| head`): further writes are dropped. */
  readonly closed: boolean;
}

/** The process as a verb sees it; tests and other runtimes get the same shape. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  /** The lines of stdin (without their line ends), read on demand. */
  stdinLines(): AsyncIterable<string>;
  /** The lines of a file, read on demand. */
  fileLines(path: string): AsyncIterable<string>;
  /** Whether stdin is a terminal (a verb reading stdin may then say it is waiting for input). */
  readonly stdinIsTTY: boolean;
  /** Aborts (with an `AbortedError`) on SIGINT / SIGTERM (Ctrl-C) and when stdout's reader goes away. */
  readonly signal: AbortSignal;
  /** Why `signal` aborted, once it has. */
  stopReason(): StopReason | undefined;
}

/** Why `CliIo.signal` aborted: Ctrl-C / SIGTERM, or the reader of stdout went away (EPIPE). */
export type StopReason = "interrupted" | "output-closed";

/** Everything a verb's `run` receives. */
export interface CommandContext {
  /** The verb's own flags and positionals (the global ones are in `global`). */
  readonly args: ParsedArgs;
  readonly global: GlobalOptions;
  /** The client options the global flags stand for, for one service: pass them to Consumer, Producer, clients, checkpointers. */
  clientOptions(service: "kinesis" | "dynamodb"): ClientOptions;
  readonly io: CliIo;
}

/** A verb (`async-kinesis <name> ...`), or a group of sub-verbs (`async-kinesis checkpoints <sub> ...`). */
export interface CliCommand {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** What follows the verb in the usage line, e.g. `<stream> [options]`. */
  readonly usage: string;
  /** A paragraph or two for `--help`, after the usage line. */
  readonly description?: string;
  readonly flags?: FlagSpecs;
  /** Example command lines for `--help`. */
  readonly examples?: readonly string[];
  /** Runs the verb and resolves with the exit code (see exit-codes.ts); throwing maps the error to one. */
  readonly run?: (context: CommandContext) => Promise<number>;
  /** Sub-verbs, chosen by the next positional; a group has these instead of `run`. */
  readonly subcommands?: readonly CliCommand[];
}
