import { GROUP_INDEX, groupIndexStatus, queryGroup } from "../checkpointers/dynamodb/group-index.ts";
import { decodeRow, keyItem, rowKey } from "../checkpointers/dynamodb/row.ts";
import { scanGroup } from "../checkpointers/dynamodb/scan-group.ts";
import type { LeaseRow } from "../checkpointers/lease/lease-row.ts";
import type { DynamoDBClient } from "../dynamodb/client.ts";
import { AwsServiceError } from "../errors.ts";
import type { RowRef, RowsWanted } from "./store.ts";

/** GetItems in flight at once when re-reading rows one by one. */
const GET_CONCURRENCY = 8;

/**
 * How the administration functions read one group's rows from a checkpoint table.
 *
 * By the group index (group-index.ts: one Query of the group's own rows) when DescribeTable shows it
 * ACTIVE, else by a strongly consistent Scan of the table (an old table without the index, one still
 * backfilling, or DescribeTable refused): the cost of a read then follows the group, not the table.
 *
 * A global secondary index is eventually consistent: a Query may answer with rows as they were a
 * moment ago (an owner since replaced, a counter one behind, a new row missing). Per use:
 * - listing (`listCheckpoints`) only shows: the index's answer is used as is;
 * - a decision (the live-lease refusal of reset, migrate and import-python; the counter and owner each
 *   write is fenced on) re-reads its rows with strongly consistent GetItems, one per shard. The writes'
 *   conditions alone would stop a stale `expected` from overwriting anything (the write fails and the
 *   call ends in a CheckpointConflictError), but the refusal would be decided on the stale rows: a lease
 *   taken a moment before would not be refused, and the call would write the group's other shards and
 *   then fail on that one, where a consistent read refuses before writing anything.
 */
export class DynamoDBGroupReads {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  /** Whether the group index is ACTIVE, found once per store (an administration call is short). */
  #indexActive: boolean | undefined;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  /** The rows of `group` (on `stream`): by index Query when it is ACTIVE (possibly a moment old), else by Scan. */
  async list(group: string, stream: string | undefined, signal?: AbortSignal): Promise<LeaseRow[]> {
    return (await this.#read(group, stream, signal)).rows;
  }

  /** The rows a decision needs, as they are now. */
  async current(group: string, stream: string | undefined, wanted: RowsWanted, signal?: AbortSignal): Promise<LeaseRow[]> {
    if (wanted !== "every") {
      // The shards are known: read exactly their rows (the Scan too is strongly consistent, but reads the table).
      if (await this.#indexReady(signal)) return this.#getEach(group, wanted, signal);
      return scanGroup(this.#client, this.#table, group, stream, signal);
    }
    const listed = await this.#read(group, stream, signal);
    if (!listed.fromIndex) return listed.rows;
    // A row the index does not show yet (created a moment ago) stays unseen, as if created just after this
    // read; a write to it is still conditional on its absence and fails rather than overwrite it.
    return this.#getEach(group, listed.rows, signal);
  }

  async #read(group: string, stream: string | undefined, signal?: AbortSignal): Promise<{ rows: LeaseRow[]; fromIndex: boolean }> {
    if (await this.#indexReady(signal)) {
      try {
        return { rows: await queryGroup(this.#client, this.#table, group, stream, signal), fromIndex: true };
      } catch (error) {
        // The index was deleted since DescribeTable: DynamoDB names it in a ValidationException.
        if (!(error instanceof AwsServiceError && error.awsCode === "ValidationException" && error.message.includes(GROUP_INDEX))) throw error;
        this.#indexActive = false;
      }
    }
    return { rows: await scanGroup(this.#client, this.#table, group, stream, signal), fromIndex: false };
  }

  async #indexReady(signal?: AbortSignal): Promise<boolean> {
    if (this.#indexActive !== undefined) return this.#indexActive;
    try {
      const table = await this.#client.describeTable(this.#table, signal === undefined ? undefined : { signal });
      this.#indexActive = groupIndexStatus(table) === "active";
    } catch (error) {
      // A missing table is the caller's to report; DescribeTable refused (IAM) is not a reason to fail a read.
      if (!(error instanceof AwsServiceError) || error.awsCode === "ResourceNotFoundException") throw error;
      this.#indexActive = false;
    }
    return this.#indexActive;
  }

  /** Each row by a strongly consistent GetItem; rows that do not exist (any more) are left out. */
  async #getEach(group: string, refs: readonly RowRef[], signal?: AbortSignal): Promise<LeaseRow[]> {
    const keys = [...new Set(refs.map((ref) => rowKey(group, ref.stream, ref.shardId)))];
    const rows: LeaseRow[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const key = keys[next++]!;
        const item = await this.#client.getItem(this.#table, keyItem(key), signal === undefined ? { consistentRead: true } : { consistentRead: true, signal });
        const row = item === undefined ? undefined : decodeRow(item);
        if (row !== undefined) rows.push(row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(GET_CONCURRENCY, keys.length) }, worker));
    return rows.sort((a, b) => a.key.localeCompare(b.key));
  }
}
