import { defaultBackoff } from "../../internal/backoff.ts";
import { monotonicOf } from "../../internal/clock.ts";
import { DynamoDBClient } from "../../dynamodb/client.ts";
import { AwsServiceError, CheckpointTableMissingError } from "../../errors.ts";
import { RequestListeners } from "../../internal/request-listeners.ts";
import { streamNameOf } from "../lease/lease-row.ts";
import { type CheckpointListing, LeaseStore, OpenSessions, sessionScope, toListings } from "../lease/store-base.ts";
import type { CheckpointScope, CheckpointSession } from "../types.ts";
import { DynamoDBLeaseBackend } from "./lease-backend.ts";
import { type DynamoDBCheckPointerOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { GroupListing, type GroupListingMode } from "./group-listing.ts";
import { ensureTable, tableSchemaText } from "./table.ts";

export type { DynamoDBCheckPointerOptions } from "./options.ts";
export type { CheckpointListing } from "../lease/store-base.ts";

/**
 * Leases and checkpoints in DynamoDB, for fleets: any number of consumers, in one process or many,
 * split a stream's shards fairly, take over a dead worker's shards after `sessionTimeout`, and resume
 * after the last checkpoint. Each consumer opens its own session (`start`), a worker of its own.
 */
export class DynamoDBCheckPointer extends LeaseStore {
  /** The consumer group name: part of every row key and owner ref. */
  readonly name: string;
  /** The table in use; `kinesis-checkpoints-{name}` unless the options named one. */
  readonly tableName: string;
  /** Whether checkpoints are written on their own (default true) or held until `manualCheckpoint()`. */
  readonly autoCheckpoint: boolean;
  /** The DynamoDB client used for every call (exposed for monitoring and tests). */
  readonly client: DynamoDBClient;
  readonly #options: ResolvedOptions;
  readonly #requests = new RequestListeners();
  #table: Promise<void> | undefined;
  /** Whether this instance created the table: a retried start() then still turns point-in-time recovery on. */
  readonly #tableProgress = { created: false };
  /** Query of the group index, or Scan (see group-listing.ts); shared by this checkpointer's sessions. */
  readonly #listing: GroupListing;

  constructor(options: DynamoDBCheckPointerOptions) {
    super();
    this.#options = resolveOptions(options);
    this.name = this.#options.name;
    this.tableName = this.#options.tableName;
    this.autoCheckpoint = this.#options.autoCheckpoint;
    // One call's retries must not outlast a lease: with the default 20 s cap a single renewal could
    // sleep past sessionTimeout under throttling and lose a lease it still held. Cap at a heartbeat.
    const backoff = { ...defaultBackoff, capMs: Math.min(defaultBackoff.capMs, this.#options.heartbeatMs) };
    this.client = new DynamoDBClient(
      { ...this.#options.client, fetch: this.#requests.countingFetch(this.#options.client.fetch), clock: this.#options.clock },
      { backoff },
    );
    this.sessions = new OpenSessions(this.name, this.#options);
    this.#listing = new GroupListing(this.client, this.tableName, {
      useIndex: this.#options.groupIndex,
      mayAddIndex: this.#options.createTable,
      now: monotonicOf(this.#options.clock),
      onEvent: this.#options.onEvent,
    });
  }

  /**
   * How this checkpointer reads its group's rows right now: `query` (the group index), `building` (the
   * index is being built: Scan meanwhile) or `scan`. Settled by the first `start()`.
   */
  get groupListing(): GroupListingMode {
    return this.#listing.mode;
  }

  /** Create the table if configured (once per instance), then open a worker session on `scope`. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, retentionHours, incarnation } = sessionScope(scope);
    await this.#ensureTable();
    const listRows = (group: string, name: string, signal: AbortSignal) => this.#listing.list(group, name, signal);
    return this.sessions.open(stream, new DynamoDBLeaseBackend({ client: this.client, options: this.#options, stream, retentionHours, incarnation, listRows }));
  }

  /** Call `listener` for every HTTP request this checkpointer sends (bounded steps count them); returns the undo. */
  observeRequests(listener: () => void): () => void {
    return this.#requests.add(listener);
  }

  /**
   * What the table holds for this group (optionally one stream): shard, owner, sequence, last update.
   * Monitoring without an SDK; costs one Query of the group index (one Scan on a table without it).
   */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? undefined : streamNameOf(options.streamName);
    let rows;
    try {
      rows = await this.#listing.list(this.name, stream);
    } catch (error) {
      if (error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException") {
        throw new CheckpointTableMissingError(this.tableName, `checkpoint table "${this.tableName}" does not exist (${tableSchemaText(this.tableName)})`, {
          cause: error,
        });
      }
      throw error;
    }
    return toListings(rows);
  }

  #ensureTable(): Promise<void> {
    const { tags, pointInTimeRecovery } = this.#options;
    const creation = { tags, pointInTimeRecovery, progress: this.#tableProgress, groupIndex: this.#options.groupIndex };
    const ready = async (): Promise<void> => {
      await ensureTable(this.client, this.tableName, this.#options.createTable, undefined, creation);
      await this.#listing.prepare();
    };
    this.#table ??= ready().catch((error: unknown) => {
      this.#table = undefined; // let the next start() try again
      throw error;
    });
    return this.#table;
  }
}
