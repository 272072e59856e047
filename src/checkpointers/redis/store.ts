import { ConfigError } from "../../errors.ts";
import { streamNameOf } from "../lease/lease-row.ts";
import { type CheckpointListing, LeaseStore, OpenSessions, sessionScope, toListings } from "../lease/store-base.ts";
import type { CheckpointScope, CheckpointSession } from "../types.ts";
import { type RedisCall, redisCaller, type RedisClientLike } from "./client.ts";
import { RequestListeners } from "../../internal/request-listeners.ts";
import { RedisLeaseBackend } from "./lease-backend.ts";
import { LeaseRows } from "./lease-rows.ts";
import { type RedisCheckPointerOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
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
export class RedisCheckPointer extends LeaseStore {
  /** The consumer group name: part of every key and owner ref. */
  readonly name: string;
  /** First part of every key (default `async-kinesis`). */
  readonly keyPrefix: string;
  /** Whether checkpoints are written on their own (default true) or held until `manualCheckpoint()`. */
  readonly autoCheckpoint: boolean;
  /** The client given in the options (checkpoint administration reads and writes through it too). */
  readonly client: RedisClientLike;
  readonly #options: ResolvedOptions;
  readonly #rows: LeaseRows;
  readonly #requests = new RequestListeners();

  constructor(options: RedisCheckPointerOptions) {
    super();
    this.#options = resolveOptions(options);
    this.name = this.#options.name;
    this.keyPrefix = this.#options.keyPrefix;
    this.autoCheckpoint = this.#options.autoCheckpoint;
    this.client = this.#options.client;
    const call = redisCaller(this.#options.client, this.#options);
    const counted: RedisCall = (args, signal) => {
      this.#requests.notify();
      return call(args, signal);
    };
    this.#rows = new LeaseRows(new ScriptRunner(counted), new KeySpace(this.keyPrefix, this.name));
    this.sessions = new OpenSessions(this.name, this.#options);
  }

  /** Open a worker session on `scope` and start its heartbeats. Nothing is written until a shard is allocated. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, retentionHours, incarnation } = sessionScope(scope);
    if (!KEY_PART.test(stream)) throw new ConfigError("streamName", `stream name "${stream}" cannot be part of a Redis key (braces, colons or whitespace)`);
    return this.sessions.open(stream, new RedisLeaseBackend({ rows: this.#rows, options: this.#options, stream, retentionHours, incarnation }));
  }

  /** Call `listener` for every command this checkpointer sends (bounded steps count them); returns the undo. */
  observeRequests(listener: () => void): () => void {
    return this.#requests.add(listener);
  }

  /** What Redis holds for this group (optionally one stream): shard, owner, sequence, last update. One script. */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? undefined : streamNameOf(options.streamName);
    const rows = await this.#rows.list(stream);
    return toListings(rows);
  }
}
