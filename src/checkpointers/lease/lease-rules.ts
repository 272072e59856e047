import { compareSequence } from "../../internal/sequence.ts";
import { mayRequestHandoff, mayTakeFree } from "../balance.ts";
import type { LeaseRow } from "./lease-row.ts";

/**
 * The lease decisions, pure: given a row, this worker's view and its local clock, what to do.
 *
 * Expiry never compares timestamps written by two hosts. Each worker remembers, per row, the counter
 * it last saw and when (by its own clock) it first saw that counter, as the KCL does. A row whose
 * counter has not moved for `sessionTimeout` of this worker's time is expired. An owner renews by
 * bumping the counter, so a live owner's rows never look expired to anyone, whatever their clocks say.
 */

/** What this worker saw of one row: its counter and when (local ms) it first saw that counter. */
export interface Observation {
  counter: number;
  firstSeenAt: number;
}

export function observe(previous: Observation | undefined, counter: number, now: number): Observation {
  return previous !== undefined && previous.counter === counter ? previous : { counter, firstSeenAt: now };
}

/** The counter has not moved for a whole session timeout, as this worker observed it. */
export function isStale(observation: Observation | undefined, now: number, sessionTimeoutMs: number): boolean {
  return observation !== undefined && now - observation.firstSeenAt >= sessionTimeoutMs;
}

/** Who is alive in this group and stream, and how many leases each holds, by this worker's observations. */
export interface GroupView {
  liveWorkers: number;
  /** Leases per owner, not counting rows already asked to be handed over. */
  heldBy: ReadonlyMap<string, number>;
}

export function viewGroup(
  rows: readonly LeaseRow[],
  observations: ReadonlyMap<string, Observation>,
  now: number,
  sessionTimeoutMs: number,
  me: string,
): GroupView {
  const live = new Set<string>([me]);
  const heldBy = new Map<string, number>();
  for (const row of rows) {
    if (row.finished || isStale(observations.get(row.key), now, sessionTimeoutMs)) continue;
    if (row.owner !== undefined) {
      live.add(row.owner);
      if (row.pendingOwner === undefined) heldBy.set(row.owner, (heldBy.get(row.owner) ?? 0) + 1);
    }
    // A worker waiting for a handoff holds nothing yet, but it is alive and counts for fair share.
    if (row.pendingOwner !== undefined) live.add(row.pendingOwner);
  }
  return { liveWorkers: live.size, heldBy };
}

export type AllocationStep =
  | { kind: "create" }
  | { kind: "take"; counter: number; owner?: string | undefined; why: "free" | "reserved-for-me" | "expired" | "mine" | "predecessor" }
  | { kind: "request-handoff"; owner: string }
  | { kind: "wait"; why: string };

export interface AllocationInput {
  me: string;
  row: LeaseRow | undefined;
  /** This worker's observation of `row` (already updated with it). */
  observation: Observation | undefined;
  now: number;
  sessionTimeoutMs: number;
  /** Leases this worker holds plus handoffs it has asked for and not yet received. */
  mine: number;
  totalShards: number;
  group: GroupView;
  /**
   * Owners that were earlier processes of this same stable worker (`workerId`), as found when this
   * session first looked: their rows are taken back at once, without waiting for sessionTimeout.
   */
  predecessors?: ReadonlySet<string> | undefined;
}

