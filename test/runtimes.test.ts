import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { unmarshallItem } from "../src/dynamodb/marshal.ts";
import { localDynamo, localKinesis, testCredentials } from "./support/clients.ts";
import { SMOKE_PARTITION_KEY, smokeData, type SmokeInput, type SmokeResult } from "./runtimes/smoke.ts";

/**
 * The same src/ must run on Deno, Bun and workerd. Each test runs test/runtimes/smoke.ts in one
 * runtime against the shared kinesalite and dynalite, then checks from Node that the runtime's writes
 * really reached the servers.
 *
 * Runtime quirks met here:
 * - Deno: `jsr:` does not resolve on these machines and `npm:` would go to the registry unless
 *   deno.json's `nodeModulesDir: "manual"` applies. To keep this smoke independent of deno.json (which
 *   test/exports.test.ts checks with `deno check`), Deno runs with `--no-config` and a generated import
 *   map that points `aws4fetch` and `valibot` at the ESM files already in node_modules.
 *   DENO_NO_UPDATE_CHECK keeps it from phoning home for a newer version; it refuses fetches to port 1.
 * - Bun: resolves bare specifiers from node_modules like Node and runs .ts directly; nothing special.
 * - workerd: has no process environment, so credentials travel in the request body, and it forbids
 *   I/O at import time, so the worker does everything inside `fetch`. The bundle uses the `workerd` and
 *   `worker` export conditions (aws4fetch has a `worker` build). Miniflare lets a worker fetch
 *   127.0.0.1 by default; bare workerd would need a network service allowing "local". A refused
 *   connection there is a plain `Error: Network connection lost.`, not a TypeError as elsewhere.
 */

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const SPAWN_TIMEOUT_MS = 45_000;
/** Set through the environment for Deno and Bun, so the library's env lookup runs there too. */
const ENV_REGION = "eu-central-1";

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, timeout: SPAWN_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** The last stdout line as the smoke result; any failure carries the runtime's stderr. */
function parseOutcome(runtime: string, outcome: Outcome): SmokeResult {
  if (outcome.code !== 0) {
    throw new Error(
      `${runtime} exited with ${outcome.code ?? outcome.signal}\n--- stderr ---\n${outcome.stderr}\n--- stdout ---\n${outcome.stdout}`,
    );
  }
  const last = outcome.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as SmokeResult;
  } catch {
    throw new Error(`${runtime} printed no JSON result\n--- stdout ---\n${outcome.stdout}\n--- stderr ---\n${outcome.stderr}`);
  }
}

/** Our environment minus anything AWS, plus the fake credentials: a developer's real keys never leak in. */
function runtimeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("AWS_")) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_REGION: ENV_REGION,
    ...extra,
  };
}

/** The file a package's `exports["."]` gives to `import`, as Node would pick it. */
async function esmEntry(name: string): Promise<string> {
  const dir = join(ROOT, "node_modules", name);
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    exports?: { ".": { import?: string | { default?: string } } };
    module?: string;
  };
  const target = manifest.exports?.["."].import;
  const file = typeof target === "string" ? target : (target?.default ?? manifest.module);
  if (file === undefined) throw new Error(`${name} has no ESM entry`);
  return pathToFileURL(join(dir, file)).href;
}

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
    const importMap = join(scratch, "import-map.json");
    await writeFile(importMap, JSON.stringify({ imports: { aws4fetch: await esmEntry("aws4fetch"), valibot: await esmEntry("valibot") } }));
    const outcome = await run(
      join(BIN, "deno"),
      [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        `--import-map=${importMap}`,
        "--allow-net=127.0.0.1",
        "--allow-env",
        "test/runtimes/deno.ts",
        inject("kinesisEndpoint"),
        inject("dynamodbEndpoint"),
      ],
      runtimeEnv({ DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
    );
    await expectSmoke(parseOutcome("deno", outcome), /^Deno\//, ENV_REGION);
  });

  it("Bun runs a Kinesis and a DynamoDB round trip, credentials and region from its environment", async () => {
    const outcome = await run(
      join(BIN, "bun"),
      ["run", "test/runtimes/bun.ts", inject("kinesisEndpoint"), inject("dynamodbEndpoint")],
      runtimeEnv({ DO_NOT_TRACK: "1", NO_COLOR: "1" }),
    );
    await expectSmoke(parseOutcome("bun", outcome), /^Bun\//, ENV_REGION);
  });

  it("workerd (Miniflare) runs a Kinesis and a DynamoDB round trip with explicit credentials, and says it has no environment without them", async () => {
    const bundle = await build({
      entryPoints: [join(ROOT, "test/runtimes/worker.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["workerd", "worker"],
      write: false,
      logLevel: "silent",
    });
    const script = bundle.outputFiles[0]!.text;
    const mf = new Miniflare({ modules: true, script, compatibilityDate: "2025-09-01" });
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
