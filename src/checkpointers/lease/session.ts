import { AbortedError, CheckpointError, ClosedError, LeaseLostError, type LeaseLostReason } from "../../errors.ts";
import type { Clock } from "../../internal/clock.ts";
import { laterSequence } from "../../internal/sequence.ts";
import type { CheckpointSession, Lease, ShardCheckpoint } from "../types.ts";
import type { ConditionalOutcome, LeaseBackend } from "./backend.ts";
import { ownerWriteBackoff, runFencedWrite, type FencedWriteContext, type OwnerWriteOptions, type OwnerWriteResult } from "./fenced-write.ts";
import { GroupSnapshot } from "./group-snapshot.ts";
import { HeldLease } from "./held-lease.ts";
import { afterOwnerWrite, decideAllocation, mustSelfFence, viewGroup, type OwnerWriteKind } from "./lease-rules.ts";
import { toShardCheckpoint, type LeaseRow } from "./lease-row.ts";

/** The options every lease store shares, resolved: durations in milliseconds. */
export interface LeaseTiming {
  sessionTimeoutMs: number;
  heartbeatMs: number;
  checkpointIntervalMs: number;
  autoCheckpoint: boolean;
  clock: Clock;
}

export interface LeaseSessionContext {
  /** The store's reads and conditional writes, bound to this session's group and stream. */
  backend: LeaseBackend;
  options: LeaseTiming;
  /** Stream name (not ARN). */
  stream: string;
  ref: string;
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
 */
export class LeaseSession implements CheckpointSession {
  readonly ref: string;
  /** Half a heartbeat: an expired lease is then taken within about sessionTimeout + heartbeatFrequency. */
  readonly allocateIntervalSeconds: number;
  readonly streamName: string;
  readonly #context: LeaseSessionContext;
  readonly #backend: LeaseBackend;
  readonly #options: LeaseTiming;
  readonly #clock: Clock;
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

  constructor(context: LeaseSessionContext) {
    const options = context.options;
    this.#context = context;
    this.#backend = context.backend;
    this.#options = options;
    this.#clock = options.clock;
    this.ref = context.ref;
    this.streamName = context.stream;
    this.allocateIntervalSeconds = options.heartbeatMs / 2000;
    this.#snapshot = new GroupSnapshot(() => this.#backend.listRows(this.#calls.signal), this.#clock, (this.allocateIntervalSeconds * 1000) / 2);
    this.#writer = { me: this.ref, clock: this.#clock, backoff: ownerWriteBackoff(options.heartbeatMs), random: this.#backend.random };
    this.#loop = this.#run();
  }

