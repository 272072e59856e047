import { AbortedError, CheckpointError, ClosedError, LeaseLostError, type LeaseLostReason } from "../../errors.ts";
import { type Clock, monotonicOf } from "../../internal/clock.ts";
import { laterSequence } from "../../internal/sequence.ts";
import type { AllocationContext, CheckpointSession, Lease, ShardCheckpoint } from "../types.ts";
import type { ConditionalOutcome, LeaseBackend } from "./backend.ts";
import { type FencedWriteContext, ownerWriteBackoff, type OwnerWriteOptions, type OwnerWriteResult, runFencedWrite } from "./fenced-write.ts";
import { GroupSnapshot } from "./group-snapshot.ts";
import { HeldLease } from "./held-lease.ts";
import { afterOwnerWrite, decideAllocation, mustSelfFence, type OwnerWriteKind, viewGroup } from "./lease-rules.ts";
import { isForeignIncarnation, type LeaseRow, toShardCheckpoint } from "./lease-row.ts";
import { Throughput } from "./throughput.ts";

/** The options every lease store shares, resolved: durations in milliseconds. */
export interface SessionTiming {
  sessionTimeoutMs: number;
  heartbeatMs: number;
  checkpointIntervalMs: number;
  autoCheckpoint: boolean;
  /** Wall time for the rows' stamps; its monotonic reading (see `Clock.monotonic`) for every duration. */
  clock: Clock;
}

export interface LeaseSessionContext {
  /** The store's reads and conditional writes, bound to this session's group and stream. */
  backend: LeaseBackend;
  options: SessionTiming;
  /** Stream name (not ARN). */
  stream: string;
  ref: string;
  /** With a stable `workerId`: whether a ref is one of that worker's (earlier processes', or ours). */
  previousRefs?: ((ref: string) => boolean) | undefined;
  onClosed(session: LeaseSession): void;
}

type Failure = { shardId: string; error: unknown };

/**
 * One worker's leases on one stream, whatever the store (DynamoDB, Redis: see `LeaseBackend`), by
 * the rules of lease-rules.ts: expiry by locally observed counters, fencing on owner + counter,
 * cooperative handoff. A single timer loop renews each held lease every `heartbeatFrequency` (one
 * fenced write that also carries the latest checkpoint), flushes coalesced checkpoints within
 * `checkpointInterval`, and fences a lease itself when its renewals have failed for `sessionTimeout`.
 * Handoff requests from other workers are seen in the row each write returns.
 *
 * Durations (renewal deadlines, expiry observations, backoff) are measured on the monotonic clock, so
 * a step of the wall clock never makes a live lease look expired; wall time only stamps `ts`/`ttl`.
 * Without `autoCheckpoint`, what the consumer hands in is only an offer until `manualCheckpoint()`
 * confirms it: releases, handoffs, shard ends and self-fencing write confirmed positions only.
 */
export class LeaseSession implements CheckpointSession {
  readonly ref: string;
  /** Half a heartbeat: an expired lease is then taken within about sessionTimeout + heartbeatFrequency. */
  readonly allocateIntervalSeconds: number;
  readonly streamName: string;
  readonly #context: LeaseSessionContext;
  readonly #backend: LeaseBackend;
  readonly #options: SessionTiming;
  /** Monotonic milliseconds: every duration the session measures. */
  readonly #now: () => number;
  readonly #leases = new Map<string, HeldLease>();
  /** Shards this worker asked an owner to hand over, with the local time it asked. */
  readonly #requests = new Map<string, number>();
  readonly #allocating = new Set<string>();
  readonly #snapshot: GroupSnapshot;
  /** Aborted when close() gives up waiting, so no call outlives the session. */
  readonly #calls = new AbortController();
  readonly #writer: FencedWriteContext;
  readonly #loop: Promise<void>;
  #wake = new AbortController();
  #closed = false;
  #checkpointWrites = 0;
  /**
   * Owners that are earlier processes of this stable worker, found in the rows at this session's first
   * allocation (a restart's leftovers). Fixed then: a duplicate that starts later and takes our rows
   * is not taken back from at once, so two processes sharing a workerId cannot steal leases back and forth.
   */
  #predecessors: ReadonlySet<string> | undefined;

