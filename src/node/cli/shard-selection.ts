import type { CheckPointer, CheckpointScope, CheckpointSession, Lease, ShardCheckpoint } from "../index.ts";

/**
 * `tail --shard`: a checkpointer in front of another that lets the consumer lease only the chosen
 * shards, so the Consumer (with its decoding, KPL unpacking and pacing) reads just those.
 *
 * `settled` names shards to present as finished: the chosen shards' parents, which would otherwise
 * hold a chosen child back until they are read to their end (parents before children). The caller
 * leaves it empty when starting at LATEST, where unread closed parents are skipped anyway and a
 * finished parent would make the child start at its oldest record instead.
 */
export class ShardSelection implements CheckPointer {
  readonly #inner: CheckPointer;
  readonly #chosen: ReadonlySet<string>;
  readonly #settled: ReadonlySet<string>;

  constructor(inner: CheckPointer, chosen: ReadonlySet<string>, settled: ReadonlySet<string>) {
    this.#inner = inner;
    this.#chosen = chosen;
    this.#settled = settled;
  }

  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    return new SelectedSession(await this.#inner.start(scope), this.#chosen, this.#settled);
  }

  manualCheckpoint(): Promise<void> {
    return this.#inner.manualCheckpoint();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

class SelectedSession implements CheckpointSession {
  readonly #inner: CheckpointSession;
  readonly #chosen: ReadonlySet<string>;
  readonly #settled: ReadonlySet<string>;

  constructor(inner: CheckpointSession, chosen: ReadonlySet<string>, settled: ReadonlySet<string>) {
    this.#inner = inner;
    this.#chosen = chosen;
    this.#settled = settled;
  }

  get ref(): string {
    return this.#inner.ref;
  }

  get allocateIntervalSeconds(): number {
    return this.#inner.allocateIntervalSeconds;
  }

  allocate(shardId: string, context: { totalShards: number }): Promise<Lease | undefined> {
    return this.#chosen.has(shardId) ? this.#inner.allocate(shardId, context) : Promise.resolve(undefined);
  }

  checkpoint(shardId: string, sequence: string): void {
    this.#inner.checkpoint(shardId, sequence);
  }

  finish(shardId: string, lastSequence?: string): Promise<void> {
    return this.#inner.finish(shardId, lastSequence);
  }

  recordStart(shardId: string, atMs: number): Promise<void> {
    return this.#inner.recordStart(shardId, atMs);
  }

  release(shardId: string): Promise<void> {
    return this.#inner.release(shardId);
  }

  manualCheckpoint(): Promise<void> {
    return this.#inner.manualCheckpoint();
  }

  async get(shardId: string): Promise<ShardCheckpoint | undefined> {
    return (await this.#inner.get(shardId)) ?? (this.#settled.has(shardId) ? { shardId, finished: true } : undefined);
  }

  async list(): Promise<ShardCheckpoint[]> {
    const rows = await this.#inner.list();
    const listed = new Set(rows.map((row) => row.shardId));
    for (const shardId of this.#settled) if (!listed.has(shardId)) rows.push({ shardId, finished: true });
    return rows;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
