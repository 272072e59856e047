import type { DynamoDBClient } from "../../dynamodb/client.ts";
import type { Item } from "../../dynamodb/marshal.ts";
import { backoffDelay, defaultBackoff, type BackoffPolicy } from "../../aws/retry.ts";
import { AwsServiceError, isThrottling, ProtocolError } from "../../errors.ts";
import type { Clock } from "../../internal/clock.ts";
import { compareSequence, laterSequence } from "../../internal/sequence.ts";
import { afterConditionFailure, type FencedWrite } from "./lease-rules.ts";
import { ownerWrite, type OwnerWriteKind, type UpdateInput, type WriteStamp } from "./lease-writes.ts";
import { decodeRow, keyItem, type LeaseRow } from "./row.ts";

/**
 * A lease this worker holds: its fencing counter, its checkpoint state, and a queue that runs its
 * writes one at a time. Two concurrent writes of one owner would both be conditional on the same
 * counter, so the second would fail and look like a lost lease; the queue rules that out.
 */
export class HeldLease {
  readonly shardId: string;
  readonly key: string;
  readonly controller = new AbortController();
  /** held → releasing (signal aborted, final write queued) → gone (final write done). */
  state: "held" | "releasing" | "gone" = "held";
  /** The counter of the last write this worker made or saw land. */
  counter: number;
  /** Highest sequence known to be stored. */
  committed: string | undefined;
  /** Highest sequence offered and not yet written. */
  pending: string | undefined;
  /** The sequence a write in flight carries: later offers must beat it too, or a flush could regress. */
  writing: string | undefined;
  /** Local time the oldest unwritten checkpoint arrived (for the coalescing bound). */
  pendingSince: number | undefined;
  /** Local time the last write was sent (heartbeat schedule). */
  lastAttemptAt: number;
  /** Local time the last SUCCESSFUL write was sent (self-fencing). */
  lastRenewedAt: number;
  /** Set when a fenced write found another owner: what was not yet written never will be. */
  lostTo: { owner: string | undefined } | undefined;
  /** Writes queued or in flight. */
  busy = 0;
  /** Failed writes since the last one that landed: the retry backoff grows with them. */
  consecutiveFailures = 0;
  /**
   * Local time before which no timed write is due after a failure. A failed write keeps its old
   * `pendingSince`, so without this the write would be due at once again, and again: a tight loop.
   */
  retryNotBefore: number | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(shardId: string, row: LeaseRow, sentAt: number) {
    this.shardId = shardId;
    this.key = row.key;
    this.counter = row.counter;
    this.committed = row.sequence;
    this.lastAttemptAt = sentAt;
    this.lastRenewedAt = sentAt;
  }

  /**
   * Hold `sequence` if it is later than anything stored or buffered. True only when this offer started
   * the buffer (set `pendingSince`), the one case that moves the next write's due time: later offers
   * merge into the same write, so waking the timer loop for each of them would only cost work.
   */
  offer(sequence: string, now: number): boolean {
    if (this.state === "gone") return false;
    const best = laterSequence(laterSequence(this.committed, this.writing), this.pending);
    if (best !== undefined && compareSequence(sequence, best) <= 0) return false;
    this.pending = sequence;
    if (this.pendingSince !== undefined) return false;
    this.pendingSince = now;
    return true;
  }

  /** Hand the buffered sequence to a write. */
  takePending(): string | undefined {
    const sequence = this.pending;
    this.pending = undefined;
    this.pendingSince = undefined;
    this.writing = sequence;
    return sequence;
  }

  /** A write failed: keep its sequence buffered (merged with anything that arrived meanwhile). */
  restorePending(sequence: string | undefined, since: number): void {
    this.writing = undefined;
    if (sequence === undefined || this.state === "gone") return;
    if (this.committed !== undefined && compareSequence(sequence, this.committed) <= 0) return;
    this.pending = laterSequence(this.pending, sequence);
    this.pendingSince = Math.min(this.pendingSince ?? since, since);
  }

  /** A write failed at `failedAt`: the next timed one waits `delayMs`. */
  writeFailed(failedAt: number, delayMs: number): void {
    this.consecutiveFailures++;
    this.retryNotBefore = failedAt + delayMs;
  }

  writeLanded(): void {
    this.consecutiveFailures = 0;
    this.retryNotBefore = undefined;
  }

