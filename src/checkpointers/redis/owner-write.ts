import { runFencedWrite, type FencedWriteContext, type OwnerWriteOptions, type OwnerWriteResult } from "../lease/fenced-write.ts";
import type { HeldLease } from "../lease/held-lease.ts";
import type { OwnerWriteKind } from "../lease/lease-rules.ts";
import type { LeaseRows, RedisStamp } from "./lease-rows.ts";

export interface RedisWriter extends FencedWriteContext {
  rows: LeaseRows;
  stream: string;
  stamp(kind: OwnerWriteKind): RedisStamp;
  signal: AbortSignal;
}

/**
 * One fenced owner write through the shared loop (queueing, lost answers, backoff): here one script,
 * which answers a failed condition with the row as it is in the same atomic step, so no extra read.
 */
export function writeAsOwner(writer: RedisWriter, lease: HeldLease, kind: OwnerWriteKind, options: OwnerWriteOptions): Promise<OwnerWriteResult> {
  return runFencedWrite(writer, lease, kind, options, async (write) => {
    const fenced = { me: writer.me, counter: write.counter, sequence: write.sequence, stamp: writer.stamp(kind) };
    const outcome = await writer.rows.ownerWrite(kind, writer.stream, lease.shardId, fenced, writer.signal);
    return outcome.ok ? { landed: true, row: outcome.row } : { landed: false, current: outcome.row };
  });
}
