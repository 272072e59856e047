import { AbortedError, ConfigError } from "../index.ts";
import { parseCommandLine } from "./args.ts";
import type { CliCommand, CliIo, CommandContext } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { errorLine } from "./error-line.ts";
import { ExitCode, exitCodeFor } from "./exit-codes.ts";
import { clientOptionsFor, GLOBAL_FLAGS, readGlobalOptions } from "./global-options.ts";
import { commandHelp, topLevelHelp } from "./help.ts";

/** What the CLI may change in its process besides writing output. */
export interface RunDeps {
  /** Set an environment variable for the library to read (`--profile` becomes `AWS_PROFILE`). */
  setEnv(name: string, value: string): void;
  /** The installed package's version, for `--version`; undefined when it cannot be found. */
  version(): string | undefined;
}

/**
 * Run one command line to its exit status: parse, answer `--help`, apply the global options, run the
 * verb, and report anything it throws as one line on stderr (its stack only with `--debug`).
 */
export async function runCli(argv: readonly string[], io: CliIo, deps: RunDeps, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const debug = argv.includes("--debug");
  // The verb's words as far as they can be read, for the error line and its --help hint.
  const words = parseCommandLine(argv, commands, GLOBAL_FLAGS, true).args.command;
  try {
    const line = parseCommandLine(argv, commands, GLOBAL_FLAGS, argv.includes("--help") || argv.includes("-h"));
    const command = line.path.at(-1);
    if (line.globals.boolean("version")) {
      await io.stdout.write(`async-kinesis ${deps.version() ?? "(version unknown)"}\n`);
      return ExitCode.ok;
    }
    if (line.help) {
      await io.stdout.write(command === undefined ? topLevelHelp(commands, GLOBAL_FLAGS) : commandHelp(line.path, GLOBAL_FLAGS));
      return ExitCode.ok;
    }
    if (command === undefined) {
      // No verb at all is a usage error (a script forgot it): the help goes to stderr.
      await io.stderr.write(topLevelHelp(commands, GLOBAL_FLAGS));
      return ExitCode.usage;
    }
    if (command.run === undefined) {
      const known = (command.subcommands ?? []).map((sub) => sub.name).join(", ");
      throw new ConfigError("<command>", `missing: ${words} needs one of ${known}`);
    }
    const global = readGlobalOptions(line.globals);
    if (global.profile !== undefined) deps.setEnv("AWS_PROFILE", global.profile);
    const context: CommandContext = { args: line.args, global, clientOptions: (service) => clientOptionsFor(global, service), io };
    return await command.run(context);
  } catch (error) {
    // A verb stopped by Ctrl-C or by its reader going away did what it was asked to; it is not an error.
    const stopped = io.stopReason();
    if (stopped !== undefined && (error === io.signal.reason || error instanceof AbortedError)) {
      return stopped === "output-closed" ? ExitCode.ok : ExitCode.interrupted;
    }
    await io.stderr.write(errorLine(error, words, debug));
    if (debug && error instanceof Error && error.stack !== undefined) await io.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  }
}
