import { ProtocolError } from "../../errors.ts";
import type { LeaseRow } from "./lease-row.ts";

/**
 * A lease row as a structured-clone value (a Durable Object's storage, Deno KV), with the guide's
 * field names where it has them (`ref`, `ts`, `sequence`, `ttl`) and the other stores' for the rest,
 * so a person reading the store sees what a DynamoDB table or a Redis hash would show.
 */
export interface StoredLeaseRow {
  group: string;
  stream: string;
  shard: string;
  ref?: string;
  lease_counter: number;
  sequence?: string;
  finished: boolean;
  pending_owner?: string;
  /** Epoch seconds of the last owner write. */
  ts?: number;
  /** Epoch seconds after which the store may delete the row. */
  ttl?: number;
  incarnation?: string;
  start_at?: number;
  /** The shard's recent throughput as its owner delivered it. */
  bytes_per_second?: number;
}

export function encodeStoredRow(row: LeaseRow): StoredLeaseRow {
  const stored: StoredLeaseRow = { group: row.group, stream: row.stream, shard: row.shardId, lease_counter: row.counter, finished: row.finished };
  // Absent, not undefined: a structured clone keeps undefined-valued fields, and people read these rows.
  if (row.owner !== undefined) stored.ref = row.owner;
  if (row.sequence !== undefined) stored.sequence = row.sequence;
  if (row.pendingOwner !== undefined) stored.pending_owner = row.pendingOwner;
  if (row.updatedAtSeconds !== undefined) stored.ts = row.updatedAtSeconds;
  if (row.ttl !== undefined) stored.ttl = row.ttl;
  if (row.incarnation !== undefined) stored.incarnation = row.incarnation;
  if (row.startAt !== undefined) stored.start_at = row.startAt;
  if (row.bytesPerSecond !== undefined) stored.bytes_per_second = row.bytesPerSecond;
  return stored;
}

/** The row stored under `key`; anything else there is a `ProtocolError` naming the key (never guessed at). */
export function decodeStoredRow(key: string, value: unknown): LeaseRow {
  const bad = (what: string): ProtocolError => new ProtocolError(`lease row ${key}: ${what}; the key holds something this library did not write`);
  if (typeof value !== "object" || value === null) throw bad("not an object");
  const v = value as Record<string, unknown>;
  const text = (name: string, required = false): string | undefined => {
    const field = v[name];
    if (field === undefined && !required) return undefined;
    if (typeof field !== "string") throw bad(`${name} is not a string`);
    return field;
  };
  const number = (name: string, required = false): number | undefined => {
    const field = v[name];
    if (field === undefined && !required) return undefined;
    if (typeof field !== "number" || !Number.isFinite(field)) throw bad(`${name} is not a number`);
    return field;
  };
  if (typeof v["finished"] !== "boolean") throw bad("finished is not a boolean");
  return {
    key,
    group: text("group", true)!,
    stream: text("stream", true)!,
    shardId: text("shard", true)!,
    owner: text("ref"),
    counter: number("lease_counter", true)!,
    sequence: text("sequence"),
    finished: v["finished"],
    pendingOwner: text("pending_owner"),
    updatedAtSeconds: number("ts"),
    ttl: number("ttl"),
    incarnation: text("incarnation"),
    startAt: number("start_at"),
    bytesPerSecond: number("bytes_per_second"),
  };
}
