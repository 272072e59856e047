/**
 * The shape every measurement reports, and how the driver prints it. A measurement returns one or more
 * sections; a section compares async-kinesis with one baseline (the AWS SDK, Buffer, ...). A new row or
 * section needs no change here: return it from a measurement and it is printed.
 */

/** Whether a smaller number (bytes, ms, CPU) or a larger one (ops/s, records/s) is the better one. */
export type Better = "lower" | "higher";

export interface Row {
  /** What was measured, short enough for a table cell. */
  name: string;
  /** Unit of `ours` and `baseline`: "KiB", "ms", "ops/s", "records/CPU-s", ... */
  unit: string;
  better: Better;
  /** Our number; NaN for a row that could not be measured (printed as "—"; leave `baseline` out). */
  ours: number;
  /** The baseline's number; absent for rows that have no counterpart (printed as "—"). */
  baseline?: number | undefined;
  /** How many times better than the baseline ours should be (10 = "10× better"); absent: no target. */
  target?: number | undefined;
}

export interface Section {
  title: string;
  /** Column header for the baseline, e.g. "AWS SDK v3" or "Buffer". */
  baseline: string;
  rows: Row[];
  /** Printed under the table: how it was measured, caveats. */
  notes?: string[] | undefined;
}

/** How many times better ours is (>1 better, <1 worse); undefined without a baseline. */
export function advantage(row: Row): number | undefined {
  if (row.baseline === undefined || row.ours <= 0 || row.baseline <= 0) return undefined;
  return row.better === "lower" ? row.baseline / row.ours : row.ours / row.baseline;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "—"; // a row that could not be measured (NaN)
  const abs = Math.abs(value);
  if (abs >= 10_000_000) return `${(value / 1_000_000).toFixed(1)} M`;
  if (abs >= 100_000) return `${(value / 1000).toFixed(0)} k`;
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function formatRatio(row: Row): string {
  const adv = advantage(row);
  if (adv === undefined) return "—";
  return adv >= 1 ? `${formatRatioValue(adv)}× better` : `${formatRatioValue(1 / adv)}× worse`;
}

function formatRatioValue(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

export function formatTarget(row: Row): string {
  if (row.target === undefined) return "";
  const adv = advantage(row);
  const met = adv !== undefined && adv >= row.target;
  return `≥${row.target}× ${met ? "met" : "MISSED"}`;
}

/** A section as a Markdown table (aligned for the terminal, pasteable into an issue). */
export function renderSection(section: Section): string {
  const header = ["Measurement", "async-kinesis", section.baseline, "ours vs " + section.baseline, "target"];
  const body = section.rows.map((row) => [
    row.name,
    `${formatNumber(row.ours)} ${row.unit}`,
    row.baseline === undefined ? "—" : `${formatNumber(row.baseline)} ${row.unit}`,
    formatRatio(row),
    formatTarget(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const numeric = [false, true, true, true, false];
  const line = (cells: string[]): string =>
    "| " + cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  const out = [`### ${section.title}`, "", line(header), rule, ...body.map(line)];
  if (section.notes !== undefined && section.notes.length > 0) out.push("", ...section.notes.map((n) => `- ${n}`));
  return out.join("\n");
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
