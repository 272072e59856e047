/**
 * `npm run bench -- --nodes=20,24`: bench/launch.mjs runs the driver once per Node, each writing its
 * rows as JSON, then prints them with this module: every section once per Node, its title labelled
 * with that Node's version, followed by one table of our numbers side by side (the first Node listed
 * is the reference the others are compared with).
 */
import { formatNumber, renderSection, type Row, type Section } from "./table.ts";

/** What the driver's `--json=` writes. */
export interface NodeRun {
  node: string;
  cpu?: string | undefined;
  cores?: number | undefined;
  sections: Section[];
}

/** JSON has no NaN: a row that could not be measured comes back as null. */
function revive(run: NodeRun): NodeRun {
  return {
    ...run,
    sections: run.sections.map((section) => ({
      ...section,
      rows: section.rows.map((row) => ({ ...row, ours: typeof row.ours === "number" ? row.ours : Number.NaN })),
    })),
  };
}

/** How many times better `ours` is than `reference` (>1 better), by the row's own direction. */
function versus(row: Row, reference: Row): string {
  if (!(row.ours > 0) || !(reference.ours > 0)) return "—";
  const ratio = row.better === "lower" ? reference.ours / row.ours : row.ours / reference.ours;
  if (Math.abs(ratio - 1) < 0.005) return "same";
  return ratio >= 1 ? `${ratio.toFixed(2)}× better` : `${(1 / ratio).toFixed(2)}× worse`;
}

function sideBySide(title: string, runs: NodeRun[]): string | undefined {
  const reference = runs[0]!;
  const referenceSection = reference.sections.find((s) => s.title === title);
  if (referenceSection === undefined) return undefined;
  const others = runs.slice(1);
  const header = ["Measurement", ...runs.map((run) => `Node ${run.node}`), ...others.map((run) => `Node ${run.node} vs ${reference.node}`)];
  const body = referenceSection.rows.map((row) => {
    const matching = runs.map((run) => run.sections.find((s) => s.title === title)?.rows.find((r) => r.name === row.name));
    return [
      row.name,
      ...matching.map((r) => (r === undefined ? "—" : `${formatNumber(r.ours)} ${r.unit}`)),
      ...matching.slice(1).map((r) => (r === undefined ? "—" : versus(r, row))),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]): string => "| " + cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|";
  return [`#### ${title}: async-kinesis on each Node`, "", line(header), rule, ...body.map(line)].join("\n");
}

export function renderByNode(rawRuns: NodeRun[]): string {
  const runs = rawRuns.map(revive);
  const first = runs[0];
  if (first === undefined) throw new Error("no bench runs to print");
  const titles: string[] = [];
  for (const run of runs) for (const section of run.sections) if (!titles.includes(section.title)) titles.push(section.title);
  const out = [
    `## async-kinesis bench on ${runs.map((run) => `Node ${run.node}`).join(", ")}\n\n` +
    `- machine: ${first.cpu ?? "unknown CPU"}, ${first.cores ?? "?"} cores; each Node ran the whole driver in turn (its own process, its own children)`,
  ];
  for (const title of titles) {
    for (const run of runs) {
      const section = run.sections.find((s) => s.title === title);
      if (section !== undefined) out.push(renderSection({ ...section, title: `${title} — Node ${run.node}` }));
    }
    if (runs.length > 1) {
      const table = sideBySide(title, runs);
      if (table !== undefined) out.push(table);
    }
  }
  return out.join("\n\n") + "\n";
}
