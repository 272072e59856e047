import { CheckpointError, ConfigError } from "../../errors.ts";
import { randomWorkerId } from "../../internal/worker-id.ts";
import type { CheckpointListing } from "../dynamodb/store.ts";
import { streamNameOf, toShardCheckpoint } from "../lease/lease-row.ts";
import { LeaseSession } from "../lease/session.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession } from "../types.ts";
import { redisCaller } from "./client.ts";
import { RedisLeaseBackend } from "./lease-backend.ts";
import { LeaseRows } from "./lease-rows.ts";
import { resolveOptions, type RedisCheckPointerOptions, type ResolvedOptions } from "./options.ts";
import { KEY_PART, KeySpace } from "./rows.ts";
import { ScriptRunner } from "./scripts.ts";

export type { RedisCheckPointerOptions } from "./options.ts";
export type { CallClient, RedisClientLike, SendCommandClient } from "./client.ts";

/**
 * Leases and checkpoints in Redis: the alternative to `DynamoDBCheckPointer` with the same lease
 * rules (fencing, takeover after `sessionTimeout` observed locally, cooperative handoff, flush then
 * release on close). Bring your own connected client, node-redis or ioredis; every write is one
 * atomic Lua script. Each consumer opens its own session (`start`), a worker of its own.
 */
export class RedisCheckPointer implements CheckPointer {
  readonly name: string;
  readonly keyPrefix: string;
  readonly autoCheckpoint: boolean;
  readonly #options: ResolvedOptions;
  readonly #rows: LeaseRows;
  readonly #sessions = new Set<LeaseSession>();

  constructor(options: RedisCheckPointerOptions) {
    this.#options = resolveOptions(options);
    this.name = this.#options.name;
    this.keyPrefix = this.#options.keyPrefix;
    this.autoCheckpoint = this.#options.autoCheckpoint;
    this.#rows = new LeaseRows(new ScriptRunner(redisCaller(this.#options.client)), new KeySpace(this.keyPrefix, this.name));
  }

  /** Open a worker session on `scope` and start its heartbeats. Nothing is written until a shard is allocated. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    if (typeof scope?.streamName !== "string" || scope.streamName === "") {
      throw new ConfigError("streamName", "a checkpointer session needs the stream name");
    }
    const stream = streamNameOf(scope.streamName);
    if (!KEY_PART.test(stream)) throw new ConfigError("streamName", `stream name "${stream}" cannot be part of a Redis key (braces, colons or whitespace)`);
    const worker = this.#options.id === undefined ? randomWorkerId() : `${this.#options.id}.${randomWorkerId()}`;
    const backend = new RedisLeaseBackend({ rows: this.#rows, options: this.#options, stream, retentionHours: scope.retentionHours ?? 24 });
    const session = new LeaseSession({
      backend,
      options: this.#options,
      stream,
      ref: `${this.name}/${worker}`,
      onClosed: (closed) => this.#sessions.delete(closed),
    });
    this.#sessions.add(session);
    return session;
  }

  /** Write every buffered checkpoint of every session; failed shards stay buffered and are listed in one `CheckpointError`. */
  async manualCheckpoint(): Promise<void> {
    const failures = (await Promise.all([...this.#sessions].map((s) => s.flushAll()))).flat();
    if (failures.length > 0) throw new CheckpointError("manualCheckpoint", failures);
  }

  /** Flush and release every session's leases, stop their timers. The Redis client stays open (it is yours). */
  async close(): Promise<void> {
    const results = await Promise.allSettled([...this.#sessions].map((s) => s.close()));
    const failures = results.flatMap((r) => (r.status === "rejected" ? failuresOf(r.reason) : []));
    if (failures.length > 0) throw new CheckpointError("close could not write the final checkpoints", failures);
  }

  /** What Redis holds for this group (optionally one stream): shard, owner, sequence, last update. One script. */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? undefined : streamNameOf(options.streamName);
    const rows = await this.#rows.list(stream);
    return rows
      .map((row) => ({ streamName: row.stream, ...toShardCheckpoint(row) }))
      .sort((a, b) => a.streamName.localeCompare(b.streamName) || a.shardId.localeCompare(b.shardId));
  }
}

function failuresOf(error: unknown): Array<{ shardId: string; error: unknown }> {
  return error instanceof CheckpointError ? [...error.failures] : [{ shardId: "(session)", error }];
}
