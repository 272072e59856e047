import type { AttributeValue, Item } from "../../dynamodb/marshal.ts";
import type { LeaseRow } from "../lease/lease-row.ts";

/** A lease row as a DynamoDB item. The guide's attribute names, and every other one, live here only. */
export const ATTR = {
  key: "shard_id",
  owner: "ref",
  updatedAt: "ts",
  sequence: "sequence",
  ttl: "ttl",
  counter: "lease_counter",
  finished: "finished",
  pendingOwner: "pending_owner",
  group: "group",
  stream: "stream",
  shard: "shard",
  incarnation: "incarnation",
  startAt: "start_at",
  /** The shard's recent throughput as its owner delivered it (balance by load). */
  bytesPerSecond: "bytes_per_second",
  /** The sequence as a string whose byte order is numeric order, so a condition can refuse a regression. */
  sequenceOrder: "sequence_order",
} as const;

/**
 * `sequence` as text whose lexicographic order is its numeric order (DynamoDB compares strings by
 * bytes; Kinesis sequence numbers have more digits than its numbers hold): the digit count, 3 digits
 * wide, then the digits. Undefined for anything not a decimal number (no condition is then possible).
 */
export function sequenceOrder(sequence: string): string | undefined {
  const inside = /^([0-9]{1,999}):([0-9]{1,10})$/.exec(sequence);
  // `<sequence>:<sub>` (a checkpoint inside a KPL aggregate) lies after the record before `sequence`
  // and before `sequence` itself: the previous record's order, then `:` and the sub-sequence, fixed width.
  if (inside !== null) {
    const previous = BigInt(inside[1]!) - 1n;
    return previous < 0n ? undefined : `${sequenceOrder(previous.toString())!}:${inside[2]!.padStart(10, "0")}`;
  }
  if (!/^[0-9]{1,999}$/.test(sequence)) return undefined;
  const digits = sequence.replace(/^0+(?=.)/, "");
  return `${String(digits.length).padStart(3, "0")}${digits}`;
}

/**
 * Stream names cannot contain `#` (Kinesis allows `[a-zA-Z0-9_.-]`), nor can group names (see options),
 * so the key splits back unambiguously.
 */
export function rowKey(group: string, stream: string, shardId: string): string {
  return `${group}#${stream}#${shardId}`;
}

export function keyItem(key: string): Item {
  return { [ATTR.key]: { S: key } };
}

function text(item: Item, name: string): string | undefined {
  const value: AttributeValue | undefined = item[name];
  return value !== undefined && "S" in value ? value.S : undefined;
}

function number(item: Item, name: string): number | undefined {
  const value: AttributeValue | undefined = item[name];
  if (value === undefined || !("N" in value)) return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function bool(item: Item, name: string): boolean {
  const value: AttributeValue | undefined = item[name];
  return value !== undefined && "BOOL" in value && value.BOOL;
}

/** Decode a stored item; undefined for items that are not ours (no string key). */
export function decodeRow(item: Item): LeaseRow | undefined {
  const key = text(item, ATTR.key);
  if (key === undefined) return undefined;
  const parts = splitKey(key);
  return {
    key,
    group: text(item, ATTR.group) ?? parts.group,
    stream: text(item, ATTR.stream) ?? parts.stream,
    shardId: text(item, ATTR.shard) ?? parts.shardId,
    owner: text(item, ATTR.owner),
    counter: number(item, ATTR.counter) ?? 0,
    sequence: text(item, ATTR.sequence),
    finished: bool(item, ATTR.finished),
    pendingOwner: text(item, ATTR.pendingOwner),
    updatedAtSeconds: number(item, ATTR.updatedAt),
    ttl: number(item, ATTR.ttl),
    incarnation: text(item, ATTR.incarnation),
    startAt: number(item, ATTR.startAt),
    bytesPerSecond: number(item, ATTR.bytesPerSecond),
  };
}

/** The shard id is after the last `#`, the stream before it, the group is the rest. */
function splitKey(key: string): { group: string; stream: string; shardId: string } {
  const last = key.lastIndexOf("#");
  const middle = last > 0 ? key.lastIndexOf("#", last - 1) : -1;
  if (last < 0 || middle < 0) return { group: "", stream: "", shardId: key };
  return { group: key.slice(0, middle), stream: key.slice(middle + 1, last), shardId: key.slice(last + 1) };
}
