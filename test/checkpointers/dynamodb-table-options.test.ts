/**
 * `tags` and `pointInTimeRecovery`: what a DynamoDBCheckPointer sends when it creates its table, and
 * that it sends nothing of the kind for a table that exists. The requests go to dynalite through a
 * recording fetch, which also answers UpdateContinuousBackups itself (no local server implements it,
 * and dynalite ignores CreateTable's Tags: the request is what is checked).
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import { ConfigError } from "../../src/errors.ts";
import { type Clock, systemClock } from "../../src/internal/clock.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";

interface Sent {
  operation: string;
  body: Record<string, unknown>;
}

const awsError = (code: string, message: string): Response =>
  new Response(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }), {
    status: 400,
    headers: { "content-type": "application/x-amz-json-1.0" },
  });

/** Records every request; `answer` may answer one itself (undefined: forward to dynalite). */
function recordingFetch(answer: (sent: Sent, index: number) => Response | undefined = () => undefined): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const tapped: typeof fetch = async (input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target") ?? "";
    const request: Sent = { operation: target.slice(target.lastIndexOf(".") + 1), body: JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown> };
    sent.push(request);
    const own = answer(request, sent.filter((s) => s.operation === request.operation).length - 1);
    if (own !== undefined) return own;
    if (request.operation === "UpdateContinuousBackups") {
      return new Response(
        JSON.stringify({
          ContinuousBackupsDescription: { ContinuousBackupsStatus: "ENABLED", PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "ENABLED" } },
        }),
        {
          status: 200,
          headers: { "content-type": "application/x-amz-json-1.0" },
        },
      );
    }
    return globalThis.fetch(input, init);
  };
  return { fetch: tapped, sent };
}

const opened: DynamoDBCheckPointer[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((c) => c.close()));
});

function checkpointer(options: Partial<DynamoDBCheckPointerOptions> & { tableName: string }): DynamoDBCheckPointer {
  const created = new DynamoDBCheckPointer({
    name: "tags",
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    ...options,
  });
  opened.push(created);
  return created;
}

/** The system clock with short sleeps: the wait for a new table's backups passes quickly. */
const quickClock: Clock = { now: () => Date.now(), sleep: (_ms, signal) => systemClock.sleep(5, signal), monotonic: () => performance.now() };

