import * as v from "valibot";
import { parseOptions } from "../config/validate.ts";
import { ClosedError, LeaseLostError, type LeaseLostReason } from "../errors.ts";
import { compareSequence, laterSequence } from "../internal/sequence.ts";
import { systemClock, type Clock } from "../internal/clock.ts";
import { randomWorkerId } from "../internal/worker-id.ts";
import { mayRequestHandoff, mayTakeFree } from "./balance.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession, Lease, ShardCheckpoint } from "./types.ts";

export interface MemoryCheckPointerOptions {
  /** Group name; rows are owned by `<name>/<worker id>` (default "memory"). */
  name?: string;
  /** Write each checkpoint at once (default true); false buffers until `manualCheckpoint()`. */
  autoCheckpoint?: boolean;
  /** Time source for `updatedAt` (default the system clock). */
  clock?: Clock;
}

const optionsSchema = v.object({
  name: v.optional(v.pipe(v.string("name must be a string"), v.minLength(1, "name must not be empty"))),
  autoCheckpoint: v.optional(v.boolean("autoCheckpoint must be a boolean")),
  clock: v.optional(v.custom<Clock>((x) => typeof x === "object" && x !== null && typeof (x as Clock).now === "function", "clock must have now()")),
});

interface Row {
  shardId: string;
  sequence?: string | undefined;
  finished: boolean;
  owner?: MemorySession | undefined;
  updatedAt: number;
}

/**
 * Leases and checkpoints in this process's memory: for single-process jobs, tests, and several
 * consumers in one process splitting a stream's shards. Nothing survives a restart.
 */
export class MemoryCheckPointer implements CheckPointer {
  readonly name: string;
  readonly autoCheckpoint: boolean;
  readonly clock: Clock;
  /** Rows per stream, so two streams' shard ids never collide. */
  readonly #streams = new Map<string, Map<string, Row>>();
  readonly #sessions = new Set<MemorySession>();

