import type { CheckpointChange } from "./apply.ts";
import type { CheckpointRow } from "./list.ts";
import { describePosition } from "./position.ts";

/** Lag in people's units: `0s`, `42s`, `3m05s`, `2h10m`; `unknown` when not known. */
export function formatLag(row: Pick<CheckpointRow, "lagMs">): string {
  if (row.lagMs === undefined) return "unknown";
  const seconds = Math.round(row.lagMs / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(header: readonly string[], lines: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const render = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [render(header), ...lines.map(render)].join("\n");
}

/** `listCheckpoints` rows as the operator table: shard, owner, sequence, lag, last update, finished. */
export function formatCheckpointTable(rows: readonly CheckpointRow[]): string {
  const lines = rows.map((row) => [
    row.shardId + (row.gone ? " (gone)" : ""),
    row.owner === undefined ? "-" : row.owner + (row.live ? "" : " (expired)"),
    row.noRow
      ? "(no row)"
      : row.foreign
      ? "(earlier stream)"
      : row.sequence ?? (row.startAt === undefined ? "-" : describePosition({ startAt: row.startAt, finished: false })),
    formatLag(row),
    row.updatedAt === undefined ? "-" : new Date(row.updatedAt).toISOString(),
    row.finished ? "yes" : "no",
  ]);
  return formatTable(["SHARD", "OWNER", "SEQUENCE", "LAG", "LAST UPDATE", "FINISHED"], lines);
}

/** What a reset, migration or import changed (or would): one line per shard, before → after. */
export function formatChanges(changes: readonly CheckpointChange[]): string {
  if (changes.length === 0) return "no changes";
  const lines = changes.map((c) => [
    c.shardId,
    describePosition(c.before),
    describePosition(c.after) + (c.displacedOwner === undefined ? "" : `  (lease taken from ${c.displacedOwner})`),
  ]);
  return formatTable(["SHARD", "BEFORE", "AFTER"], lines);
}
