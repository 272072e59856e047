/**
 * The verbs of `async-kinesis`, in the order `--help` lists them. Adding a verb is one file exporting
 * a `CliCommand` (see command.ts) and one line here.
 *
 * Writing a verb (e.g. src/node/cli/checkpoints.ts):
 * - Export `const fooCommand: CliCommand = { name, summary, usage, description?, flags, examples?, run }`,
 *   or `subcommands: [...]` instead of `run` for a group (`checkpoints list|reset|...`): the framework
 *   picks the sub-verb from the next word and gives each its own `--help`.
 * - Flags: declare them in `flags` (`{ kind: "string" | "boolean", value?: "<n>", description, multiple? }`);
 *   read them in `run` from `ctx.args`: `string(name)`, `required(name)`, `boolean(name)`, `all(name)`,
 *   `integer(name, { min })`, `positional(i, "<stream>")`, `atMostPositionals(n)`. Unknown flags and
 *   missing values are refused before `run` is called.
 * - Global options (`--endpoint`, `--kinesis-endpoint`, `--dynamodb-endpoint`, `--region`, `--profile`,
 *   `--max-attempts`) are already applied: spread `ctx.clientOptions("kinesis")` or
 *   `ctx.clientOptions("dynamodb")` into any Consumer, Producer, client or checkpointer options.
 *   `--profile` is set as AWS_PROFILE before `run`, so the default credential chain and region use it.
 * - Output: `await ctx.io.stdout.write(text)` / `ctx.io.stderr.write(text)` (include the "\n"; writes
 *   wait for a slow reader and become no-ops once stdout's reader is gone: check `ctx.io.stdout.closed`).
 *   `ctx.io.stdout.isTTY` says whether to print for people (tables) or for programs (JSON lines).
 *   `ctx.io.signal` aborts on Ctrl-C and when stdout closes: pass it as `signal` to library calls.
 * - Exit code: resolve `run` with an `ExitCode` (exit-codes.ts). For failures, throw: a ConfigError
 *   (`new ConfigError("--group", "is required")`) exits 2, AwsServiceError / CredentialsError 3,
 *   NetworkError / TimeoutError 4, other errors 1, each printed as one line on stderr, no stack.
 * - Tests run the built binary: test/support/cli.ts (`buildCli`, `runBuiltCli`), as test/cli/*.test.ts do.
 */
import { checkpointsCommand } from "./checkpoints.ts";
import type { CliCommand } from "./command.ts";
import { describeCommand } from "./describe.ts";
import { putCommand } from "./put.ts";
import { streamsCommand } from "./streams.ts";
import { tailCommand } from "./tail.ts";

export const COMMANDS: readonly CliCommand[] = [
  streamsCommand,
  describeCommand,
  tailCommand,
  putCommand,
  checkpointsCommand,
];
