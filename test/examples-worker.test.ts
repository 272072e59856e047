/**
 * examples/cloudflare-worker in workerd (Miniflare), without nodejs_compat, against the local
 * kinesalite and dynalite: scheduled() is fired again and again while a producer writes. Every
 * outbound request of the Worker goes through an outbound service here, which forwards AWS calls to
 * the local servers and counts them per run; the example's handle() is swapped for one that posts
 * each record to a sink the test reads. One run is killed mid-step (its instance disposed while it
 * holds the leases); a later run takes them over after sessionTimeout and nothing is lost.
 */
import { resolve } from "node:path";
import { build } from "esbuild";
import { fetch as mfFetch, Miniflare, type Request as MfRequest, Response as MfResponse } from "miniflare";
import { afterAll, expect, inject, it } from "vitest";
import { createStream, localKinesis, testCredentials, uniqueName } from "./support/clients.ts";

const ROOT = resolve(import.meta.dirname, "..");
const STEP = { records: 60, seconds: 6, requests: 40 };

/** The example as `wrangler deploy` would bundle it (no nodejs_compat), with handle() posting to the sink. */
async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [resolve(ROOT, "examples/cloudflare-worker/worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "import"],
    target: "es2022",
    write: false,
    logLevel: "silent",
    alias: { "async-kinesis": resolve(ROOT, "src/index.ts") },
    plugins: [
      {
        name: "test-handle",
        setup(b) {
          b.onResolve({ filter: /^\.\/handle\.ts$/ }, () => ({ path: "test-handle", namespace: "test" }));
          b.onLoad({ filter: /.*/, namespace: "test" }, () => ({
            loader: "ts",
            contents: `export async function handle(record) {
              const response = await fetch("http://sink.test/", { method: "POST", body: JSON.stringify({ sequenceNumber: record.sequenceNumber, data: record.data }) });
              await response.text();
            }`,
          }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

interface RunCount {
  aws: number;
  delivered: number;
}

const instances: Miniflare[] = [];
afterAll(async () => {
  await Promise.allSettled(instances.map((mf) => mf.dispose()));
});

it("the cron Worker consumes one bounded step per scheduled() run in workerd: each record once, every run within its bounds, a killed run recovered", async () => {
  const kinesis = localKinesis();
  const stream = await createStream(kinesis, 2, "cron-worker");
  const script = await bundleWorker();
  const delivered: string[] = [];
  let current: RunCount = { aws: 0, delivered: 0 };
  let holdGetRecords = false;
  let sawHeldGetRecords = false;
  const released: Array<() => void> = [];

  const outbound = async (request: MfRequest): Promise<MfResponse> => {
    const url = new URL(request.url);
    if (url.hostname === "sink.test") {
      const body = JSON.parse(await request.text()) as { sequenceNumber: string };
      delivered.push(body.sequenceNumber);
      current.delivered++;
      return new MfResponse("ok");
    }
    current.aws++;
    const target = request.headers.get("x-amz-target") ?? "";
    if (holdGetRecords && target.endsWith(".GetRecords")) {
      sawHeldGetRecords = true;
      // The killed run: its read never answers; its instance is disposed while it waits.
      await new Promise<void>((resolveHold) => released.push(resolveHold));
      return new MfResponse("", { status: 503 });
    }
    return mfFetch(request.url, { method: request.method, headers: request.headers, body: await request.arrayBuffer() });
  };

  const start = (): Miniflare => {
    const mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: "2025-09-01",
      outboundService: outbound,
      bindings: {
        STREAM_NAME: stream,
        CHECKPOINT_GROUP: group,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
        STEP_RECORDS: String(STEP.records),
        STEP_SECONDS: String(STEP.seconds),
        STEP_REQUESTS: String(STEP.requests),
        SESSION_TIMEOUT: "2",
        KINESIS_ENDPOINT: inject("kinesisEndpoint"),
        DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
      },
    });
    instances.push(mf);
    return mf;
  };

  const produced: string[] = [];
  let next = 0;
  const produce = async (count: number): Promise<void> => {
    const entries = Array.from({ length: count }, () => ({ data: new TextEncoder().encode(JSON.stringify({ n: next })), partitionKey: `k${next++}` }));
    const result = await kinesis.putRecords(stream, entries);
    for (const record of result.records) if (record.sequenceNumber !== undefined) produced.push(record.sequenceNumber);
  };

  const runs: RunCount[] = [];
  const fire = async (mf: Miniflare): Promise<void> => {
    current = { aws: 0, delivered: 0 };
    runs.push(current);
    // Miniflare's Fetcher type comes from workers-types, not installed here: only scheduled() is used.
    const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
    await worker.scheduled({ cron: "* * * * *" });
  };

  const group = uniqueName("cron").slice(0, 40);
  let mf = start();
  // A producer writing between runs (and during them: each put lands while a run may be reading).
  await produce(90);
  const producing = produce(40);
  await fire(mf);
  await producing;
  await fire(mf);

  // The killed run: it takes the leases, then its reads hang; dispose the instance mid-step.
  await produce(30);
  holdGetRecords = true;
  const killed = fire(mf).catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (!sawHeldGetRecords && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(sawHeldGetRecords).toBe(true);
  await mf.dispose();
  await killed;
  for (const release of released.splice(0)) release();
  holdGetRecords = false;

  // Later runs, in a fresh instance: the dead run's leases expire after sessionTimeout and are taken over.
  mf = start();
  await produce(20);
  for (let i = 0; i < 12 && new Set(delivered).size < produced.length; i++) await fire(mf);

  expect(new Set(delivered).size).toBe(produced.length);
  expect([...delivered].sort()).toEqual([...produced].sort());
  for (const run of runs) {
    expect(run.aws).toBeLessThanOrEqual(STEP.requests);
    expect(run.delivered).toBeLessThanOrEqual(STEP.records);
  }
});
