import type { DynamoDBClient } from "../../dynamodb/client.ts";
import { AwsServiceError } from "../../errors.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import { addGroupIndex, GROUP_INDEX, groupIndexStatus, queryGroup } from "./group-index.ts";
import { scanGroup } from "./scan-group.ts";

/**
 * How a checkpointer reads a group's rows: by the group index (one Query of its own rows) once the
 * index is ACTIVE, by a filtered Scan before that (the index is being built) or for good (an old table
 * without the index that this checkpointer may not change, or `groupIndex: false`).
 *
 * Why an eventually consistent index read is safe for leases. A Query of a global secondary index may
 * answer with rows as they were a moment ago (a counter one behind, an owner since replaced, a new row
 * missing, a released one still owned). Every decision taken from such a snapshot ends in a conditional
 * write on the row itself, and the table's conditions are strongly consistent:
 * - a take is conditional on the counter and owner the worker saw: if the row moved on since, the take
 *   fails and returns the row as it is (ReturnValuesOnConditionCheckFailure), which replaces the stale one;
 * - a create is conditional on the row being absent: a row the index has not shown yet fails it the same way;
 * - an owner's heartbeat, checkpoint, release and finish are conditional on `ref = me AND lease_counter =`
 *   the counter its own last write returned (never a listed one), so a stale listing cannot touch fencing;
 * - a handoff request is conditional on the current owner and on no request pending.
 * Expiry compares counters over this worker's own time: a lagging answer shows an older counter, which
 * only restarts the observation (a lease looks alive longer), and a lease would look expired by lag only
 * if the index were a whole sessionTimeout behind — then the take still fails on the counter. So a stale
 * snapshot costs a wasted conditional write or a round's delay in balance or takeover, never two owners
 * or a checkpoint moved back. Positions come from the take's own (consistent) answer, not the listing.
 */
export type GroupListingMode = "query" | "building" | "scan";

/** Something the checkpointer wants its user to know about its table (`onEvent`). */
export type DynamoDBCheckPointerEvent = {
  type: "groupIndexMissing";
  tableName: string;
  indexName: string;
  /**
   * `createTable-false`: the table has no group index and this checkpointer may not change the table;
   * `not-added`: UpdateTable was refused (permissions, say) or the server did not add the index;
   * `gone`: the index disappeared (a Query named it missing).
   */
  reason: "createTable-false" | "not-added" | "gone";
  message: string;
};

export interface GroupListingOptions {
  /** `groupIndex` option: use the index (default true); false reads by Scan, silently, as before. */
  useIndex: boolean;
  /** `createTable`: whether this checkpointer may add the index to an existing table. */
  mayAddIndex: boolean;
  /** Monotonic milliseconds, for how often a building index is looked at again. */
  now: () => number;
  onEvent: (event: DynamoDBCheckPointerEvent) => void;
}

/** How often a missing or building index is described again (AWS builds a new index in minutes). */
export const INDEX_RECHECK_MS = 60_000;

export class GroupListing {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #options: GroupListingOptions;
  #mode: GroupListingMode = "scan";
  /** Never yet: a listing before any start() (listCheckpoints) looks for the index first. */
  #checkedAt = Number.NEGATIVE_INFINITY;
  #warned = false;

  constructor(client: DynamoDBClient, tableName: string, options: GroupListingOptions) {
    this.#client = client;
    this.#tableName = tableName;
    this.#options = options;
  }

  get mode(): GroupListingMode {
    return this.#mode;
  }

  /** At start (the table exists): find the index, or add it to an existing table, or say it is missing. */
  async prepare(signal?: AbortSignal): Promise<void> {
    if (!this.#options.useIndex) return;
    const status = await this.#describe(signal);
    if (status !== "absent") return;
    if (!this.#options.mayAddIndex) {
      return this.#fallBack(
        "createTable-false",
        `table "${this.#tableName}" has no "${GROUP_INDEX}" index, so every allocation Scans the whole table; add the index (see "Cost at scale" in docs/dynamodb-checkpointer.md: it is used once ACTIVE), or pass groupIndex: false to silence this`,
      );
    }
    try {
      await addGroupIndex(this.#client, this.#tableName, signal);
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      // Another worker's UpdateTable is already building it (or the table is busy): wait for it.
      if (!["ResourceInUseException", "LimitExceededException"].includes(error.awsCode) && !/already exists/i.test(error.message)) {
        return this.#fallBack("not-added", `could not add the "${GROUP_INDEX}" index to table "${this.#tableName}" (${error.awsCode}); reading by Scan`);
      }
    }
    this.#mode = "building";
    // An emulator builds at once; AWS takes minutes (rows are read by Scan meanwhile).
    if ((await this.#describe(signal)) === "absent") {
      this.#fallBack(
        "not-added",
        `table "${this.#tableName}" accepted UpdateTable but shows no "${GROUP_INDEX}" index (the server may not support adding one); reading by Scan`,
      );
    }
  }

  /** The rows of `group` (and `stream`): by Query when the index is ready, else by Scan. */
  async list(group: string, stream: string | undefined, signal?: AbortSignal): Promise<LeaseRow[]> {
    // Without the index, look again now and then: one being built, or added by hand, is used once ACTIVE.
    if (this.#options.useIndex && this.#mode !== "query" && this.#options.now() - this.#checkedAt >= INDEX_RECHECK_MS) {
      const wasBuilding = this.#mode === "building";
      if ((await this.#describe(signal)) === "absent" && wasBuilding) {
        this.#fallBack("gone", `the "${GROUP_INDEX}" index of table "${this.#tableName}" is no longer being built; reading by Scan`);
      }
    }
    if (this.#mode !== "query") return scanGroup(this.#client, this.#tableName, group, stream, signal);
    try {
      return await queryGroup(this.#client, this.#tableName, group, stream, signal);
    } catch (error) {
      // The index was deleted under us: DynamoDB names it in a ValidationException.
      if (!(error instanceof AwsServiceError && error.awsCode === "ValidationException" && error.message.includes(GROUP_INDEX))) throw error;
      this.#fallBack("gone", `the "${GROUP_INDEX}" index of table "${this.#tableName}" is gone (${error.message}); reading by Scan`);
      return scanGroup(this.#client, this.#tableName, group, stream, signal);
    }
  }

  async #describe(signal?: AbortSignal): Promise<"absent" | "building" | "active"> {
    const status = groupIndexStatus(await this.#client.describeTable(this.#tableName, signal === undefined ? undefined : { signal }));
    this.#checkedAt = this.#options.now();
    if (status === "active") this.#mode = "query";
    else if (status === "building") this.#mode = "building";
    return status;
  }

  /** Scan from now on, and say so once per checkpointer. */
  #fallBack(reason: DynamoDBCheckPointerEvent["reason"], message: string): void {
    this.#mode = "scan";
    if (this.#warned) return;
    this.#warned = true;
    this.#options.onEvent({ type: "groupIndexMissing", tableName: this.#tableName, indexName: GROUP_INDEX, reason, message });
  }
}
