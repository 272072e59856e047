import { ProtocolError } from "../../errors.ts";
import type { Clock } from "../../internal/clock.ts";
import { compareSequence, laterSequence } from "../../internal/sequence.ts";
import type { HeldLease, OwnerWriteOptions, OwnerWriteResult } from "../dynamodb/held-lease.ts";
import { afterConditionFailure } from "../dynamodb/lease-rules.ts";
import type { OwnerWriteKind } from "../dynamodb/lease-writes.ts";
import type { LeaseRows, RedisStamp, ScriptOutcome } from "./lease-rows.ts";

export interface RedisWriter {
  rows: LeaseRows;
  stream: string;
  me: string;
  clock: Clock;
  stamp(kind: OwnerWriteKind): RedisStamp;
  signal: AbortSignal;
}

/**
 * One fenced owner write, queued behind the lease's other writes (HeldLease runs them one at a time).
 * The script answers a failed condition with the row as it is, in the same atomic step: if it still
 * names this worker, an earlier write of ours landed although its answer was lost (a dropped
 * connection), so the counter is adopted and the write made once more; otherwise the lease is lost.
 */
export function writeAsOwner(writer: RedisWriter, lease: HeldLease, kind: OwnerWriteKind, options: OwnerWriteOptions): Promise<OwnerWriteResult> {
  return lease.serialize(async () => {
    if (options.onlyIfPending === true && lease.pending === undefined) return { kind: "skipped" };
    if (lease.state === "gone") return { kind: "skipped" };
    const since = lease.pendingSince ?? writer.clock.now();
    let sequence = options.withPending ? lease.takePending() : undefined;
    for (let round = 0; round < 3; round++) {
      const sentAt = writer.clock.now();
      lease.lastAttemptAt = sentAt;
      let outcome: ScriptOutcome;
      try {
        const write = { me: writer.me, counter: lease.counter, sequence, stamp: writer.stamp(kind) };
        outcome = await writer.rows.ownerWrite(kind, writer.stream, lease.shardId, write, writer.signal);
      } catch (error) {
        lease.restorePending(sequence, since);
        return { kind: "failed", error };
      }
      if (outcome.ok) {
        lease.counter = outcome.row?.counter ?? lease.counter + 1;
        lease.committed = laterSequence(laterSequence(lease.committed, sequence), outcome.row?.sequence);
        lease.writing = undefined;
        lease.lastRenewedAt = sentAt;
        return { kind: "ok", row: outcome.row };
      }
      const verdict = afterConditionFailure(outcome.row, writer.me);
      if (verdict.kind === "lost") {
        lease.writing = undefined;
        lease.lostTo = { owner: verdict.owner };
        return { kind: "lost", owner: verdict.owner };
      }
      lease.counter = verdict.row.counter;
      lease.committed = laterSequence(lease.committed, verdict.row.sequence);
      if (sequence !== undefined && lease.committed !== undefined && compareSequence(sequence, lease.committed) <= 0) sequence = undefined;
    }
    lease.restorePending(sequence, since);
    return { kind: "failed", error: new ProtocolError(`lease on ${lease.shardId}: the fenced write kept failing its condition although the row names this worker`) };
  });
}
