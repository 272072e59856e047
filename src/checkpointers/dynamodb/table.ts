import type { DynamoDBClient, TableDescription } from "../../dynamodb/client.ts";
import { AwsServiceError, CheckpointTableMissingError, ConfigError, TimeoutError } from "../../errors.ts";
import { GROUP_INDEX_TEXT, groupIndexCreation } from "./group-index.ts";
import { ATTR } from "./row.ts";
import { tagList } from "./table-options.ts";

/** What a table this checkpointer creates gets besides the guide's schema (see table-options.ts). */
export interface TableCreation {
  /** CreateTable `Tags`. */
  tags?: Readonly<Record<string, string>> | undefined;
  /** UpdateContinuousBackups with point-in-time recovery on, once the new table is ACTIVE. */
  pointInTimeRecovery?: boolean | undefined;
  /**
   * Kept by the caller across attempts: set once this caller's CreateTable succeeded, so a later
   * attempt still applies what an earlier one could not (its UpdateContinuousBackups failed, say).
   */
  progress?: { created: boolean } | undefined;
  /** Create the table with the group index (group-index.ts); default true. */
  groupIndex?: boolean | undefined;
}

/** How long to keep asking while AWS is still setting up a new table's backups, and how often. */
const BACKUPS_WAIT_MS = 120_000;
const BACKUPS_POLL_MS = 1_000;

/** The guide's schema, in the form `createTable: false` users should create (shown in the error). */
export function tableSchemaText(tableName: string): string {
  return [
    `TableName: ${tableName}`,
    "KeySchema: [{ AttributeName: shard_id, KeyType: HASH }]",
    "AttributeDefinitions: [{ AttributeName: shard_id, AttributeType: S }]",
    "BillingMode: PAY_PER_REQUEST",
    "TimeToLiveSpecification: { Enabled: true, AttributeName: ttl }",
    `recommended: ${GROUP_INDEX_TEXT}`,
  ].join("; ");
}

function hasCode(error: unknown, ...codes: string[]): error is AwsServiceError {
  return error instanceof AwsServiceError && codes.includes(error.awsCode);
}

/**
 * Make sure the table exists and is ACTIVE. With `create`, create it exactly as the guide says (hash
 * key `shard_id` S, PAY_PER_REQUEST, plus the group index unless `creation.groupIndex` is false) and
 * enable TTL on `ttl`; several workers may do this at once,
 * and whoever loses the CreateTable race just waits for the winner's table. Only the worker whose
 * CreateTable succeeded applies `creation` (tags, point-in-time recovery): an existing table is left as it is.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  create: boolean,
  signal?: AbortSignal,
  creation: TableCreation = {},
): Promise<void> {
  let table: TableDescription;
  const progress = creation.progress ?? { created: false };
  try {
    table = await client.describeTable(tableName, { signal });
  } catch (error) {
    if (!hasCode(error, "ResourceNotFoundException")) throw error;
    if (!create) {
      throw new CheckpointTableMissingError(
        tableName,
        `checkpoint table "${tableName}" does not exist and createTable is false: create it (${tableSchemaText(tableName)}) or pass createTable: true`,
        { cause: error },
      );
    }
    if (await createTable(client, tableName, creation, signal)) progress.created = true;
    table = await client.describeTable(tableName, { signal });
  }
  if (table.TableStatus !== "ACTIVE") table = await client.waitForTableActive(tableName, { signal });
  checkKeySchema(table, tableName);
  if (create) await enableTimeToLive(client, tableName, signal);
  if (progress.created && creation.pointInTimeRecovery === true) await enablePointInTimeRecovery(client, tableName, signal);
}

/** True when this call created the table; false when another worker's CreateTable won the race. */
async function createTable(client: DynamoDBClient, tableName: string, creation: TableCreation, signal?: AbortSignal): Promise<boolean> {
  const tags = tagList(creation.tags ?? {});
  const index = creation.groupIndex === false ? undefined : groupIndexCreation;
  try {
    await client.createTable(
      {
        TableName: tableName,
        KeySchema: [{ AttributeName: ATTR.key, KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: ATTR.key, AttributeType: "S" }, ...(index?.AttributeDefinitions ?? [])],
        ...(index === undefined ? {} : { GlobalSecondaryIndexes: index.GlobalSecondaryIndexes }),
        BillingMode: "PAY_PER_REQUEST",
        ...(tags.length > 0 ? { Tags: tags } : {}),
      },
      { signal },
    );
    return true;
  } catch (error) {
    // Another worker is creating (or just created) it: fine, wait for it to become ACTIVE.
    if (!hasCode(error, "ResourceInUseException")) throw error;
    return false;
  }
}

/**
 * Point-in-time recovery on a table just created. AWS sets a new table's backups up in the
 * background and answers `ContinuousBackupsUnavailableException` until then: ask again each second,
 * for up to two minutes. An emulator without the operation (UnknownOperationException) is tolerated, as for TTL.
 */
async function enablePointInTimeRecovery(client: DynamoDBClient, tableName: string, signal?: AbortSignal): Promise<void> {
  const clock = client.http.clock;
  const deadline = clock.now() + BACKUPS_WAIT_MS;
  for (;;) {
    try {
      await client.updateContinuousBackups(tableName, true, { signal });
      return;
    } catch (error) {
      if (hasCode(error, "UnknownOperationException")) return;
      if (!hasCode(error, "ContinuousBackupsUnavailableException")) throw error;
      if (clock.now() >= deadline) {
        throw new TimeoutError(`point-in-time recovery on table ${tableName}: backups still unavailable after ${BACKUPS_WAIT_MS / 1000} s`, BACKUPS_WAIT_MS);
      }
      await clock.sleep(BACKUPS_POLL_MS, signal);
    }
  }
}

/** A table with another key cannot hold our rows; say so instead of failing on every write. */
function checkKeySchema(table: TableDescription, tableName: string): void {
  const hash = table.KeySchema?.find((k) => k.KeyType === "HASH");
  const range = table.KeySchema?.find((k) => k.KeyType === "RANGE");
  const hashType = table.AttributeDefinitions?.find((a) => a.AttributeName === hash?.AttributeName)?.AttributeType;
  if (hash === undefined) return;
  if (hash.AttributeName !== ATTR.key || range !== undefined || (hashType !== undefined && hashType !== "S")) {
    throw new ConfigError("tableName", `table "${tableName}" does not have the checkpoint schema (${tableSchemaText(tableName)})`);
  }
}

/**
 * Enable TTL on `ttl` unless it already is. Only an emulator that does not implement UpdateTimeToLive
 * at all (dynalite answers UnknownOperationException) is tolerated; a ValidationException is accepted
 * only when the table then reports TTL on `ttl` (another worker enabled it first).
 */
export async function enableTimeToLive(client: DynamoDBClient, tableName: string, signal?: AbortSignal): Promise<void> {
  const onTtl = async (): Promise<boolean> => {
    const ttl = await client.describeTimeToLive(tableName, { signal });
    return (ttl.status === "ENABLED" || ttl.status === "ENABLING") && ttl.attributeName === ATTR.ttl;
  };
  try {
    if (await onTtl()) return;
  } catch (error) {
    if (hasCode(error, "UnknownOperationException")) return;
    throw error;
  }
  try {
    await client.updateTimeToLive(tableName, ATTR.ttl, true, { signal });
  } catch (error) {
    if (hasCode(error, "UnknownOperationException")) return;
    if (hasCode(error, "ValidationException") && (await onTtl())) return;
    throw error;
  }
}
