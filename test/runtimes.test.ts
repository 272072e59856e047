import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { unmarshallItem } from "../src/dynamodb/marshal.ts";
import { localDynamo, localKinesis, testCredentials } from "./support/clients.ts";
import { bundleForNode, ENV_REGION, nodeBinaries, nodeUserAgent, parseOutcome, runOnBun, runOnDeno, runOnNode, startWorker } from "./support/runtimes.ts";
import { SMOKE_PARTITION_KEY, smokeData, type SmokeInput, type SmokeResult } from "./runtimes/smoke.ts";

/**
 * The same src/ must run on Node 20, 22 and 24, Deno, Bun and workerd. Each test runs test/runtimes/smoke.ts in one
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
  let nodeBundle: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "async-kinesis-runtimes-"));
    nodeBundle = await bundleForNode(scratch);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const node of nodeBinaries()) {
    it(`Node ${node.major} runs a Kinesis and a DynamoDB round trip, credentials and region from its environment`, async () => {
      const outcome = await runOnNode(node, nodeBundle, [inject("kinesisEndpoint"), inject("dynamodbEndpoint")]);
      await expectSmoke(parseOutcome<SmokeResult>(`node ${node.major}`, outcome), nodeUserAgent(node.major), ENV_REGION);
    });
  }

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

describe("the Node 22 and 24 devDependencies", () => {
  const root = resolve(import.meta.dirname, "..");

  // Their package declares a `node` bin: npm links node_modules/.bin/node to one of them, and npm
  // scripts and npx (node_modules/.bin first on PATH) would silently run the whole suite on it.
  it("prepare's scripts/drop-node-bin-link.mjs removes the .bin/node link into them and nothing else", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "async-kinesis-bin-link-"));
    try {
      const bin = join(scratch, "node_modules", ".bin");
      await mkdir(bin, { recursive: true });
      await symlink("../node22/bin/node", join(bin, "node"));
      await symlink("../vitest/vitest.mjs", join(bin, "vitest"));
      execFileSync(process.execPath, [join(root, "scripts", "drop-node-bin-link.mjs"), scratch], { stdio: "pipe" });
      expect(await isLink(join(bin, "node"))).toBe(false);
      expect(await isLink(join(bin, "vitest"))).toBe(true);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("leave no node_modules/.bin/node in this checkout (after `npm install <pkg>`, run `npm ci` or the script)", async () => {
    expect(await isLink(join(root, "node_modules", ".bin", "node"))).toBe(false);
    expect(existsSync(join(root, "node_modules", "node22", "bin", "node"))).toBe(true);
    expect(existsSync(join(root, "node_modules", "node24", "bin", "node"))).toBe(true);
  });
});

function isLink(path: string): Promise<boolean> {
  return lstat(path).then(
    (stats) => stats.isSymbolicLink(),
    () => false,
  );
}
