import { compareSequence } from "../../internal/sequence.ts";
import {
  chooseLoadMove,
  countMoveKeepsLoad,
  fitsBudget,
  type GroupLoad,
  mayRequestHandoff,
  mayTakeFree,
  MIN_MOVE_BYTES_PER_SECOND,
  type ShardLoad,
} from "../balance.ts";
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
  /** Bytes per second per live worker, from the rates the rows carry (see balance.ts); absent: count balance only. */
  load?: GroupLoad | undefined;
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
  const byWorker = new Map<string, number>();
  const movable: ShardLoad[] = [];
  const givingAway = new Set<string>();
  let allRated = true;
  let total = 0;
  const credit = (worker: string, bytes: number): void => {
    byWorker.set(worker, (byWorker.get(worker) ?? 0) + bytes);
  };
  for (const row of rows) {
    if (row.finished || isStale(observations.get(row.key), now, sessionTimeoutMs)) continue;
    const bytes = row.bytesPerSecond ?? 0;
    if (row.owner !== undefined) {
      live.add(row.owner);
      if (row.bytesPerSecond === undefined) allRated = false;
      total += bytes;
      if (row.pendingOwner === undefined) {
        heldBy.set(row.owner, (heldBy.get(row.owner) ?? 0) + 1);
        credit(row.owner, bytes);
        movable.push({ key: row.key, owner: row.owner, bytesPerSecond: bytes });
      } else {
        givingAway.add(row.owner);
      }
    }
    // A worker waiting for a handoff holds nothing yet, but it is alive and counts for fair share;
    // the shard's load counts as its (it is on its way there), so it asks for no second one meanwhile.
    if (row.pendingOwner !== undefined) {
      live.add(row.pendingOwner);
      credit(row.pendingOwner, bytes);
    }
  }
  for (const worker of live) if (!byWorker.has(worker)) byWorker.set(worker, 0);
  const load: GroupLoad = { byLoad: allRated && total >= MIN_MOVE_BYTES_PER_SECOND, byWorker, movable, givingAway, mean: total / live.size };
  return { liveWorkers: live.size, heldBy, load };
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
  /** Handoffs this worker asked for (other than of this shard) and has not received yet. */
  asked?: number | undefined;
  /** The consumer's shard cap (`maxShardConsumers`). */
  maxShards?: number | undefined;
  /** This worker's byte budget (`maxBytesPerSecond`). */
  maxBytesPerSecond?: number | undefined;
}

export function decideAllocation(input: AllocationInput): AllocationStep {
  const { row, me } = input;
  const budget = input.maxBytesPerSecond;
  const underCap = input.mine < (input.maxShards ?? Number.POSITIVE_INFINITY);
  const load = input.group.load;
  const fits = (bytes: number): boolean => load === undefined || fitsBudget(load, me, bytes, budget);
  const mayTake = underCap && mayTakeFree(input.mine, input.totalShards, input.group.liveWorkers) && fits(row?.bytesPerSecond ?? 0);
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
    return decideHandoff(input, row.owner, row.key, row.bytesPerSecond ?? 0, underCap);
  }
  // Free row.
  if (row.pendingOwner === me) return { kind: "take", counter: row.counter, why: "reserved-for-me" };
  if (row.pendingOwner !== undefined && !stale) return { kind: "wait", why: "reserved for the worker that asked for it" };
  return mayTake ? { kind: "take", counter: row.counter, why: "free" } : { kind: "wait", why: "fair share reached" };
}

/**
 * Whether to ask `owner` for a shard it holds. By load when the rows say enough (see balance.ts): the
 * one move that best narrows this worker's gap to the most loaded worker, by the margin, one at a time;
 * a count move only where it does not widen a load gap. By count otherwise (today's rule). Never past
 * the shard cap or, by the recorded rates, past the byte budget.
 */
function decideHandoff(input: AllocationInput, owner: string, key: string, bytes: number, underCap: boolean): AllocationStep {
  const { me, group } = input;
  const budget = input.maxBytesPerSecond ?? Number.POSITIVE_INFINITY;
  if (!underCap) return { kind: "wait", why: "shard cap reached" };
  const ownerHeld = group.heldBy.get(owner) ?? 1;
  const byCount = mayRequestHandoff(input.mine, ownerHeld, input.totalShards, group.liveWorkers);
  const load = group.load;
  if (load?.byLoad !== true) {
    const mine = load?.byWorker.get(me) ?? 0;
    return byCount && mine + bytes <= budget ? { kind: "request-handoff", owner } : { kind: "wait", why: "held by a live worker" };
  }
  if ((input.asked ?? 0) > 0) return { kind: "wait", why: "a handoff asked for is on its way" };
  if (chooseLoadMove(load, me, budget)?.key === key) return { kind: "request-handoff", owner };
  if (byCount && countMoveKeepsLoad(load, me, owner, bytes, budget)) return { kind: "request-handoff", owner };
  return { kind: "wait", why: "held by a live worker" };
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
  /** The lease's recent throughput (bytes per second), stored on the row for balance by load. */
  bytesPerSecond?: number | undefined;
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
