/**
 * A small command-line parser (no dependency): `--name value`, `--name=value`, boolean `--name`,
 * `--` ending the options, `-h` for `--help`. Verbs and sub-verbs are chosen by the leading
 * positionals; flags may come anywhere after the verb that declares them, global flags anywhere.
 * Every mistake is a `ConfigError` naming the flag or argument, which the CLI prints as a usage error.
 */
import { ConfigError } from "../index.ts";
import type { CliCommand, FlagSpec, FlagSpecs } from "./command.ts";

/** A verb's flags and positionals, with typed accessors that throw usage errors naming the flag. */
export class ParsedArgs {
  /** The words that chose the verb, e.g. `tail` or `checkpoints list` (for messages). */
  readonly command: string;
  readonly positionals: readonly string[];
  readonly #values: ReadonlyMap<string, readonly string[] | true>;

  constructor(command: string, positionals: readonly string[], values: ReadonlyMap<string, readonly string[] | true>) {
    this.command = command;
    this.positionals = positionals;
    this.#values = values;
  }

  /** Whether the flag was given at all. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  boolean(name: string): boolean {
    return this.#values.get(name) === true;
  }

  /** The flag's value, or undefined when it was not given. */
  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return value === undefined || value === true ? undefined : value.at(-1);
  }

  /** Every value of a flag given more than once (declared `multiple`), in order. */
  all(name: string): string[] {
    const value = this.#values.get(name);
    return value === undefined || value === true ? [] : [...value];
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new ConfigError(`--${name}`, `is required by ${this.command}`);
    return value;
  }

  /** A whole number within [min, max], or undefined when the flag was not given. */
  integer(name: string, range: { min?: number; max?: number } = {}): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const min = range.min ?? Number.MIN_SAFE_INTEGER;
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      const bounds = range.max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
      throw new ConfigError(`--${name}`, `must be a whole number ${bounds}, got "${text}"`);
    }
    return value;
  }

  /** The positional at `index`, named `label` (e.g. `<stream>`) in the error when it is missing. */
  positional(index: number, label: string): string {
    const value = this.positionals[index];
    if (value === undefined || value === "") throw new ConfigError(label, `missing: usage is async-kinesis ${this.command} ${label} ...`);
    return value;
  }

  /** Refuse positionals past the first `count` (a mistyped flag value usually lands here). */
  atMostPositionals(count: number): void {
    const extra = this.positionals[count];
    if (extra !== undefined) throw new ConfigError("arguments", `unexpected argument "${extra}" for ${this.command}`);
  }
}

/** What argv asked for: the verb path, its arguments, the global flags and whether help was wanted. */
export interface CommandLine {
  /** The chosen verb and sub-verbs, outermost first; empty when no verb was given. */
  readonly path: readonly CliCommand[];
  readonly args: ParsedArgs;
  readonly globals: ParsedArgs;
  readonly help: boolean;
}

/**
 * Parse `argv` (without the runtime and script). `lenient` (for `--help`) ignores unknown flags and
 * missing values, so help is shown for the verb however the rest of the line is broken.
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[], globalFlags: FlagSpecs, lenient = false): CommandLine {
  const path: CliCommand[] = [];
  const positionals: string[] = [];
  const values = new Map<string, string[] | true>();
  const globalValues = new Map<string, string[] | true>();
  let help = false;
  let optionsEnded = false;
  const choices = (): readonly CliCommand[] | undefined => (path.length === 0 ? commands : path.at(-1)!.subcommands);
  const words = (): string => path.map((c) => c.name).join(" ") || "async-kinesis";

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!optionsEnded && token === "--") {
      optionsEnded = true;
      continue;
    }
    if (!optionsEnded && (token === "-h" || token === "--help")) {
      help = true;
      continue;
    }
    if (!optionsEnded && token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = token.slice(2, eq === -1 ? undefined : eq);
      const inline = eq === -1 ? undefined : token.slice(eq + 1);
      const own = path.at(-1)?.flags?.[name];
      const spec: FlagSpec | undefined = own ?? globalFlags[name];
      if (spec === undefined) {
        if (lenient) continue;
        throw new ConfigError(`--${name}`, `unknown option for ${words()}`);
      }
      const target = own === undefined ? globalValues : values;
      if (spec.kind === "boolean") {
        if (inline !== undefined && !lenient) throw new ConfigError(`--${name}`, "takes no value");
        target.set(name, true);
        continue;
      }
      let value = inline;
      if (value === undefined) {
        const next = argv[i + 1];
        // `--from --limit 3` is a forgotten value, not the value "--limit".
        if (next !== undefined && !next.startsWith("--")) {
          value = next;
          i++;
        }
      }
      if (value === undefined) {
        if (lenient) continue;
        throw new ConfigError(`--${name}`, `needs a value${spec.value === undefined ? "" : ` (${spec.value})`}`);
      }
      const seen = target.get(name);
      if (seen !== undefined && seen !== true && spec.multiple !== true && !lenient) {
        throw new ConfigError(`--${name}`, "given more than once");
      }
      target.set(name, seen === undefined || seen === true ? [value] : [...seen, value]);
      continue;
    }
    if (!optionsEnded && token.startsWith("-") && token !== "-") {
      if (lenient) continue;
      throw new ConfigError(token, `unknown option for ${words()} (options are spelled --name)`);
    }
    const options = positionals.length === 0 ? choices() : undefined;
    if (options !== undefined && options.length > 0) {
      const chosen = options.find((command) => command.name === token);
      if (chosen === undefined) {
        if (lenient) break;
        const known = options.map((command) => command.name).join(", ");
        throw new ConfigError("<command>", `"${token}" is not a command of ${words()} (commands: ${known})`);
      }
      path.push(chosen);
      continue;
    }
    positionals.push(token);
  }
  return {
    path,
    args: new ParsedArgs(path.map((c) => c.name).join(" "), positionals, values),
    globals: new ParsedArgs("async-kinesis", [], globalValues),
    help,
  };
}
