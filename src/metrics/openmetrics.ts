import { ConfigError } from "../errors.ts";

/**
 * The OpenMetrics text format, small and dependency-free: metric families (a type, a help line, an
 * optional unit) and their samples, written as the specification asks (counters get `_total`, label
 * values and help text are escaped, `# EOF` ends the exposition).
 */

/** What a family measures: a `counter` only goes up (until its process restarts); a `gauge` goes both ways. */
export type MetricType = "counter" | "gauge";

/** One series of a family: its labels (in the order written) and its current value. */
export interface Sample {
  labels: ReadonlyArray<readonly [name: string, value: string]>;
  value: number;
}

/** A metric family; `name` is without the `_total` a counter's samples carry, and ends with `_<unit>` when it has a unit. */
export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  unit?: string | undefined;
  samples: Sample[];
}

/** Metric and label names as OpenMetrics and Prometheus accept them (no colons: those are for recording rules). */
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws `ConfigError` naming `option` unless `name` is a valid metric or label name. */
export function checkName(name: string, option: string): void {
  if (!NAME.test(name)) throw new ConfigError(option, `"${name}" is not a valid metric or label name (letters, digits and _, not starting with a digit)`);
}

/** A label value or help text as OpenMetrics escapes them: backslash, double quote and line feed. */
export function escapeText(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** Numbers as OpenMetrics writes them: `NaN`, `+Inf`, `-Inf`, or JavaScript's shortest round-trip form. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function formatLabels(labels: Sample["labels"]): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([name, value]) => `${name}="${escapeText(value)}"`).join(",")}}`;
}

/** The exposition: every family's metadata and samples, then `# EOF`. */
export function writeOpenMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# TYPE ${family.name} ${family.type}`);
    if (family.unit !== undefined) lines.push(`# UNIT ${family.name} ${family.unit}`);
    lines.push(`# HELP ${family.name} ${escapeText(family.help)}`);
    const sampleName = family.type === "counter" ? `${family.name}_total` : family.name;
    for (const sample of family.samples) lines.push(`${sampleName}${formatLabels(sample.labels)} ${formatNumber(sample.value)}`);
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}
