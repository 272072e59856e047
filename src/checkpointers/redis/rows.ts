import { ProtocolError } from "../../errors.ts";
import type { LeaseRow } from "../lease/lease-row.ts";

/**
 * Where a group's rows live. Every key starts with `<prefix>:{<group>}`: the group is a Redis
 * Cluster hash tag, so one script may touch a row and its indexes (one slot per group), and two
 * groups never share a key. Group, stream and shard names cannot contain `{`, `}` or `:` (checked
 * by the options and at session start), so keys split back unambiguously.
 *
 * - `<prefix>:{<group>}`                    set of the group's streams (index)
 * - `<prefix>:{<group>}:<stream>`           set of the stream's shard ids (index)
 * - `<prefix>:{<group>}:<stream>:<shard>`   hash: one lease row
 */
export class KeySpace {
  readonly prefix: string;
  readonly group: string;

  constructor(prefix: string, group: string) {
    this.prefix = prefix;
    this.group = group;
  }

  get groupIndex(): string {
    return `${this.prefix}:{${this.group}}`;
  }

  streamIndex(stream: string): string {
    return `${this.groupIndex}:${stream}`;
  }

  row(stream: string, shardId: string): string {
    return `${this.streamIndex(stream)}:${shardId}`;
  }

  /** The KEYS every writing script gets: row, stream index, group index. */
  writeKeys(stream: string, shardId: string): [string, string, string] {
    return [this.row(stream, shardId), this.streamIndex(stream), this.groupIndex];
  }
}

/** Names that become part of a key: no hash-tag braces, no separator, no whitespace. */
export const KEY_PART = /^[^{}:\s]+$/;

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  throw new ProtocolError(`unexpected value in a Redis reply: ${typeof value}`);
}

/** A flat `HGETALL` list (`[field, value, ...]`) as a record; an empty list is no row. */
export function fieldsOf(reply: unknown): Map<string, string> {
  if (!Array.isArray(reply)) throw new ProtocolError("a Redis script answered with something other than a list");
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(text(reply[i]), text(reply[i + 1]));
  return fields;
}

/** Decode one row; undefined for an empty (missing) row or one that is not ours. */
export function decodeRow(reply: unknown, keys: KeySpace): LeaseRow | undefined {
  const fields = fieldsOf(reply);
  const stream = fields.get("stream");
  const shardId = fields.get("shard");
  if (stream === undefined || shardId === undefined) return undefined;
  const counter = Number(fields.get("lease_counter") ?? "0");
  const ts = fields.get("ts");
  return {
    key: keys.row(stream, shardId),
    group: fields.get("group") ?? keys.group,
    stream,
    shardId,
    owner: fields.get("ref"),
    counter: Number.isFinite(counter) ? counter : 0,
    sequence: fields.get("sequence"),
    finished: fields.get("finished") === "1",
    pendingOwner: fields.get("pending_owner"),
    updatedAtSeconds: ts === undefined ? undefined : Number(ts),
    ttl: undefined,
    incarnation: fields.get("incarnation"),
    startAt: numberOrUndefined(fields.get("start_at")),
    bytesPerSecond: numberOrUndefined(fields.get("bytes_per_second")),
  };
}

function numberOrUndefined(text: string | undefined): number | undefined {
  const value = text === undefined ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** A script's `{ ok, row }` answer: ok 1 when its condition held; row is the row after (or as found). */
export function decodeOutcome(reply: unknown, keys: KeySpace): { ok: boolean; row: LeaseRow | undefined } {
  if (!Array.isArray(reply) || reply.length !== 2) throw new ProtocolError("a Redis lease script answered with an unexpected shape");
  return { ok: Number(reply[0]) === 1, row: decodeRow(reply[1], keys) };
}
