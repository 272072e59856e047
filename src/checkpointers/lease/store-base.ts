import { CheckpointError, ConfigError } from "../../errors.ts";
import { randomWorkerId } from "../../internal/worker-id.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession, ShardCheckpoint } from "../types.ts";
import type { LeaseBackend } from "./backend.ts";
import { type LeaseRow, streamNameOf, toShardCheckpoint } from "./lease-row.ts";
import { LeaseSession, type SessionTiming } from "./session.ts";

/**
 * What every lease store (DynamoDB, Redis) does the same way, whatever it stores in: check the scope
 * a session is opened on, open sessions as workers of their own, flush and close them together, and
 * list the rows for people. Each store keeps its storage (a `LeaseBackend` per session) and setup.
 */

/** One row as the guide's "View Table Contents" shows it: shard, owner, sequence, last update. */
export interface CheckpointListing extends ShardCheckpoint {
  /** The stream the row belongs to. */
  streamName: string;
}

/** The stream a session is opened on: its name (an ARN counts as its name), retention and incarnation. */
export function sessionScope(scope: CheckpointScope): { stream: string; retentionHours: number; incarnation: string | undefined } {
  if (typeof scope?.streamName !== "string" || scope.streamName === "") {
    throw new ConfigError("streamName", "a checkpointer session needs the stream name");
  }
  const created = scope.streamCreatedAt;
  if (created !== undefined && !(typeof created === "number" && Number.isFinite(created))) {
    throw new ConfigError("streamCreatedAt", "streamCreatedAt must be epoch milliseconds");
  }
  return {
    stream: streamNameOf(scope.streamName),
    retentionHours: scope.retentionHours ?? 24,
    incarnation: created === undefined ? undefined : String(Math.round(created)),
  };
}

/** Rows as listings, by stream and then shard. */
export function toListings(rows: readonly LeaseRow[]): CheckpointListing[] {
  return rows
    .map((row) => ({ streamName: row.stream, ...toShardCheckpoint(row) }))
    .sort((a, b) => a.streamName.localeCompare(b.streamName) || a.shardId.localeCompare(b.shardId));
}

/**
 * What every lease store does the same way once its sessions exist (DynamoDB, Redis, memory, Durable
 * Objects, Deno KV): flush them, close them, and `await using`. Each store opens its sessions itself.
 */
export abstract class LeaseStore implements CheckPointer {
  /** Set by each store's constructor, once its options are resolved. */
  protected sessions!: OpenSessions;

  abstract start(scope: CheckpointScope): Promise<CheckpointSession>;

  /** Confirm and write every buffered checkpoint of every session; failed shards stay buffered and are listed in one `CheckpointError`. */
  manualCheckpoint(): Promise<void> {
    return this.sessions.manualCheckpoint();
  }

  /** Flush and release every session's leases, stop their timers. */
  close(): Promise<void> {
    return this.sessions.close();
  }

  /** `await using checkpointer = new …`: closes it when the scope ends, as `close()` does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A store's open sessions: each a worker `<name>/[<id or workerId>.]<random>`, forgotten when it closes. */
export class OpenSessions {
  readonly #name: string;
  readonly #options: SessionTiming & { id: string | undefined; workerId?: string | undefined };
  readonly #sessions = new Set<LeaseSession>();

  constructor(name: string, options: SessionTiming & { id: string | undefined; workerId?: string | undefined }) {
    this.#name = name;
    this.#options = options;
  }

  open(stream: string, backend: LeaseBackend): LeaseSession {
    // The random part stays even with a stable workerId: two processes must never share one ref.
    const label = this.#options.workerId ?? this.#options.id;
    const worker = label === undefined ? randomWorkerId() : `${label}.${randomWorkerId()}`;
    const session = new LeaseSession({
      backend,
      options: this.#options,
      stream,
      ref: `${this.#name}/${worker}`,
      ...(this.#options.workerId === undefined ? {} : { previousRefs: this.#previousRefs(this.#options.workerId) }),
      onClosed: (closed) => this.#sessions.delete(closed),
    });
    this.#sessions.add(session);
    return session;
  }

  /**
   * Earlier processes of this stable worker — but not the sessions open right now on this very store
   * (several consumers may share one checkpointer): those are alive, and their leases are theirs.
   */
  #previousRefs(workerId: string): (ref: string) => boolean {
    const earlier = previousRefsOf(this.#name, workerId);
    return (ref) => earlier(ref) && ![...this.#sessions].some((open) => open.ref === ref);
  }

  /** Write every buffered checkpoint of every session; failed shards stay buffered and are listed in one `CheckpointError`. */
  async manualCheckpoint(): Promise<void> {
    const failures = (await Promise.all([...this.#sessions].map((s) => s.flushAll()))).flat();
    if (failures.length > 0) throw new CheckpointError("manualCheckpoint", failures);
  }

  /** Flush and release every session's leases, stop their timers. */
  async close(): Promise<void> {
    const results = await Promise.allSettled([...this.#sessions].map((s) => s.close()));
    const failures = results.flatMap((r) => (r.status === "rejected" ? failuresOf(r.reason) : []));
    if (failures.length > 0) throw new CheckpointError("close could not write the final checkpoints", failures);
  }
}

/** Refs of earlier processes of the same stable worker: `<name>/<workerId>.<random>` (the random part as randomWorkerId makes it). */
export function previousRefsOf(name: string, workerId: string): (ref: string) => boolean {
  const prefix = `${name}/${workerId}.`;
  return (ref) => ref.startsWith(prefix) && /^[0-9a-f]{16}$/.test(ref.slice(prefix.length));
}

function failuresOf(error: unknown): Array<{ shardId: string; error: unknown }> {
  return error instanceof CheckpointError ? [...error.failures] : [{ shardId: "(session)", error }];
}
