import { backoffDelay, type BackoffPolicy, defaultBackoff } from "../../internal/backoff.ts";
import { isThrottling, ProtocolError } from "../../errors.ts";
import { compareSequence, laterSequence } from "../../internal/sequence.ts";
import type { ConditionalOutcome } from "./backend.ts";
import type { HeldLease } from "./held-lease.ts";
import { afterConditionFailure, type FencedWrite, type OwnerWriteKind } from "./lease-rules.ts";
import type { LeaseRow } from "./lease-row.ts";

export type OwnerWriteResult =
  | { kind: "ok"; row: LeaseRow | undefined }
  | { kind: "skipped" }
  | { kind: "lost"; owner: string | undefined }
  | { kind: "failed"; error: unknown };

/**
 * The default backoff, capped at one heartbeat: a lease whose writes keep failing still tries about
 * once per heartbeat, as it would when healthy, so a recovering store renews it well within sessionTimeout.
 */
export function ownerWriteBackoff(heartbeatMs: number): BackoffPolicy {
  return { ...defaultBackoff, capMs: Math.min(defaultBackoff.capMs, heartbeatMs) };
}

export interface OwnerWriteOptions {
  /** Carry the buffered checkpoint. */
  withPending: boolean;
  /** Skip the write when nothing is buffered by the time it runs (flushes). */
  onlyIfPending?: boolean;
  /** Record where a lease without a checkpoint started (epoch ms). */
  startAt?: number;
}

/** What the fenced-write loop needs from a backend's writer, whatever the store. */
export interface FencedWriteContext {
  me: string;
  /** Monotonic milliseconds (schedules and backoff, never stamps). */
  now: () => number;
  /** Backoff between failed timed writes of one lease (see `ownerWriteBackoff`), and its jitter source. */
  backoff: BackoffPolicy;
  random: () => number;
  /** Called once per write that landed carrying a checkpoint (the `checkpointWrites` statistic). */
  onCheckpointWritten?: (() => void) | undefined;
}

/**
 * One fenced owner write, queued behind the lease's other writes; `attempt` sends it once to the
 * store (DynamoDB, Redis) and throws for anything but a failed condition. A failed condition is
 * looked into: if the row still names this worker, the failure was our own retried write having
 * landed, so the counter is adopted and the write made once more; if it shows our finish or release
 * done, that write landed and its answer was lost; otherwise the lease is lost. A failure backs the
 * lease's next timed write off.
 */
export function runFencedWrite(
  context: FencedWriteContext,
  lease: HeldLease,
  kind: OwnerWriteKind,
  options: OwnerWriteOptions,
  attempt: (write: FencedWrite) => Promise<ConditionalOutcome>,
): Promise<OwnerWriteResult> {
  return lease.serialize(async () => {
    if (options.onlyIfPending === true && lease.pending === undefined) return { kind: "skipped" };
    if (lease.state === "gone") return { kind: "skipped" };
    const since = lease.pendingSince ?? context.now();
    let sequence = options.withPending ? lease.takePending() : undefined;
    const fail = (error: unknown): OwnerWriteResult => {
      lease.restorePending(sequence, since);
      lease.writeFailed(context.now(), backoffDelay(context.backoff, lease.consecutiveFailures, isThrottling(error), context.random));
      return { kind: "failed", error };
    };
    for (let round = 0; round < 3; round++) {
      const sentAt = context.now();
      lease.lastAttemptAt = sentAt;
      const write: FencedWrite = { kind, counter: lease.counter, sequence, startAt: options.startAt, bytesPerSecond: lease.throughput?.sample(sentAt) };
      let outcome: ConditionalOutcome;
      try {
        outcome = await attempt(write);
      } catch (error) {
        return fail(error);
      }
      if (outcome.landed) return landed(context, lease, outcome.row, sequence, sentAt);
      const verdict = afterConditionFailure(outcome.current, context.me, write);
      if (verdict.kind === "landed") return landed(context, lease, verdict.row, sequence, sentAt);
      if (verdict.kind === "lost") {
        lease.writing = undefined;
        lease.lostTo = { owner: verdict.owner };
        return { kind: "lost", owner: verdict.owner };
      }
      lease.counter = verdict.row.counter;
      lease.committed = laterSequence(lease.committed, verdict.row.sequence);
      if (sequence !== undefined && lease.committed !== undefined && compareSequence(sequence, lease.committed) <= 0) sequence = undefined;
    }
    // The store contradicting itself (the condition fails on a row that matches it): typed, as every error we surface.
    return fail(new ProtocolError(`lease on ${lease.shardId}: the fenced write kept failing its condition although the row names this worker`));
  });
}

/** Our write (sent at `sentAt`) is in the table: adopt the counter and checkpoint it left. */
function landed(context: FencedWriteContext, lease: HeldLease, row: LeaseRow | undefined, sequence: string | undefined, sentAt: number): OwnerWriteResult {
  if (sequence !== undefined) context.onCheckpointWritten?.();
  lease.counter = row?.counter ?? lease.counter + 1;
  lease.committed = laterSequence(laterSequence(lease.committed, sequence), row?.sequence);
  lease.writing = undefined;
  lease.lastRenewedAt = sentAt;
  lease.writeLanded();
  return { kind: "ok", row };
}
