import type { DynamoDBClient } from "../../dynamodb/client.ts";
import type { Item } from "../../dynamodb/marshal.ts";
import { AwsServiceError } from "../../errors.ts";
import type { ConditionalOutcome, LeaseBackend } from "../lease/backend.ts";
import type { FencedWrite, OwnerWriteKind } from "../lease/lease-rules.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import { cancelHandoff, createLease, ownerWrite, requestHandoff, takeLease, type UpdateInput, type WriteStamp } from "./lease-writes.ts";
import type { ResolvedOptions } from "./options.ts";
import { decodeRow, keyItem, rowKey } from "./row.ts";
import { scanGroup } from "./scan-group.ts";

export interface DynamoDBLeaseTarget {
  client: DynamoDBClient;
  options: Pick<ResolvedOptions, "tableName" | "name" | "ttlSeconds" | "clock">;
  /** Stream name (not ARN): part of every row key. */
  stream: string;
  /** The stream's retention: a finished shard's row must outlive the shard. */
  retentionHours: number;
  /** The stream incarnation rows are written for (see `LeaseRow.incarnation`). */
  incarnation: string | undefined;
  /**
   * How the group's rows are read (the checkpointer's `GroupListing`: a Query of the group index, or a
   * Scan); default a strongly consistent filtered Scan.
   */
  listRows?: ((group: string, stream: string, signal: AbortSignal) => Promise<LeaseRow[]>) | undefined;
}

/**
 * A lease session's store in DynamoDB: one group and stream of the table. The group listing may be
 * eventually consistent (a Query of the group index: see group-listing.ts for why that is safe); every
 * other read is strongly consistent, and every write is one conditional UpdateItem (lease-writes.ts)
 * that returns the row.
 */
export class DynamoDBLeaseBackend implements LeaseBackend {
  readonly storeName = "DynamoDBCheckPointer";
  readonly random: () => number;
  readonly incarnation: string | undefined;
  readonly #client: DynamoDBClient;
  readonly #options: DynamoDBLeaseTarget["options"];
  readonly #stream: string;
  readonly #retentionHours: number;
  readonly #listRows: NonNullable<DynamoDBLeaseTarget["listRows"]>;

  constructor(target: DynamoDBLeaseTarget) {
    this.#client = target.client;
    this.#options = target.options;
    this.#stream = target.stream;
    this.#retentionHours = target.retentionHours;
    this.incarnation = target.incarnation;
    this.#listRows = target.listRows ?? ((group, stream, signal) => scanGroup(this.#client, this.#options.tableName, group, stream, signal));
    // The client's jitter source, so one `random` option drives every backoff of the checkpointer.
    this.random = target.client.http.random;
  }

  rowKey(shardId: string): string {
    return rowKey(this.#options.name, this.#stream, shardId);
  }

  listRows(signal: AbortSignal): Promise<LeaseRow[]> {
    return this.#listRows(this.#options.name, this.#stream, signal);
  }

  async readRow(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> {
    const item = await this.#client.getItem(this.#options.tableName, keyItem(this.rowKey(shardId)), { consistentRead: true, signal });
    return item === undefined ? undefined : decodeRow(item);
  }

  create(shardId: string, me: string, nowMs: number, signal: AbortSignal): Promise<ConditionalOutcome> {
    const where = { group: this.#options.name, stream: this.#stream, shardId, incarnation: this.incarnation };
    return this.#update(createLease(this.#options.tableName, this.rowKey(shardId), where, me, this.#stamp(nowMs, "renew")), signal, "read");
  }

  take(
    shardId: string,
    me: string,
    expected: { counter: number; owner?: string | undefined },
    nowMs: number,
    signal: AbortSignal,
  ): Promise<ConditionalOutcome> {
    return this.#update(takeLease(this.#options.tableName, this.rowKey(shardId), me, expected, this.#stamp(nowMs, "renew")), signal, "read");
  }

  requestHandoff(shardId: string, me: string, owner: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    // A refused request is not worth a read: the session re-reads the group before it decides again.
    return this.#update(requestHandoff(this.#options.tableName, this.rowKey(shardId), me, owner), signal, "skip-read");
  }

  ownerWrite(shardId: string, me: string, write: FencedWrite, signal: AbortSignal): Promise<ConditionalOutcome> {
    const stamp = this.#stamp(this.#options.clock.now(), write.kind);
    const input = ownerWrite(
      write.kind,
      this.#options.tableName,
      this.rowKey(shardId),
      me,
      write.counter,
      stamp,
      write.sequence,
      write.startAt,
      write.bytesPerSecond,
    );
    return this.#update(input, signal, "read");
  }

  cancelHandoff(shardId: string, me: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    return this.#update(cancelHandoff(this.#options.tableName, this.rowKey(shardId), me), signal, "skip-read");
  }

  /** One UpdateItem; on a failed condition, the row as it is (unless `skip-read`). */
  async #update(input: UpdateInput, signal: AbortSignal, onFailure: "read" | "skip-read"): Promise<ConditionalOutcome> {
    try {
      const out = await this.#client.updateItem(input, { signal });
      return { landed: true, row: out.Attributes === undefined ? undefined : decodeRow(out.Attributes) };
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      return { landed: false, current: onFailure === "read" ? await this.#currentRow(input.Key, error, signal) : undefined };
    }
  }

  /** The row as it is now: from the failure itself (ReturnValuesOnConditionCheckFailure) or a consistent read. */
  async #currentRow(key: Item, failure: AwsServiceError, signal: AbortSignal): Promise<LeaseRow | undefined> {
    if (failure.item !== undefined) return decodeRow(failure.item as Item);
    const item = await this.#client.getItem(this.#options.tableName, key, { consistentRead: true, signal });
    return item === undefined ? undefined : decodeRow(item);
  }

  #stamp(nowMs: number, kind: OwnerWriteKind): WriteStamp {
    // A finished shard's row must outlive the shard in ListShards, or a restart would replay it.
    const extraHours = kind === "finish" ? this.#retentionHours : 0;
    return { nowMs, ttl: Math.floor(nowMs / 1000) + this.#options.ttlSeconds + Math.round(extraHours * 3600) };
  }
}

function isConditionalFailure(error: unknown): error is AwsServiceError {
  return error instanceof AwsServiceError && error.awsCode === "ConditionalCheckFailedException";
}