  constructor(context: LeaseSessionContext) {
    const options = context.options;
    this.#context = context;
    this.#backend = context.backend;
    this.#options = options;
    this.#now = monotonicOf(options.clock);
    this.ref = context.ref;
    this.streamName = context.stream;
    this.allocateIntervalSeconds = options.heartbeatMs / 2000;
    this.#snapshot = new GroupSnapshot(() => this.#backend.listRows(this.#calls.signal), this.#now, (this.allocateIntervalSeconds * 1000) / 2);
    this.#writer = {
      me: this.ref,
      now: this.#now,
      backoff: ownerWriteBackoff(options.heartbeatMs),
      random: this.#backend.random,
      onCheckpointWritten: () => this.#checkpointWrites++,
    };
    this.#loop = this.#run();
  }

  /** Writes that landed carrying a checkpoint (for the consumer's `stats().checkpointWrites`). */
  get checkpointWrites(): number {
    return this.#checkpointWrites;
  }

  async allocate(shardId: string, context: AllocationContext): Promise<Lease | undefined> {
    this.#assertOpen();
    if (this.#leases.has(shardId) || this.#allocating.has(shardId)) return undefined;
    this.#allocating.add(shardId);
    try {
      return await this.#allocate(shardId, context);
    } finally {
      this.#allocating.delete(shardId);
    }
  }

  checkpoint(shardId: string, sequence: string): void {
    const lease = this.#leases.get(shardId);
    if (lease === undefined) return;
    if (!this.#options.autoCheckpoint) return lease.offerUnconfirmed(sequence);
    // Only the offer that starts a buffer changes when the loop must write; the rest would wake it for nothing.
    if (lease.offer(sequence, this.#now)) this.#poke();
  }

  async finish(shardId: string, lastSequence?: string): Promise<void> {
    const lease = this.#leases.get(shardId);
    if (lease === undefined || lease.state !== "held") throw this.#goneError(shardId, lease);
    if (lastSequence !== undefined && !this.#options.autoCheckpoint) {
      lease.offerUnconfirmed(lastSequence);
      if (!lease.covers(lastSequence)) {
        // Nothing unconfirmed is written: the mark waits for the manualCheckpoint() that confirms it.
        if (lease.deferredFinish !== undefined) throw new CheckpointError("finish", [{ shardId, error: new Error("a finish is already waiting") }]);
        return new Promise<void>((resolve, reject) => {
          lease.deferredFinish = { lastSequence, settle: (error) => (error === undefined ? resolve() : reject(error)) };
        });
      }
    }
    return this.#finishNow(lease, lastSequence);
  }

  async #finishNow(lease: HeldLease, lastSequence: string | undefined): Promise<void> {
    if (lastSequence !== undefined && this.#options.autoCheckpoint) lease.offer(lastSequence, this.#now());
    lease.state = "releasing";
    const result = await this.#writeAsOwner(lease, "finish", { withPending: true });
    if (result.kind === "failed") {
      lease.state = "held"; // still ours: the caller may try again
      throw result.error;
    }
    this.#forget(lease);
    if (result.kind === "ok") {
      if (result.row !== undefined) this.#snapshot.update(result.row);
      return;
    }
    // Lost by this write, or skipped because the lease was already gone: the mark was not written.
    const error = result.kind === "lost" ? this.#lostError(lease.shardId, result.owner) : this.#goneError(lease.shardId, lease);
    if (!lease.controller.signal.aborted) lease.controller.abort(error);
    throw error;
  }

  async recordStart(shardId: string, atMs: number): Promise<void> {
    const lease = this.#leases.get(shardId);
    if (lease === undefined || lease.state !== "held") throw this.#goneError(shardId, lease);
    const result = await this.#writeAsOwner(lease, "renew", { withPending: this.#options.autoCheckpoint, startAt: atMs });
    this.#afterWrite(lease, result);
    if (result.kind === "failed") throw result.error;
    if (result.kind !== "ok") throw this.#goneError(shardId, lease);
  }

  async release(shardId: string): Promise<void> {
    const lease = this.#leases.get(shardId);
    if (lease === undefined || lease.state !== "held") return;
    const result = await this.#release(lease, "released", "released by this worker");
    if (result.kind === "failed") throw new CheckpointError("release could not write", [{ shardId, error: result.error }]);
  }

  async manualCheckpoint(): Promise<void> {
    const failures = await this.flushAll();
    if (failures.length > 0) throw new CheckpointError("manualCheckpoint", failures);
  }

  /**
   * Write every buffered checkpoint; failed ones stay buffered (unless the lease is gone). A shard
   * whose checkpoint is in a write still in flight (retrying, say) is waited for too: the flush queues
   * behind it and writes whatever that write could not.
   */
  async flushAll(): Promise<Failure[]> {
    const now = this.#now();
    for (const lease of this.#leases.values()) if (lease.state === "held") lease.confirm(now);
    const finishing = [...this.#leases.values()].filter((l) => l.state === "held" && l.deferredFinish !== undefined && l.covers(l.deferredFinish.lastSequence));
    const finished = await Promise.all(finishing.map((lease) => this.#finishDeferred(lease)));
    const buffered = [...this.#leases.values()].filter((l) => l.state === "held" && (l.pending !== undefined || l.writing !== undefined));
    const results = await Promise.all(buffered.map(async (lease) => ({ lease, result: await this.#flush(lease) })));
    const failures: Failure[] = [];
    for (const { lease, result } of results) {
      if (result.kind === "failed") failures.push({ shardId: lease.shardId, error: result.error });
      // Lost by this flush, or by the write it waited behind.
      const lost = result.kind === "lost" ? { owner: result.owner } : result.kind === "skipped" ? lease.lostTo : undefined;
      if (lost !== undefined) failures.push({ shardId: lease.shardId, error: this.#lostError(lease.shardId, lost.owner) });
    }
    return [...finished.flat(), ...failures];
  }

  /** A SHARD_END the app has now confirmed: write it, and settle the consumer's `finish()`. */
  async #finishDeferred(lease: HeldLease): Promise<Failure[]> {
    const deferred = lease.deferredFinish!;
    lease.deferredFinish = undefined;
    try {
      await this.#finishNow(lease, deferred.lastSequence);
      deferred.settle();
      return [];
    } catch (error) {
      if (lease.state === "held") lease.deferredFinish = deferred; // still ours: the next manualCheckpoint() tries again
      else deferred.settle(error);
      return [{ shardId: lease.shardId, error }];
    }
  }

  async get(shardId: string): Promise<ShardCheckpoint | undefined> {
    const row = await this.#backend.readRow(shardId, this.#calls.signal);
    return row === undefined ? undefined : this.#withOwnCheckpoint(row);
  }

  async list(): Promise<ShardCheckpoint[]> {
    const rows = await this.#snapshot.rows(true);
    return rows.map((row) => this.#withOwnCheckpoint(row));
  }

  /**
   * Read your own writes: with autoCheckpoint, a checkpoint this session accepted is as good as
   * written (it will be, within checkpointInterval, on handoff or on close), so reads show it without
   * spending a write on every read.
   */
  #withOwnCheckpoint(row: LeaseRow): ShardCheckpoint {
    // (Without autoCheckpoint nothing is as good as written before manualCheckpoint(), so reads show the store.)
    const stored = toShardCheckpoint(row);
    const lease = this.#leases.get(row.shardId);
    if (!this.#options.autoCheckpoint || lease === undefined || lease.key !== row.key || row.owner !== this.ref) return stored;
    return { ...stored, sequence: laterSequence(stored.sequence, laterSequence(lease.writing, lease.pending)) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#poke();
    // Releases that cannot finish within a session timeout are pointless: the leases expire anyway.
    const deadline = new AbortController();
    const giveUp = this.#options.clock.sleep(this.#options.sessionTimeoutMs, deadline.signal).then(
      () => this.#calls.abort(new AbortedError("checkpointer session close gave up after sessionTimeout")),
      () => undefined,
    );
    const failures: Failure[] = [];
    await Promise.all([
      ...[...this.#leases.values()].map(async (lease) => {
        // A write in flight (a SHARD_END) may fail and hand the lease back as held: wait for it to settle
        // (its caller's bookkeeping runs a turn after the write), then release what is still held.
        while (lease.state === "releasing") await lease.idle().then(afterPendingCallbacks);
        if (lease.state !== "held") return;
        const result = await this.#release(lease, "released", "the worker closed");
        if (result.kind === "failed") failures.push({ shardId: lease.shardId, error: result.error });
      }),
      this.#withdrawRequests(),
    ]);
    deadline.abort();
    await giveUp;
    await this.#loop;
    this.#context.onClosed(this);
    if (failures.length > 0) throw new CheckpointError("close could not write the final checkpoints", failures);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A closing worker withdraws the handoffs it asked for: otherwise their owners would hand the shards
   * to a worker that is gone, and the rows would stay reserved for it until they look stale.
   */
  async #withdrawRequests(): Promise<void> {
    const shards = [...this.#requests.keys()];
    this.#requests.clear();
    await Promise.all(
      shards.map(async (shardId) => {
        try {
          const outcome = await this.#backend.cancelHandoff(shardId, this.ref, this.#calls.signal);
          if (outcome.landed && outcome.row !== undefined) this.#snapshot.update(outcome.row);
        } catch {
          // Best effort: an unanswered request is ignored once it looks stale (sessionTimeout).
        }
      }),
    );
  }

  // --- allocation -------------------------------------------------------------------------------

  async #allocate(shardId: string, context: AllocationContext): Promise<Lease | undefined> {
    // Rows of another incarnation of the stream say nothing about this one: as if absent (create replaces them).
    const rows = (await this.#snapshot.rows()).filter((r) => !isForeignIncarnation(r, this.#backend.incarnation));
    const key = this.#backend.rowKey(shardId);
    const now = this.#now();
    this.#predecessors ??= this.#findPredecessors(rows);
    this.#forgetAnsweredRequests(rows, now);
    // An outstanding request for this very shard must not stop us taking it if its owner died.
    const asked = this.#requests.size - (this.#requests.has(shardId) ? 1 : 0);
    const step = decideAllocation({
      me: this.ref,
      row: rows.find((r) => r.key === key),
      observation: this.#snapshot.observations.get(key),
      now,
      sessionTimeoutMs: this.#options.sessionTimeoutMs,
      mine: this.#heldCount() + asked,
      asked,
      totalShards: context.totalShards,
      maxShards: context.maxShards,
      maxBytesPerSecond: context.maxBytesPerSecond,
      group: viewGroup(rows, this.#snapshot.observations, now, this.#options.sessionTimeoutMs, this.ref),
      predecessors: this.#predecessors,
    });
    const signal = this.#calls.signal;
    switch (step.kind) {
      case "wait":
        return undefined;
      case "request-handoff":
        await this.#requestHandoff(shardId, step.owner);
        return undefined;
      case "create":
        return this.#take(shardId, (wallNow) => this.#backend.create(shardId, this.ref, wallNow, signal));
      case "take": {
        const expected = { counter: step.counter, owner: step.owner };
        return this.#take(shardId, (wallNow) => this.#backend.take(shardId, this.ref, expected, wallNow, signal));
      }
    }
  }

  async #take(shardId: string, write: (wallNow: number) => Promise<ConditionalOutcome>): Promise<Lease | undefined> {
    const sentAt = this.#now();
    const outcome = await write(this.#options.clock.now());
    // A failed condition: we lost the race, or our own earlier attempt landed and its answer was lost. The row tells.
    const row = outcome.landed ? outcome.row : outcome.current;
    if (row !== undefined) this.#snapshot.update(row);
    else this.#snapshot.invalidate();
    if (row === undefined || row.owner !== this.ref || row.finished || isForeignIncarnation(row, this.#backend.incarnation)) return undefined;
    this.#requests.delete(shardId);
    const lease = new HeldLease(shardId, row, sentAt);
    // Four heartbeats: long enough to smooth bursts, short enough to follow a shard whose traffic moved.
    const throughput = new Throughput(4 * this.#options.heartbeatMs, sentAt, row.bytesPerSecond);
    lease.throughput = throughput;
    this.#leases.set(shardId, lease);
    if (this.#closed) {
      // close() ran while this take was in flight: give the lease straight back.
      await this.#release(lease, "released", "the worker closed");
      return undefined;
    }
    this.#poke();
    return {
      shardId,
      sequence: lease.committed,
      startAt: lease.committed === undefined ? row.startAt : undefined,
      signal: lease.controller.signal,
      usable: () => this.#usable(lease),
      delivered: (bytes) => throughput.add(bytes),
    };
  }

  /**
   * The hand-out check: a lease whose last successful renewal is `sessionTimeout` old may already be
   * another worker's (this one was frozen: a GC pause, SIGSTOP, a laptop lid), so it ends here and now
   * instead of at the timer loop's next turn, which may come a few records too late.
   */
  #usable(lease: HeldLease): boolean {
    if (lease.state !== "held") return false;
    if (!mustSelfFence(lease.lastRenewedAt, this.#now(), this.#options.sessionTimeoutMs)) return true;
    this.#selfFence(lease);
    return false;
  }

  #selfFence(lease: HeldLease): void {
    const seconds = this.#options.sessionTimeoutMs / 1000;
    this.#background(this.#release(lease, "expired", `renewals failed for ${seconds} s (sessionTimeout); stopped so another worker can take over`));
  }

  async #requestHandoff(shardId: string, owner: string): Promise<void> {
    const outcome = await this.#backend.requestHandoff(shardId, this.ref, owner, this.#calls.signal);
    const row = outcome.landed ? outcome.row : outcome.current;
    if (row !== undefined) this.#snapshot.update(row);
    if (outcome.landed && this.#closed) {
      // close() already withdrew this worker's requests: withdraw this late one too.
      await this.#backend.cancelHandoff(shardId, this.ref, this.#calls.signal).catch(() => undefined);
      return;
    }
    if (outcome.landed) this.#requests.set(shardId, this.#now());
    else this.#snapshot.invalidate(); // the owner changed or someone asked first
  }

  #findPredecessors(rows: readonly LeaseRow[]): ReadonlySet<string> {
    const previous = this.#context.previousRefs;
    const found = new Set<string>();
    if (previous === undefined) return found;
    for (const row of rows) if (row.owner !== undefined && row.owner !== this.ref && previous(row.owner)) found.add(row.owner);
    return found;
  }

  /** Requests the owner answered (the row no longer names us as pending) or never will (too old). */
  #forgetAnsweredRequests(rows: readonly LeaseRow[], now: number): void {
    for (const [shardId, askedAt] of this.#requests) {
      const key = this.#backend.rowKey(shardId);
      const row = rows.find((r) => r.key === key);
      if (now - askedAt >= this.#options.sessionTimeoutMs || row?.pendingOwner !== this.ref) this.#requests.delete(shardId);
    }
  }

  // --- heartbeats, flushes, fencing ---------------------------------------------------------------

  async #run(): Promise<void> {
    while (!this.#closed) {
      const now = this.#now();
      let wakeAt = now + this.#options.heartbeatMs;
      for (const lease of [...this.#leases.values()]) {
        if (lease.state !== "held") continue;
        if (mustSelfFence(lease.lastRenewedAt, now, this.#options.sessionTimeoutMs)) {
          this.#selfFence(lease);
          continue;
        }
        wakeAt = Math.min(wakeAt, lease.lastRenewedAt + this.#options.sessionTimeoutMs);
        if (lease.busy > 0) continue; // its write pokes the loop when it ends
        const dueAt = this.#writeDueAt(lease);
        if (dueAt <= now) this.#background(this.#renew(lease));
        else wakeAt = Math.min(wakeAt, dueAt);
      }
      const wake = new AbortController();
      this.#wake = wake;
      try {
        await this.#options.clock.sleep(Math.max(1, wakeAt - now), wake.signal);
      } catch {
        // poked (a new lease, a checkpoint, a finished write) or closed
      }
    }
  }

  /** The next heartbeat, or sooner when a coalesced checkpoint has waited `checkpointInterval`; never inside a failure's backoff. */
  #writeDueAt(lease: HeldLease): number {
    const heartbeat = lease.lastAttemptAt + this.#options.heartbeatMs;
    const due = !this.#options.autoCheckpoint || lease.pendingSince === undefined
      ? heartbeat
      : Math.min(heartbeat, lease.pendingSince + this.#options.checkpointIntervalMs);
    return Math.max(due, lease.retryNotBefore ?? due);
  }

  /** Lease writes report failures as values; this only keeps a bug from becoming an unhandled rejection. */
  #background(work: Promise<unknown>): void {
    work.catch(() => undefined);
  }

  #poke(): void {
    this.#wake.abort();
  }

  async #renew(lease: HeldLease): Promise<void> {
    const result = await this.#writeAsOwner(lease, "renew", { withPending: this.#options.autoCheckpoint });
    this.#afterWrite(lease, result);
  }

  async #flush(lease: HeldLease): Promise<OwnerWriteResult> {
    const result = await this.#writeAsOwner(lease, "renew", { withPending: true, onlyIfPending: true });
    this.#afterWrite(lease, result);
    return result;
  }

  #afterWrite(lease: HeldLease, result: OwnerWriteResult): void {
    if (result.kind === "ok" && result.row !== undefined) {
      const row = result.row;
      this.#snapshot.update(row);
      if (lease.state === "held" && afterOwnerWrite(row, this.ref) === "hand-over") {
        this.#background(this.#release(lease, "handed-over", `handed over to ${row.pendingOwner ?? "another worker"} for fair balance`, row.pendingOwner));
      }
    } else if (result.kind === "lost") {
      this.#forget(lease);
      if (!lease.controller.signal.aborted) lease.controller.abort(this.#lostError(lease.shardId, result.owner));
    }
    this.#poke();
  }

  /** Stop delivering first (abort), then write the buffered checkpoint and clear `ref` in one write. */
  async #release(lease: HeldLease, reason: LeaseLostReason, message: string, owner?: string): Promise<OwnerWriteResult> {
    lease.state = "releasing";
    if (!lease.controller.signal.aborted) lease.controller.abort(new LeaseLostError(lease.shardId, reason, message, owner));
    const result = await this.#writeAsOwner(lease, "release", { withPending: true });
    this.#forget(lease);
    if (result.kind === "ok" && result.row !== undefined) this.#snapshot.update(result.row);
    this.#poke();
    return result;
  }

  /** One fenced owner write through the shared loop (queueing, lost answers, backoff); the backend sends each attempt. */
  #writeAsOwner(lease: HeldLease, kind: OwnerWriteKind, options: OwnerWriteOptions): Promise<OwnerWriteResult> {
    return runFencedWrite(this.#writer, lease, kind, options, (write) => this.#backend.ownerWrite(lease.shardId, this.ref, write, this.#calls.signal));
  }

  #forget(lease: HeldLease): void {
    lease.state = "gone";
    if (this.#leases.get(lease.shardId) === lease) this.#leases.delete(lease.shardId);
    const deferred = lease.deferredFinish;
    lease.deferredFinish = undefined;
    deferred?.settle(this.#goneError(lease.shardId, lease));
  }

  /** The error for a lease this session no longer holds: why it ended, as its signal says, if it did. */
  #goneError(shardId: string, lease: HeldLease | undefined): LeaseLostError {
    const reason: unknown = lease?.controller.signal.reason;
    if (reason instanceof LeaseLostError) return reason;
    return new LeaseLostError(shardId, "released", "this worker does not hold the lease");
  }

  #lostError(shardId: string, owner: string | undefined): LeaseLostError {
    const by = owner === undefined ? "the row no longer names this worker" : `now owned by ${owner}`;
    return new LeaseLostError(shardId, "taken", `taken over (${by})`, owner);
  }

  // --- helpers ------------------------------------------------------------------------------------

  #heldCount(): number {
    let held = 0;
    for (const lease of this.#leases.values()) if (lease.state === "held") held++;
    return held;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(`${this.#backend.storeName} session`);
  }
}

/** A macrotask turn: every promise callback queued before it has run. */
function afterPendingCallbacks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
