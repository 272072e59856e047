import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";

/**
 * examples/durable-object/ as it is, bundled with the library's source and run in workerd
 * (Miniflare, no nodejs_compat) against the local kinesalite: its alarm consumes one bounded step at
 * a time with leases and checkpoints in the object's own storage. Records produced before and while
 * it runs must each be handed to `handle` exactly once across many alarms.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLE = join(ROOT, "examples/durable-object");

interface Delivery {
  shardId: string;
  sequenceNumber: string;
  data: unknown;
}

let collector: Server;
let collectorUrl: string;
const deliveries: Delivery[] = [];

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      deliveries.push(JSON.parse(body) as Delivery);
      response.end("ok");
    });
  });
  await new Promise<void>((done) => collector.listen(0, "127.0.0.1", done));
  const address = collector.address();
  collectorUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`;
});

afterAll(async () => {
  await new Promise((done) => collector?.close(done));
});

/** The example's worker.ts with `async-kinesis` resolved to src/ and its handle.ts replaced by the collector's. */
async function bundleExample(): Promise<string> {
  const result = await build({
    entryPoints: [join(EXAMPLE, "worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker"],
    mainFields: ["module", "main"],
    alias: { "async-kinesis": join(ROOT, "src/index.ts") },
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "collecting-handle",
        setup(b) {
          b.onResolve(
            { filter: /^\.\/handle\.ts$/ },
            (args) => (args.importer.startsWith(EXAMPLE) ? { path: join(import.meta.dirname, "durable-object-handle.ts") } : undefined),
          );
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("the Durable Object example delivers every record once across many alarms, each a bounded step", async () => {
  const kinesis = localKinesis();
  const stream = await createStream(kinesis, 2, "do-example");
  const put = async (from: number, to: number): Promise<void> => {
    const entries = Array.from(
      { length: to - from },
      (_, i) => ({ data: new TextEncoder().encode(JSON.stringify({ n: from + i })), partitionKey: `pk-${from + i}` }),
    );
    const result = await kinesis.putRecords(stream, entries);
    expect(result.failedRecordCount).toBe(0);
  };
  await put(0, 25);

  const mf = new Miniflare({
    modules: true,
    script: await bundleExample(),
    compatibilityDate: "2025-09-01",
    durableObjects: { CONSUMER: { className: "KinesisConsumer", useSQLite: true } },
    bindings: {
      STREAM_NAME: stream,
      CHECKPOINT_GROUP: "do-example",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
      KINESIS_ENDPOINT: inject("kinesisEndpoint"),
      STEP_RECORDS: "7",
      STEP_INTERVAL: "0.05",
      COLLECTOR_URL: collectorUrl,
    },
  });
  try {
    const status = async (): Promise<{ steps: number; checkpoints: Array<{ shardId: string; owner?: string; sequence?: string }> }> =>
      (await (await mf.dispatchFetch("http://do.example/status")).json()) as never;
    expect(await (await mf.dispatchFetch("http://do.example/start", { method: "POST" })).text()).toBe("started\n");
    await until("first step", async () => ((await status()).steps >= 1 ? true : undefined), 30_000);
    await put(25, 40); // while the alarms run

    await until("all 40 records delivered", async () => (new Set(deliveries.map((d) => d.sequenceNumber)).size >= 40 ? true : undefined), 60_000);
    // Two more steps after the last record: a redelivery, had there been one, would show now.
    const stepsThen = (await status()).steps;
    // Read between two alarms: a status taken while the next alarm runs shows that alarm's leases.
    // (A close that did not release would leave an owner for sessionTimeout, 60 s, and time this out.)
    const final = await until("two more steps, read between alarms", async () => {
      const now = await status();
      return now.steps >= stepsThen + 2 && now.checkpoints.every((row) => row.owner === undefined) ? now : undefined;
    }, 30_000);

    expect(deliveries.map((d) => (d.data as { n: number }).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(new Set(deliveries.map((d) => d.sequenceNumber)).size).toBe(deliveries.length);
    // At most 7 items per step: 40 records took at least 6 alarms.
    expect(final.steps).toBeGreaterThanOrEqual(6);
    // Between alarms nobody holds a lease, and each shard's checkpoint is its last delivered record.
    expect(final.checkpoints).toHaveLength(2);
    for (const row of final.checkpoints) {
      expect(row.owner).toBeUndefined();
      const last = deliveries.filter((d) => d.shardId === row.shardId).map((d) => BigInt(d.sequenceNumber)).reduce((a, b) => (a > b ? a : b));
      expect(row.sequence).toBe(String(last));
    }
  } finally {
    await mf.dispose();
  }
});
