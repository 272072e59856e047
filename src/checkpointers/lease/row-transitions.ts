import { compareSequence } from "../../internal/sequence.ts";
import type { FencedWrite } from "./lease-rules.ts";
import { isForeignIncarnation, type LeaseRow } from "./lease-row.ts";

/**
 * The lease protocol's conditional writes as pure functions of the row as stored: each returns the
 * row to write, or undefined when its condition fails (the row stays as it is). A store that can
 * read a row and write it back in one atomic step (a Durable Object transaction, a Deno KV
 * versionstamp check) applies these and so gets exactly the conditions of the DynamoDB expressions
 * and the Redis scripts: fencing on owner + counter, one winner per race, no backward checkpoint.
 */

/** Where a row lives and what a fresh one says about itself. */
export interface RowIdentity {
  key: string;
  group: string;
  stream: string;
  shardId: string;
  incarnation: string | undefined;
}

/**
 * A fresh row owned by `me`, where there is none — or where the stored one belongs to another
 * incarnation of the stream: then everything it said is dropped and the counter moves past its own,
 * so its old owner's late writes stay fenced.
 */
export function createRow(old: LeaseRow | undefined, id: RowIdentity, me: string, nowMs: number): LeaseRow | undefined {
  if (old !== undefined && !isForeignIncarnation(old, id.incarnation)) return undefined;
  return {
    key: id.key,
    group: id.group,
    stream: id.stream,
    shardId: id.shardId,
    owner: me,
    counter: (old?.counter ?? 0) + 1,
    finished: false,
    updatedAtSeconds: nowMs / 1000,
    incarnation: id.incarnation,
  };
}

/** A take, conditional on the counter and owner (none for a free row) the taker observed; never a finished row. */
export function takeRow(row: LeaseRow | undefined, me: string, expected: { counter: number; owner?: string | undefined }, nowMs: number): LeaseRow | undefined {
  if (row === undefined || row.finished || row.counter !== expected.counter || row.owner !== expected.owner) return undefined;
  return { ...row, owner: me, counter: row.counter + 1, pendingOwner: undefined, updatedAtSeconds: nowMs / 1000 };
}

/** Ask `owner` for the shard: only the pending owner changes (not the counter, or the owner's fencing would break). */
export function requestHandoffRow(row: LeaseRow | undefined, me: string, owner: string): LeaseRow | undefined {
  if (row === undefined || row.owner !== owner || row.pendingOwner !== undefined) return undefined;
  return { ...row, pendingOwner: me };
}

/** Withdraw `me`'s handoff request, if it is still there. */
export function cancelHandoffRow(row: LeaseRow | undefined, me: string): LeaseRow | undefined {
  if (row === undefined || row.pendingOwner !== me) return undefined;
  return { ...row, pendingOwner: undefined };
}

/**
 * An owner's renew, release or finish: fenced on owner and counter, refused when it carries a
 * sequence not later than the stored one; bumps the counter. A carried `startAt` is kept only if the
 * row has none (it is where reading began); a carried rate replaces the stored one. A release leaves a pending owner (the row is reserved for
 * it); a finish clears both.
 */
export function ownerWriteRow(row: LeaseRow | undefined, me: string, write: FencedWrite, nowMs: number): LeaseRow | undefined {
  if (row === undefined || row.owner !== me || row.counter !== write.counter) return undefined;
  if (write.sequence !== undefined && row.sequence !== undefined && compareSequence(write.sequence, row.sequence) <= 0) return undefined;
  const next: LeaseRow = { ...row, counter: row.counter + 1, updatedAtSeconds: nowMs / 1000 };
  if (write.sequence !== undefined) next.sequence = write.sequence;
  if (write.startAt !== undefined && next.startAt === undefined) next.startAt = write.startAt;
  if (write.bytesPerSecond !== undefined) next.bytesPerSecond = write.bytesPerSecond;
  if (write.kind === "release") next.owner = undefined;
  if (write.kind === "finish") {
    next.finished = true;
    next.owner = undefined;
    next.pendingOwner = undefined;
  }
  return next;
}
