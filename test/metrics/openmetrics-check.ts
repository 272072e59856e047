/**
 * A strict reader of OpenMetrics text, written for these tests from the specification (no parser
 * package is installed): it returns the families with their samples, and throws on anything a
 * conforming scraper would refuse — a sample outside its family, a counter sample without `_total`,
 * a unit that is not the name's suffix, a malformed label or value, a duplicate family or series, a
 * missing or early `# EOF`.
 */
export interface ParsedFamily {
  name: string;
  type: string;
  unit: string | undefined;
  help: string | undefined;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

function unescape(text: string, where: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "n") return "\n";
    if (c === "\\" || c === '"') return c;
    throw new Error(`${where}: bad escape \\${c}`);
  });
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([^=]+)="((?:[^"\\\n]|\\.)*)"(,|$)/.exec(rest);
    if (match === null) throw new Error(`${where}: malformed labels {${text}}`);
    const [whole, name, value] = match as unknown as [string, string, string];
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${name}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = unescape(value, where);
    rest = rest.slice(whole.length);
  }
  return labels;
}

export function parseOpenMetrics(text: string): ParsedFamily[] {
  if (!text.endsWith("# EOF\n")) throw new Error("the exposition must end with # EOF and a line feed");
  const lines = text.slice(0, -1).split("\n");
  const families: ParsedFamily[] = [];
  const series = new Set<string>();
  let current: ParsedFamily | undefined;
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line === "# EOF") {
      if (i !== lines.length - 1) throw new Error(`${where}: # EOF before the end`);
      return;
    }
    const meta = /^# (TYPE|HELP|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, keyword, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad family name`);
      if (current?.name !== name) {
        if (families.some((f) => f.name === name)) throw new Error(`${where}: family ${name} declared twice`);
        current = { name, type: "unknown", unit: undefined, help: undefined, samples: [] };
        families.push(current);
      }
      if (keyword === "TYPE") {
        if (!["counter", "gauge", "unknown", "info", "stateset", "histogram", "gaugehistogram", "summary"].includes(rest)) {
          throw new Error(`${where}: bad type`);
        }
        current.type = rest;
      } else if (keyword === "UNIT") {
        if (!name.endsWith(`_${rest}`)) throw new Error(`${where}: the unit must be the name's suffix`);
        current.unit = rest;
      } else {
        current.help = unescape(rest, where);
      }
      return;
    }
    if (line.startsWith("#")) throw new Error(`${where}: unknown comment line`);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`${where}: malformed sample`);
    const [, name, labelText, valueText] = sample as unknown as [string, string, string | undefined, string];
    if (current === undefined) throw new Error(`${where}: sample before any family`);
    const expected = current.type === "counter" ? `${current.name}_total` : current.name;
    if (name !== expected) throw new Error(`${where}: sample ${name} in family ${current.name} (${current.type}) must be ${expected}`);
    if (!NUMBER.test(valueText)) throw new Error(`${where}: bad value`);
    const value = Number(valueText.replace("Inf", "Infinity"));
    if (current.type === "counter" && !(value >= 0)) throw new Error(`${where}: a counter must be non-negative`);
    const labels = parseLabels(labelText ?? "", where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: duplicate series`);
    series.add(key);
    current.samples.push({ name, labels, value });
  });
  return families;
}

/** The value of one series, by family name and labels (which must match exactly). */
export function valueOf(families: readonly ParsedFamily[], family: string, labels: Record<string, string> = {}): number | undefined {
  const found = families.find((f) => f.name === family);
  const sample = found?.samples.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return sample?.value;
}
