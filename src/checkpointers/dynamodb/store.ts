import { DynamoDBClient } from "../../dynamodb/client.ts";
import { AwsServiceError, CheckpointError, CheckpointTableMissingError, ConfigError } from "../../errors.ts";
import { randomWorkerId } from "../../internal/worker-id.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession, ShardCheckpoint } from "../types.ts";
import { resolveOptions, type DynamoDBCheckPointerOptions, type ResolvedOptions } from "./options.ts";
import { streamNameOf, toShardCheckpoint } from "../lease/lease-row.ts";
import { LeaseSession } from "../lease/session.ts";
import { DynamoDBLeaseBackend } from "./lease-backend.ts";
import { scanGroup } from "./scan-group.ts";
import { ensureTable, tableSchemaText } from "./table.ts";

export type { DynamoDBCheckPointerOptions } from "./options.ts";

/** One row as the guide's "View Table Contents" shows it: shard, owner, sequence, last update. */
export interface CheckpointListing extends ShardCheckpoint {
  streamName: string;
}

/**
 * Leases and checkpoints in DynamoDB, for fleets: any number of consumers, in one process or many,
 * split a stream's shards fairly, take over a dead worker's shards after `sessionTimeout`, and resume
 * after the last checkpoint. Each consumer opens its own session (`start`), a worker of its own.
 */
export class DynamoDBCheckPointer implements CheckPointer {
  readonly name: string;
  readonly tableName: string;
  readonly autoCheckpoint: boolean;
  /** The DynamoDB client used for every call (exposed for monitoring and tests). */
  readonly client: DynamoDBClient;
  readonly #options: ResolvedOptions;
  readonly #sessions = new Set<LeaseSession>();
  #table: Promise<void> | undefined;

  constructor(options: DynamoDBCheckPointerOptions) {
    this.#options = resolveOptions(options);
    this.name = this.#options.name;
    this.tableName = this.#options.tableName;
    this.autoCheckpoint = this.#options.autoCheckpoint;
    this.client = new DynamoDBClient({ ...this.#options.client, clock: this.#options.clock });
    // One call's retries must not outlast a lease: with the default 20 s cap a single renewal could
    // sleep past sessionTimeout under throttling and lose a lease it still held. Cap at a heartbeat.
    this.client.http.backoff = { ...this.client.http.backoff, capMs: Math.min(this.client.http.backoff.capMs, this.#options.heartbeatMs) };
  }

  /** Create the table if configured (once per instance), then open a worker session on `scope`. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    if (typeof scope?.streamName !== "string" || scope.streamName === "") {
      throw new ConfigError("streamName", "a checkpointer session needs the stream name");
    }
    await this.#ensureTable();
    const worker = this.#options.id === undefined ? randomWorkerId() : `${this.#options.id}.${randomWorkerId()}`;
    const stream = streamNameOf(scope.streamName);
    const backend = new DynamoDBLeaseBackend({ client: this.client, options: this.#options, stream, retentionHours: scope.retentionHours ?? 24 });
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

  /**
   * Write every buffered checkpoint of every session. Shards whose write failed stay buffered (so a
   * later call retries them) and are listed in one `CheckpointError`.
   */
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

  /**
   * What the table holds for this group (optionally one stream): shard, owner, sequence, last update.
   * Monitoring without an SDK; costs one Scan.
   */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? undefined : streamNameOf(options.streamName);
    let rows;
    try {
      rows = await scanGroup(this.client, this.tableName, this.name, stream);
    } catch (error) {
      if (error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException") {
        throw new CheckpointTableMissingError(this.tableName, `checkpoint table "${this.tableName}" does not exist (${tableSchemaText(this.tableName)})`, {
          cause: error,
        });
      }
      throw error;
    }
    return rows
      .map((row) => ({ streamName: row.stream, ...toShardCheckpoint(row) }))
      .sort((a, b) => a.streamName.localeCompare(b.streamName) || a.shardId.localeCompare(b.shardId));
  }

  #ensureTable(): Promise<void> {
    this.#table ??= ensureTable(this.client, this.tableName, this.#options.createTable).catch((error: unknown) => {
      this.#table = undefined; // let the next start() try again
      throw error;
    });
    return this.#table;
  }
}

function failuresOf(error: unknown): Array<{ shardId: string; error: unknown }> {
  return error instanceof CheckpointError ? [...error.failures] : [{ shardId: "(session)", error }];
}
