import { ConfigError } from "../errors.ts";
import { parseIsoTime } from "../internal/iso-time.ts";

/** Where `resetCheckpoints` moves a group: the oldest record kept, new records only, a time, or after one sequence number. */
export type ResetTo = "trim-horizon" | "latest" | Date | string;

/** Where a row says its shard resumes. */
export interface Position {
  /** Resume strictly after this sequence number. */
  sequence?: string | undefined;
  /** Without a sequence: start at this epoch ms (AT_TIMESTAMP). */
  startAt?: number | undefined;
  /** Read to its end: never read again. */
  finished: boolean;
}

/** A checkpoint: decimal digits, or `<sequence>:<sub-sequence>` inside a KPL aggregate. */
export const SEQUENCE = /^[0-9]{1,128}(?::[0-9]{1,10})?$/;

/**
 * A `--to` argument: `trim-horizon`, `latest`, an ISO 8601 time with its zone (`2026-11-30T12:00:00Z`) or a
 * sequence number. Anything else is a `ConfigError` naming `to`.
 */
export function parseResetTo(text: string): ResetTo {
  const value = text.trim();
  if (value === "trim-horizon" || value === "latest") return value;
  if (SEQUENCE.test(value)) return value;
  const time = parseIsoTime(value, "to");
  if (time !== undefined) return time;
  throw new ConfigError("to", `to must be trim-horizon, latest, an ISO 8601 time or a sequence number (got ${JSON.stringify(text)})`);
}

/** `to` as people read it. */
export function describeResetTo(to: ResetTo): string {
  if (to instanceof Date) return to.toISOString();
  return to;
}

/** A position as one short phrase: what the next owner does with it. */
export function describePosition(position: Position | undefined): string {
  if (position === undefined) return "(no row: starts as the consumer is configured)";
  if (position.finished) return position.sequence === undefined ? "finished" : `finished (last ${position.sequence})`;
  if (position.sequence !== undefined) return `after ${position.sequence}`;
  if (position.startAt === 0) return "trim horizon";
  if (position.startAt !== undefined) return `at ${new Date(position.startAt).toISOString()}`;
  return "as the consumer is configured";
}

/** Whether two positions say the same. */
export function samePosition(a: Position | undefined, b: Position): boolean {
  return a !== undefined && a.finished === b.finished && a.sequence === b.sequence && a.startAt === b.startAt;
}
