import { beforeAll } from "vitest";
import { DynamoDBLeaseBackend } from "../../../src/checkpointers/dynamodb/lease-backend.ts";
import { DynamoDBCheckPointer } from "../../../src/checkpointers/dynamodb/store.ts";
import { DynamoDBClient } from "../../../src/dynamodb/client.ts";
import { unmarshallItem } from "../../../src/dynamodb/marshal.ts";
import { systemClock } from "../../../src/internal/clock.ts";
import { testCredentials, uniqueName } from "../clients.ts";
import { CallGate } from "./call-gate.ts";
import type { LeaseDriver, RawRow, StoreTap } from "./driver.ts";

const WRITE_OPERATIONS = new Set(["PutItem", "UpdateItem", "DeleteItem"]);

function operationOf(init: RequestInit | undefined): string {
  const target = new Headers(init?.headers).get("x-amz-target") ?? "";
  return target.slice(target.lastIndexOf(".") + 1);
}

/** The string and number values a request carries (a checkpoint's sequence among them). */
function valuesOf(body: unknown): string[] {
  if (typeof body !== "string") return [];
  const values = (JSON.parse(body) as { ExpressionAttributeValues?: Record<string, { S?: string; N?: string }> }).ExpressionAttributeValues ?? {};
  return Object.values(values).flatMap((v) => [v.S, v.N].filter((x): x is string => x !== undefined));
}

/**
 * A store tap for DynamoDB: a `fetch` in front of the real one. A held request is dropped when its
 * caller aborts it, as fetch does; a failed write is an HTTP 500 (the checkpointer makes one attempt
 * per call when tapped, so each session write is one request).
 */
export class DynamoTap extends CallGate implements StoreTap {
  readonly fetch: typeof fetch;

  constructor() {
    super();
    this.fetch = async (input, init) => {
      const late = await this.pass(init?.signal ?? undefined);
      if (WRITE_OPERATIONS.has(operationOf(init))) {
        if (this.write()) return new Response(JSON.stringify({ __type: "InternalServerError", message: "injected by the test" }), { status: 500 });
        if (late) this.arrivedLate(valuesOf(init?.body));
      }
      return globalThis.fetch(input, init);
    };
  }
}

/**
 * DynamoDB's driver on the server at `endpoint()` (dynalite, DynamoDB Local): one table for the
 * file, created before the tests so backends made without a checkpointer find it.
 */
export function dynamoLeaseDriver(endpoint: () => string): LeaseDriver<DynamoTap> {
  const table = uniqueName("lease-suite");
  let client: DynamoDBClient | undefined;
  const dynamo = (): DynamoDBClient => (client ??= new DynamoDBClient({ endpoint: endpoint(), region: "us-east-1", credentials: testCredentials }));
  const key = (group: string, stream: string, shardId: string): string => `${group}#${stream}#${shardId}`;

  beforeAll(async () => {
    const creator = new DynamoDBCheckPointer({ name: "creator", tableName: table, endpoint: endpoint(), region: "us-east-1", credentials: testCredentials });
    await creator.start({ streamName: "s" });
    await creator.close();
  });

  return {
    abandonsHeldCalls: true,
    store: (group, options = {}) =>
      new DynamoDBCheckPointer({
        name: group,
        tableName: table,
        endpoint: endpoint(),
        region: "us-east-1",
        credentials: testCredentials,
        sessionTimeout: options.sessionTimeout ?? 1.5,
        heartbeatFrequency: options.heartbeatFrequency ?? 0.3,
        checkpointInterval: options.checkpointInterval ?? 0.1,
        autoCheckpoint: options.autoCheckpoint ?? true,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.random === undefined ? {} : { random: options.random }),
        ...(options.tap === undefined ? {} : { fetch: options.tap.fetch, maxAttempts: 1 }),
        ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
      }),
    tap: () => new DynamoTap(),
    async rawRow(group, stream, shardId): Promise<RawRow | undefined> {
      const item = await dynamo().getItem(table, { shard_id: { S: key(group, stream, shardId) } }, { consistentRead: true });
      if (item === undefined) return undefined;
      const row = unmarshallItem(item);
      const text = (name: string): string | undefined => (typeof row[name] === "string" ? row[name] : undefined);
      return { owner: text("ref"), sequence: text("sequence"), finished: row["finished"] === true, counter: Number(row["lease_counter"]) };
    },
    async takeOver(group, stream, shardId, owner) {
      await dynamo().updateItem({
        TableName: table,
        Key: { shard_id: { S: key(group, stream, shardId) } },
        UpdateExpression: "SET #ref = :other, #c = #c + :one",
        ExpressionAttributeNames: { "#ref": "ref", "#c": "lease_counter" },
        ExpressionAttributeValues: { ":other": { S: owner }, ":one": { N: "1" } },
      });
    },
    backend: (group, stream) =>
      new DynamoDBLeaseBackend({
        client: dynamo(),
        options: { tableName: table, name: group, ttlSeconds: 3600, clock: systemClock },
        stream,
        retentionHours: 24,
        incarnation: undefined,
      }),
  };
}