  /** Run `task` after every write queued before it. */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = this.#tail.then(task);
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.busy--;
    });
  }

  /** Resolves when every queued write has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

export type OwnerWriteResult =
  | { kind: "ok"; row: LeaseRow | undefined }
  | { kind: "skipped" }
  | { kind: "lost"; owner: string | undefined }
  | { kind: "failed"; error: unknown };

export interface WriterContext extends FencedWriteContext {
  client: DynamoDBClient;
  table: string;
  stamp(kind: OwnerWriteKind): WriteStamp;
  signal: AbortSignal;
}

/**
 * The client's backoff, capped at one heartbeat: a lease whose writes keep failing still tries about
 * once per heartbeat, as it would when healthy, so a recovering DynamoDB renews it well within sessionTimeout.
 */
export function ownerWriteBackoff(heartbeatMs: number): BackoffPolicy {
  return { ...defaultBackoff, capMs: Math.min(defaultBackoff.capMs, heartbeatMs) };
}

export interface OwnerWriteOptions {
  /** Carry the buffered checkpoint. */
  withPending: boolean;
  /** Skip the write when nothing is buffered by the time it runs (flushes). */
  onlyIfPending?: boolean;
}

export function isConditionalFailure(error: unknown): error is AwsServiceError {
  return error instanceof AwsServiceError && error.awsCode === "ConditionalCheckFailedException";
}

/** What one attempt of a fenced write found: it landed (the row after it), or its condition failed (the row as it is). */
export type FencedAttempt = { landed: true; row: LeaseRow | undefined } | { landed: false; current: LeaseRow | undefined };

/** What the fenced-write loop needs from a backend's writer, whatever the store. */
export interface FencedWriteContext {
  me: string;
  clock: Clock;
  /** Backoff between failed timed writes of one lease (see `ownerWriteBackoff`), and its jitter source. */
  backoff: BackoffPolicy;
  random: () => number;
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
  attempt: (write: FencedWrite) => Promise<FencedAttempt>,
): Promise<OwnerWriteResult> {
  return lease.serialize(async () => {
    if (options.onlyIfPending === true && lease.pending === undefined) return { kind: "skipped" };
    if (lease.state === "gone") return { kind: "skipped" };
    const since = lease.pendingSince ?? context.clock.now();
    let sequence = options.withPending ? lease.takePending() : undefined;
    const fail = (error: unknown): OwnerWriteResult => {
      lease.restorePending(sequence, since);
      lease.writeFailed(context.clock.now(), backoffDelay(context.backoff, lease.consecutiveFailures, isThrottling(error), context.random));
      return { kind: "failed", error };
    };
    for (let round = 0; round < 3; round++) {
      const sentAt = context.clock.now();
      lease.lastAttemptAt = sentAt;
      const write: FencedWrite = { kind, counter: lease.counter, sequence };
      let outcome: FencedAttempt;
      try {
        outcome = await attempt(write);
      } catch (error) {
        return fail(error);
      }
      if (outcome.landed) return landed(lease, outcome.row, sequence, sentAt);
      const verdict = afterConditionFailure(outcome.current, context.me, write);
      if (verdict.kind === "landed") return landed(lease, verdict.row, sequence, sentAt);
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

/** One fenced owner write to DynamoDB: an UpdateItem, and on a failed condition the row as it is. */
export function writeAsOwner(context: WriterContext, lease: HeldLease, kind: OwnerWriteKind, options: OwnerWriteOptions): Promise<OwnerWriteResult> {
  return runFencedWrite(context, lease, kind, options, async (write) => {
    const input: UpdateInput = ownerWrite(kind, context.table, lease.key, context.me, write.counter, context.stamp(kind), write.sequence);
    try {
      const out = await context.client.updateItem(input, { signal: context.signal });
      return { landed: true, row: out.Attributes === undefined ? undefined : decodeRow(out.Attributes) };
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      return { landed: false, current: await currentRow(context, lease.key, error) };
    }
  });
}

/** Our write (sent at `sentAt`) is in the table: adopt the counter and checkpoint it left. */
function landed(lease: HeldLease, row: LeaseRow | undefined, sequence: string | undefined, sentAt: number): OwnerWriteResult {
  lease.counter = row?.counter ?? lease.counter + 1;
  lease.committed = laterSequence(laterSequence(lease.committed, sequence), row?.sequence);
  lease.writing = undefined;
  lease.lastRenewedAt = sentAt;
  lease.writeLanded();
  return { kind: "ok", row };
}

/** The row as it is now: from the failure itself (ReturnValuesOnConditionCheckFailure) or a consistent read. */
export async function currentRow(context: Pick<WriterContext, "client" | "table" | "signal">, key: string, failure: AwsServiceError): Promise<LeaseRow | undefined> {
  if (failure.item !== undefined) return decodeRow(failure.item as Item);
  const item = await context.client.getItem(context.table, keyItem(key), { consistentRead: true, signal: context.signal });
  return item === undefined ? undefined : decodeRow(item);
}
