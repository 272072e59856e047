import type { CliCommand, FlagSpecs } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";

const PROGRAM = "async-kinesis";

function flagLines(flags: FlagSpecs, withHelp = false): string[] {
  const entries = Object.entries(flags).map(([name, spec]) => [`--${name}${spec.value === undefined ? "" : ` ${spec.value}`}`, spec] as const);
  if (withHelp) entries.push(["--help, -h", { kind: "boolean", description: "this help (after a command: that command's)" }]);
  const width = Math.min(36, Math.max(0, ...entries.map(([left]) => left.length)));
  return entries.map(([left, spec]) => `  ${left.padEnd(width)}  ${spec.description}${spec.multiple === true ? " (repeatable)" : ""}`);
}

function commandLines(commands: readonly CliCommand[]): string[] {
  const width = Math.max(0, ...commands.map((command) => command.name.length));
  return commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
}

const EXIT_LINES = [
  "Exit status:",
  `  ${ExitCode.ok}    done (tail: also Ctrl-C or the reader closing the pipe)`,
  `  ${ExitCode.failed}    records failed (listed on stderr), or an unexpected error`,
  `  ${ExitCode.usage}    usage error: unknown verb or option, missing or invalid argument`,
  `  ${ExitCode.service}    AWS answered with an error (e.g. no such stream, access denied), or no credentials`,
  `  ${ExitCode.unreachable}    the endpoint could not be reached`,
  `  ${ExitCode.refused}    checkpoints: refused while live workers hold leases, or rows changed while being written`,
  `  ${ExitCode.interrupted}  interrupted by a second Ctrl-C (put: by Ctrl-C before its input ended)`,
];

/** Help for the top level, listing the verbs. */
export function topLevelHelp(commands: readonly CliCommand[], globalFlags: FlagSpecs): string {
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    "",
    "Amazon Kinesis from the command line: list and describe streams, follow one, put JSON lines.",
    "",
    "Commands:",
    ...commandLines(commands),
    "",
    "Global options (anywhere on the line):",
    ...flagLines(globalFlags, true),
    "",
    ...EXIT_LINES,
    "",
    `Run \`${PROGRAM} <command> --help\` for a command's options. Docs: docs/cli.md`,
    "",
  ].join("\n");
}

/** Help for one verb or group; `path` is the chosen words, e.g. [checkpoints, list]. */
export function commandHelp(path: readonly CliCommand[], globalFlags: FlagSpecs): string {
  const command = path.at(-1)!;
  const words = path.map((c) => c.name).join(" ");
  const lines = [`Usage: ${PROGRAM} ${words} ${command.usage}`.trimEnd(), ""];
  lines.push(command.description ?? command.summary, "");
  if (command.subcommands !== undefined && command.subcommands.length > 0) {
    lines.push("Commands:", ...commandLines(command.subcommands), "");
  }
  if (command.flags !== undefined && Object.keys(command.flags).length > 0) lines.push("Options:", ...flagLines(command.flags), "");
  lines.push("Global options:", ...flagLines(globalFlags, true), "");
  if (command.examples !== undefined && command.examples.length > 0) {
    lines.push("Examples:", ...command.examples.map((example) => `  ${example}`), "");
  }
  return lines.join("\n");
}