  async allocate(shardId: string, context: { totalShards: number }): Promise<Lease | undefined> {
    this.#assertOpen();
    if (this.#leases.has(shardId) || this.#allocating.has(shardId)) return undefined;
    this.#allocating.add(shardId);
    try {
      return await this.#allocate(shardId, context.totalShards);
    } finally {
      this.#allocating.delete(shardId);
    }
  }

  checkpoint(shardId: string, sequence: string): void {
    const lease = this.#leases.get(shardId);
    if (lease === undefined) return;
    // Only the offer that starts a buffer changes when the loop must write; the rest would wake it for nothing.
    if (lease.offer(sequence, this.#clock.now()) && this.#options.autoCheckpoint) this.#poke();
  }

  async finish(shardId: string, lastSequence?: string): Promise<void> {
    const lease = this.#leases.get(shardId);
    if (lease === undefined || lease.state !== "held") return;
    if (lastSequence !== undefined) lease.offer(lastSequence, this.#clock.now());
    lease.state = "releasing";
    const result = await this.#writeAsOwner(lease, "finish", { withPending: true });
    if (result.kind === "failed") {
      lease.state = "held"; // still ours: the caller may try again
      throw result.error;
    }
    this.#forget(lease);
    if (result.kind === "ok" && result.row !== undefined) this.#snapshot.update(result.row);
    if (result.kind === "lost") {
      const error = this.#lostError(shardId, result.owner);
      lease.controller.abort(error);
      throw error;
    }
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
    const buffered = [...this.#leases.values()].filter((l) => l.state === "held" && (l.pending !== undefined || l.writing !== undefined));
    const results = await Promise.all(buffered.map(async (lease) => ({ lease, result: await this.#flush(lease) })));
    const failures: Failure[] = [];
    for (const { lease, result } of results) {
      if (result.kind === "failed") failures.push({ shardId: lease.shardId, error: result.error });
      // Lost by this flush, or by the write it waited behind.
      const lost = result.kind === "lost" ? { owner: result.owner } : result.kind === "skipped" ? lease.lostTo : undefined;
      if (lost !== undefined) failures.push({ shardId: lease.shardId, error: this.#lostError(lease.shardId, lost.owner) });
    }
    return failures;
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
    const giveUp = this.#clock.sleep(this.#options.sessionTimeoutMs, deadline.signal).then(
      () => this.#calls.abort(new AbortedError("checkpointer session close gave up after sessionTimeout")),
      () => undefined,
    );
    const failures: Failure[] = [];
    await Promise.all(
      [...this.#leases.values()].map(async (lease) => {
        if (lease.state !== "held") return lease.idle();
        const result = await this.#release(lease, "released", "the worker closed");
        if (result.kind === "failed") failures.push({ shardId: lease.shardId, error: result.error });
      }),
    );
    deadline.abort();
    await giveUp;
    await this.#loop;
    this.#context.onClosed(this);
    if (failures.length > 0) throw new CheckpointError("close could not write the final checkpoints", failures);
  }

  get closed(): boolean {
    return this.#closed;
  }

  // --- allocation -------------------------------------------------------------------------------

  async #allocate(shardId: string, totalShards: number): Promise<Lease | undefined> {
    const rows = await this.#snapshot.rows();
    const key = this.#backend.rowKey(shardId);
    const now = this.#clock.now();
    this.#forgetAnsweredRequests(rows, now);
    const step = decideAllocation({
      me: this.ref,
      row: rows.find((r) => r.key === key),
      observation: this.#snapshot.observations.get(key),
      now,
      sessionTimeoutMs: this.#options.sessionTimeoutMs,
      // An outstanding request for this very shard must not stop us taking it if its owner died.
      mine: this.#heldCount() + this.#requests.size - (this.#requests.has(shardId) ? 1 : 0),
      totalShards,
      group: viewGroup(rows, this.#snapshot.observations, now, this.#options.sessionTimeoutMs, this.ref),
    });
    const signal = this.#calls.signal;
    switch (step.kind) {
      case "wait":
        return undefined;
      case "request-handoff":
        await this.#requestHandoff(shardId, step.owner);
        return undefined;
      case "create":
        return this.#take(shardId, (sentAt) => this.#backend.create(shardId, this.ref, sentAt, signal));
      case "take": {
        const expected = { counter: step.counter, owner: step.owner };
        return this.#take(shardId, (sentAt) => this.#backend.take(shardId, this.ref, expected, sentAt, signal));
      }
    }
  }

  async #take(shardId: string, write: (sentAt: number) => Promise<ConditionalOutcome>): Promise<Lease | undefined> {
    const sentAt = this.#clock.now();
    const outcome = await write(sentAt);
    // A failed condition: we lost the race, or our own earlier attempt landed and its answer was lost. The row tells.
    const row = outcome.landed ? outcome.row : outcome.current;
    if (row !== undefined) this.#snapshot.update(row);
    else this.#snapshot.invalidate();
    if (row === undefined || row.owner !== this.ref || row.finished) return undefined;
    this.#requests.delete(shardId);
    const lease = new HeldLease(shardId, row, sentAt);
    this.#leases.set(shardId, lease);
    if (this.#closed) {
      // close() ran while this take was in flight: give the lease straight back.
      await this.#release(lease, "released", "the worker closed");
      return undefined;
    }
    this.#poke();
    return { shardId, sequence: lease.committed, signal: lease.controller.signal };
  }

  async #requestHandoff(shardId: string, owner: string): Promise<void> {
    const outcome = await this.#backend.requestHandoff(shardId, this.ref, owner, this.#calls.signal);
    const row = outcome.landed ? outcome.row : outcome.current;
    if (row !== undefined) this.#snapshot.update(row);
    if (outcome.landed) this.#requests.set(shardId, this.#clock.now());
    else this.#snapshot.invalidate(); // the owner changed or someone asked first
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
      const now = this.#clock.now();
      let wakeAt = now + this.#options.heartbeatMs;
      for (const lease of [...this.#leases.values()]) {
        if (lease.state !== "held") continue;
        if (mustSelfFence(lease.lastRenewedAt, now, this.#options.sessionTimeoutMs)) {
          const seconds = this.#options.sessionTimeoutMs / 1000;
          this.#background(this.#release(lease, "expired", `renewals failed for ${seconds} s (sessionTimeout); stopped so another worker can take over`));
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
        await this.#clock.sleep(Math.max(1, wakeAt - now), wake.signal);
      } catch {
        // poked (a new lease, a checkpoint, a finished write) or closed
      }
    }
  }

  /** The next heartbeat, or sooner when a coalesced checkpoint has waited `checkpointInterval`; never inside a failure's backoff. */
  #writeDueAt(lease: HeldLease): number {
    const heartbeat = lease.lastAttemptAt + this.#options.heartbeatMs;
    const due = !this.#options.autoCheckpoint || lease.pendingSince === undefined ? heartbeat : Math.min(heartbeat, lease.pendingSince + this.#options.checkpointIntervalMs);
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