describe("DynamoDBCheckPointer table options", () => {
  it("creates its table with the tags, then turns point-in-time recovery on once the table is ACTIVE", async () => {
    const tableName = uniqueName("kinesis-checkpoints-prod-billing");
    const tap = recordingFetch();
    const store = checkpointer({ tableName, fetch: tap.fetch, tags: { app: "billing", env: "prod", "cost center": "42/a" }, pointInTimeRecovery: true });
    await store.start({ streamName: "events" });

    const create = tap.sent.find((s) => s.operation === "CreateTable");
    expect(create?.body["Tags"]).toEqual([
      { Key: "app", Value: "billing" },
      { Key: "env", Value: "prod" },
      { Key: "cost center", Value: "42/a" },
    ]);
    const pitr = tap.sent.findIndex((s) => s.operation === "UpdateContinuousBackups");
    expect(tap.sent[pitr]?.body).toEqual({ TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    expect(tap.sent.filter((s) => s.operation === "UpdateContinuousBackups")).toHaveLength(1);
    // After CreateTable, a DescribeTable (dynalite's table is ACTIVE at once) comes before the backups request.
    const created = tap.sent.findIndex((s) => s.operation === "CreateTable");
    expect(tap.sent.slice(created, pitr).map((s) => s.operation)).toContain("DescribeTable");
  });

  it("sends no Tags and no UpdateContinuousBackups without the options", async () => {
    const tap = recordingFetch();
    const store = checkpointer({ tableName: uniqueName("plain"), fetch: tap.fetch });
    await store.start({ streamName: "events" });
    expect(tap.sent.find((s) => s.operation === "CreateTable")?.body).not.toHaveProperty("Tags");
    expect(tap.sent.map((s) => s.operation)).not.toContain("UpdateContinuousBackups");
  });

  it("asks again while AWS answers ContinuousBackupsUnavailableException for a table it has just created", async () => {
    const tap = recordingFetch((sent, index) =>
      sent.operation === "UpdateContinuousBackups" && index < 2
        ? awsError("ContinuousBackupsUnavailableException", "Backups are being enabled for the table")
        : undefined
    );
    const store = checkpointer({ tableName: uniqueName("pitr-wait"), fetch: tap.fetch, clock: quickClock, pointInTimeRecovery: true });
    await store.start({ streamName: "events" });
    expect(tap.sent.filter((s) => s.operation === "UpdateContinuousBackups")).toHaveLength(3);
  });

  it("turns point-in-time recovery on at the next start() when the request failed after this checkpointer created the table", async () => {
    const tap = recordingFetch((sent, index) =>
      sent.operation === "UpdateContinuousBackups" && index === 0
        ? awsError("AccessDeniedException", "not authorized to perform dynamodb:UpdateContinuousBackups")
        : undefined
    );
    const store = checkpointer({ tableName: uniqueName("pitr-retry"), fetch: tap.fetch, pointInTimeRecovery: true });
    await expect(store.start({ streamName: "events" })).rejects.toMatchObject({ awsCode: "AccessDeniedException" });
    await store.start({ streamName: "events" });
    expect(tap.sent.filter((s) => s.operation === "CreateTable")).toHaveLength(1);
    expect(tap.sent.filter((s) => s.operation === "UpdateContinuousBackups")).toHaveLength(2);
  });

  it("leaves an existing table as it is: no CreateTable, no tags, no point-in-time recovery", async () => {
    const tableName = uniqueName("existing");
    await checkpointer({ tableName }).start({ streamName: "events" });

    const tap = recordingFetch();
    const store = checkpointer({ tableName, fetch: tap.fetch, tags: { env: "prod" }, pointInTimeRecovery: true });
    await store.start({ streamName: "events" });
    const operations = tap.sent.map((s) => s.operation);
    expect(operations).toContain("DescribeTable");
    for (const operation of ["CreateTable", "UpdateContinuousBackups", "TagResource"]) expect(operations).not.toContain(operation);
  });

  it("leaves the table to the worker that won the CreateTable race: the loser applies neither tags nor point-in-time recovery", async () => {
    const tableName = uniqueName("race");
    await checkpointer({ tableName }).start({ streamName: "events" });
    // This worker looked before the winner's table existed; its CreateTable then finds the table (ResourceInUseException).
    const tap = recordingFetch((
      sent,
      index,
    ) => (sent.operation === "DescribeTable" && index === 0 ? awsError("ResourceNotFoundException", "Requested resource not found") : undefined));
    const store = checkpointer({ tableName, fetch: tap.fetch, tags: { env: "prod" }, pointInTimeRecovery: true });
    await store.start({ streamName: "events" });
    const operations = tap.sent.map((s) => s.operation);
    expect(operations).toContain("CreateTable");
    expect(operations).not.toContain("UpdateContinuousBackups");
  });

  it("refuses tags AWS would refuse, naming the tag, and accepts the limits exactly", () => {
    const refused = (options: Partial<DynamoDBCheckPointerOptions>, option: string, message: RegExp): void => {
      let caught: unknown;
      try {
        new DynamoDBCheckPointer({ name: "tags", ...options });
      } catch (error) {
        caught = error;
      }
      expect(caught, option).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).option).toBe(option);
      expect((caught as ConfigError).message).toMatch(message);
    };
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
    refused({ tags: many }, "tags", /at most 50/);
    refused({ tags: { ["k".repeat(129)]: "v" } }, `tags.${"k".repeat(129)}`, /1-128/);
    refused({ tags: { "": "v" } }, "tags.", /1-128/);
    refused({ tags: { env: "v".repeat(257) } }, "tags.env", /at most 256/);
    refused({ tags: { "aws:env": "prod" } }, "tags.aws:env", /reserved/);
    refused({ tags: { "AWS:env": "prod" } }, "tags.AWS:env", /reserved/);
    refused({ tags: { "env#1": "prod" } }, "tags.env#1", /letters, digits/);
    refused({ tags: { env: "prod;drop" } }, "tags.env", /letters, digits/);
    refused({ tags: { env: 1 } as never }, "tags.env", /strings/);
    refused({ tags: "env=prod" as never }, "tags", /object/);
    refused({ pointInTimeRecovery: "yes" as never }, "pointInTimeRecovery", /boolean/);

    const limits = {
      ["é".repeat(128)]: "ü".repeat(256),
      "team/a+b=c.d_e:f@g": "",
      ...Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, "v"])),
    };
    expect(() => new DynamoDBCheckPointer({ name: "tags", tags: limits, pointInTimeRecovery: false })).not.toThrow();
  });
});
