import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { unmarshallItem } from "../src/dynamodb/marshal.ts";
import { localDynamo, localKinesis, testCredentials } from "./support/clients.ts";
import { ENV_REGION, parseOutcome, runOnBun, runOnDeno, startWorker } from "./support/runtimes.ts";
import { SMOKE_PARTITION_KEY, smokeData, type SmokeInput, type SmokeResult } from "./runtimes/smoke.ts";

/**
 * The same src/ must run on Deno, Bun and workerd. Each test runs test/runtimes/smoke.ts in one
 * runtime against the shared kinesalite and dynalite, then checks from Node that the runtime's writes
 * really reached the servers. How each runtime is launched, and its quirks: test/support/runtimes.ts.
 */

const expectedData = Buffer.from(smokeData()).toString("base64");

/** What every runtime must report, and what Node must then find on the servers. */
async function expectSmoke(result: SmokeResult, userAgent: RegExp, region: string): Promise<void> {
  expect(result.userAgent).toMatch(userAgent);
  expect(result.region).toBe(region);
  expect(result.kinesis.record).toMatchObject({
    partitionKey: SMOKE_PARTITION_KEY,
    sequenceNumber: result.kinesis.putSequenceNumber,
    dataBase64: expectedData,
  });
  expect(result.kinesis.record.arrivedAt).toBeGreaterThan(Date.now() - 10 * 60_000);
  expect(result.dynamodb.item).toEqual({
    pk: expect.stringMatching(/^row-/),
    text: "grüße 😀",
    big: "bigint:123456789012345678901234567890",
    bytes: `base64:${expectedData}`,
    ok: true,
  });

  // Seen from Node: the record and the item are really on the shared servers.
  const kinesis = localKinesis();
  const iterator = await kinesis.getShardIterator(result.kinesis.streamName, result.kinesis.shardId, "TRIM_HORIZON");
  const page = await kinesis.getRecords(iterator);
  expect(page.records.map((r) => [r.sequenceNumber, r.partitionKey, Buffer.from(r.data).toString("base64")])).toEqual([
    [result.kinesis.putSequenceNumber, SMOKE_PARTITION_KEY, expectedData],
  ]);
  const item = await localDynamo().getItem(result.dynamodb.tableName, { pk: { S: result.dynamodb.item["pk"] as string } });
  expect(unmarshallItem(item!)["big"]).toBe(123456789012345678901234567890n);
}

describe("the same src/ on other runtimes", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "async-kinesis-runtimes-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("Deno runs a Kinesis and a DynamoDB round trip, credentials and region from its environment", async () => {
    const outcome = await runOnDeno(scratch, [inject("kinesisEndpoint"), inject("dynamodbEndpoint")]);
    await expectSmoke(parseOutcome<SmokeResult>("deno", outcome), /^Deno\//, ENV_REGION);
  });

  it("Bun runs a Kinesis and a DynamoDB round trip, credentials and region from its environment", async () => {
    const outcome = await runOnBun([inject("kinesisEndpoint"), inject("dynamodbEndpoint")]);
    await expectSmoke(parseOutcome<SmokeResult>("bun", outcome), /^Bun\//, ENV_REGION);
  });

  it("workerd (Miniflare) runs a Kinesis and a DynamoDB round trip with explicit credentials, and says it has no environment without them", async () => {
    const mf = await startWorker();
    try {
      const input: SmokeInput = {
        kinesisEndpoint: inject("kinesisEndpoint"),
        dynamodbEndpoint: inject("dynamodbEndpoint"),
        credentials: testCredentials,
        region: "ap-northeast-1",
      };
      const response = await mf.dispatchFetch("http://smoke.local/", { method: "POST", body: JSON.stringify(input) });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`workerd answered ${response.status}\n--- worker error ---\n${text}`);
      await expectSmoke(JSON.parse(text) as SmokeResult, /^Cloudflare-Workers$/, "ap-northeast-1");

      const { credentials: _omitted, ...withoutCredentials } = input;
      const refused = await mf.dispatchFetch("http://smoke.local/", { method: "POST", body: JSON.stringify(withoutCredentials) });
      expect(refused.status).toBe(500);
      const refusal = await refused.text();
      expect(refusal).toContain("CredentialsError");
      expect(refusal).toContain("no process environment");
    } finally {
      await mf.dispose();
    }
  });
});