export function decideAllocation(input: AllocationInput): AllocationStep {
  const { row, me } = input;
  const mayTake = mayTakeFree(input.mine, input.totalShards, input.group.liveWorkers);
  if (row === undefined) return mayTake ? { kind: "create" } : { kind: "wait", why: "fair share reached" };
  if (row.finished) return { kind: "wait", why: "shard finished" };
  const stale = isStale(input.observation, input.now, input.sessionTimeoutMs);

  if (row.owner === me) {
    // Ours in the table but not held here (a renewal outcome we never heard): take it back.
    return { kind: "take", counter: row.counter, owner: me, why: "mine" };
  }
  if (row.owner !== undefined && input.predecessors?.has(row.owner) === true) {
    // Left by this worker's previous process (a restart): take it back now. The take is conditional on
    // the owner and counter seen, so if that process still lives, its next write fails and it stops.
    return { kind: "take", counter: row.counter, owner: row.owner, why: "predecessor" };
  }
  if (row.owner !== undefined) {
    if (stale) return mayTake ? { kind: "take", counter: row.counter, owner: row.owner, why: "expired" } : { kind: "wait", why: "fair share reached" };
    if (row.pendingOwner !== undefined) return { kind: "wait", why: "handoff already requested" };
    const ownerHeld = input.group.heldBy.get(row.owner) ?? 1;
    if (mayRequestHandoff(input.mine, ownerHeld, input.totalShards, input.group.liveWorkers)) {
      return { kind: "request-handoff", owner: row.owner };
    }
    return { kind: "wait", why: "held by a live worker" };
  }
  // Free row.
  if (row.pendingOwner === me) return { kind: "take", counter: row.counter, why: "reserved-for-me" };
  if (row.pendingOwner !== undefined && !stale) return { kind: "wait", why: "reserved for the worker that asked for it" };
  return mayTake ? { kind: "take", counter: row.counter, why: "free" } : { kind: "wait", why: "fair share reached" };
}

/** What an owner does after a successful write returned its row. */
export type AfterOwnerWrite = "keep" | "hand-over";

export function afterOwnerWrite(row: LeaseRow, me: string): AfterOwnerWrite {
  return row.pendingOwner !== undefined && row.pendingOwner !== me ? "hand-over" : "keep";
}

/**
 * An owner's write: renew (heartbeat, optionally carrying a checkpoint), release (clear `ref`) or
 * finish (mark SHARD_END and clear `ref`). Always fenced on `ref = me AND lease_counter = counter`.
 */
export type OwnerWriteKind = "renew" | "release" | "finish";

/** The owner write whose condition failed, as sent. */
export interface FencedWrite {
  kind: OwnerWriteKind;
  /** The counter it was conditional on. */
  counter: number;
  /** The checkpoint it carried, if any. */
  sequence: string | undefined;
  /** Where a lease without a checkpoint started (epoch ms), if this write records it. */
  startAt?: number | undefined;
}

/**
 * A fenced write failed its condition. If the row still names this worker, the failure was our own
 * earlier write landing after its answer was lost (a retried timeout or reset): nobody else writes a
 * row whose `ref` is ours, so adopt its counter and carry on. A finish or release clears `ref`, so
 * when one of those lands and its answer is lost, the row is recognised by what the write left
 * behind instead (`landed`). Anything else means the lease is gone.
 */
export type AfterConditionFailure = { kind: "still-mine"; row: LeaseRow } | { kind: "landed"; row: LeaseRow } | { kind: "lost"; owner: string | undefined };

export function afterConditionFailure(current: LeaseRow | undefined, me: string, write?: FencedWrite): AfterConditionFailure {
  if (current !== undefined && current.owner === me && !current.finished) return { kind: "still-mine", row: current };
  if (current !== undefined && write !== undefined && ownWriteLanded(current, write)) return { kind: "landed", row: current };
  return { kind: "lost", owner: current?.owner };
}

function ownWriteLanded(current: LeaseRow, write: FencedWrite): boolean {
  if (current.owner !== undefined) return false;
  if (write.kind === "finish") {
    // A finished shard stays finished and nobody owns it again; the work is done if our checkpoint is in.
    return current.finished && (write.sequence === undefined || (current.sequence !== undefined && compareSequence(current.sequence, write.sequence) >= 0));
  }
  if (write.kind === "release") {
    // Only the owner at `counter` can write `counter + 1` without taking `ref` (a taker sets it).
    return !current.finished && current.counter === write.counter + 1 && (write.sequence === undefined || current.sequence === write.sequence);
  }
  return false;
}

/**
 * An owner whose renewals have all failed for `sessionTimeout` stops delivering on its own: by then
 * another worker may have taken the lease. Measured from when the last successful renewal was SENT,
 * which is no later than when any other worker can have first seen that renewal's counter.
 */
export function mustSelfFence(lastRenewalSentAt: number, now: number, sessionTimeoutMs: number): boolean {
  return now - lastRenewalSentAt >= sessionTimeoutMs;
}