  constructor(options: MemoryCheckPointerOptions = {}) {
    const parsed = parseOptions(optionsSchema, options, "MemoryCheckPointer");
    this.name = parsed.name ?? "memory";
    this.autoCheckpoint = parsed.autoCheckpoint ?? true;
    this.clock = parsed.clock ?? systemClock;
  }

  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    let rows = this.#streams.get(scope.streamName);
    if (rows === undefined) {
      rows = new Map();
      this.#streams.set(scope.streamName, rows);
    }
    const session = new MemorySession(this, `${this.name}/${randomWorkerId()}`, scope.streamName, rows);
    this.#sessions.add(session);
    return session;
  }

  async manualCheckpoint(): Promise<void> {
    for (const session of this.#sessions) await session.manualCheckpoint();
  }

  async close(): Promise<void> {
    for (const session of [...this.#sessions]) await session.close();
  }

  /** @internal live sessions on one stream, for fair-share decisions. */
  liveSessions(streamName: string): MemorySession[] {
    return [...this.#sessions].filter((s) => s.streamName === streamName && !s.closed);
  }

  /** @internal */
  forget(session: MemorySession): void {
    this.#sessions.delete(session);
  }
}

interface Held {
  controller: AbortController;
  /** Delivered but not yet written (autoCheckpoint false). */
  pending?: string | undefined;
}

class MemorySession implements CheckpointSession {
  readonly ref: string;
  /** Handoffs happen inside allocate, so a short loop is cheap and balances quickly. */
  readonly allocateIntervalSeconds = 1;
  readonly streamName: string;
  closed = false;
  readonly #store: MemoryCheckPointer;
  readonly #rows: Map<string, Row>;
  readonly #held = new Map<string, Held>();

  constructor(store: MemoryCheckPointer, ref: string, streamName: string, rows: Map<string, Row>) {
    this.#store = store;
    this.ref = ref;
    this.streamName = streamName;
    this.#rows = rows;
  }

  get heldCount(): number {
    return this.#held.size;
  }

  async allocate(shardId: string, context: { totalShards: number }): Promise<Lease | undefined> {
    this.#assertOpen();
    const row = this.#row(shardId);
    if (row.finished) return undefined;
    if (row.owner === this) return undefined;
    const live = this.#store.liveSessions(this.streamName).length;
    if (row.owner !== undefined) {
      if (!mayRequestHandoff(this.heldCount, row.owner.heldCount, context.totalShards, live)) return undefined;
      // In one process the owner can hand over at once: it writes what it delivered, then lets go.
      row.owner.handOver(shardId);
    } else if (!mayTakeFree(this.heldCount, context.totalShards, live)) {
      return undefined;
    }
    const controller = new AbortController();
    row.owner = this;
    row.updatedAt = this.#store.clock.now();
    this.#held.set(shardId, { controller });
    return { shardId, sequence: row.sequence, signal: controller.signal };
  }

  checkpoint(shardId: string, sequence: string): void {
    const held = this.#held.get(shardId);
    if (held === undefined) return;
    if (this.#store.autoCheckpoint) this.#write(shardId, sequence);
    else held.pending = laterSequence(held.pending, sequence);
  }

  async finish(shardId: string, lastSequence?: string): Promise<void> {
    const held = this.#held.get(shardId);
    if (held === undefined) return;
    this.#flush(shardId, held);
    if (lastSequence !== undefined) this.#write(shardId, lastSequence);
    const row = this.#row(shardId);
    row.finished = true;
    row.owner = undefined;
    this.#held.delete(shardId);
  }

  async release(shardId: string): Promise<void> {
    const held = this.#held.get(shardId);
    if (held === undefined) return;
    this.#flush(shardId, held);
    this.#drop(shardId, held, "released", "released by this worker");
  }

  async manualCheckpoint(): Promise<void> {
    for (const [shardId, held] of this.#held) this.#flush(shardId, held);
  }

  async get(shardId: string): Promise<ShardCheckpoint | undefined> {
    const row = this.#rows.get(shardId);
    return row === undefined ? undefined : snapshot(row);
  }

  async list(): Promise<ShardCheckpoint[]> {
    return [...this.#rows.values()].map(snapshot);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const shardId of [...this.#held.keys()]) await this.release(shardId);
    this.closed = true;
    this.#store.forget(this);
  }

  /** Another session asked for this shard: write what was delivered, then let it go. */
  handOver(shardId: string): void {
    const held = this.#held.get(shardId);
    if (held === undefined) return;
    this.#flush(shardId, held);
    this.#drop(shardId, held, "handed-over", "handed over to another worker for fair balance");
  }

  #drop(shardId: string, held: Held, reason: LeaseLostReason, message: string): void {
    const row = this.#row(shardId);
    if (row.owner === this) row.owner = undefined;
    this.#held.delete(shardId);
    held.controller.abort(new LeaseLostError(shardId, reason, message));
  }

  #flush(shardId: string, held: Held): void {
    if (held.pending === undefined) return;
    this.#write(shardId, held.pending);
    held.pending = undefined;
  }

  #write(shardId: string, sequence: string): void {
    const row = this.#row(shardId);
    if (row.owner !== this) return;
    if (row.sequence === undefined || compareSequence(sequence, row.sequence) > 0) row.sequence = sequence;
    row.updatedAt = this.#store.clock.now();
  }

  #row(shardId: string): Row {
    let row = this.#rows.get(shardId);
    if (row === undefined) {
      row = { shardId, finished: false, updatedAt: this.#store.clock.now() };
      this.#rows.set(shardId, row);
    }
    return row;
  }

  #assertOpen(): void {
    if (this.closed) throw new ClosedError("checkpointer session");
  }
}

function snapshot(row: Row): ShardCheckpoint {
  return { shardId: row.shardId, sequence: row.sequence, finished: row.finished, owner: row.owner?.ref, updatedAt: row.updatedAt };
}
