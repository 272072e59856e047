import { performance } from "node:perf_hooks";
import { KinesisClient } from "../src/aws/index.ts";
import { nodeHttpFetch } from "../src/node/http-fetch.ts";
import { withSink } from "./client-cpu.ts";
import { type BenchContext, benchCredentials, collectGarbage, type Measurement } from "./context.ts";
import { GET_BATCH, PUT_BATCH, RECORD_BYTES, recordBytes } from "./sink-shape.ts";
import { median, type Row } from "./table.ts";

/**
 * Our KinesisClient on Node's built-in `fetch` (undici) against the same client on the `node:http`
 * transport of the Node build (src/node/http-fetch.ts): CPU per PutRecords and GetRecords request
 * against the loopback sink, everything else equal. Decides whether the Node build's transport pays.
 */
export const transportCpu: Measurement = {
  id: "transport-cpu",
  run: (context: BenchContext) => withSink(context, [], async (endpoint) => [await measure(context, endpoint)]),
};

async function measure(context: BenchContext, endpoint: string) {
  const options = { endpoint, region: "us-east-1", credentials: benchCredentials, maxAttempts: 1 };
  const sides = {
    fetch: new KinesisClient({ ...options, fetch: (input, init) => globalThis.fetch(input, init) }),
    http: new KinesisClient({ ...options, fetch: nodeHttpFetch }),
  };
  const entries = Array.from({ length: PUT_BATCH }, (_, i) => ({ data: recordBytes(i), partitionKey: `pk-${i}` }));
  const operations = [
    {
      name: `PutRecords ${PUT_BATCH} × ${RECORD_BYTES} B`,
      batches: context.quick ? 5 : 40,
      warmup: context.quick ? 10 : 100,
      call: async (client: KinesisClient) => {
        const out = await client.putRecords("bench", entries);
        check(out.records.length === PUT_BATCH && out.failedRecordCount === 0, "PutRecords");
      },
    },
    {
      name: `GetRecords ${GET_BATCH.toLocaleString("en-US")} × ${RECORD_BYTES} B`,
      batches: context.quick ? 2 : 5,
      warmup: context.quick ? 2 : 10,
      call: async (client: KinesisClient) => {
        const out = await client.getRecordsRaw("bench-iterator", GET_BATCH);
        check(out.records.length === GET_BATCH, "GetRecords");
      },
    },
  ];
  const rounds = context.quick ? 3 : 9;
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const op of operations) {
    for (let i = 0; i < op.warmup; i++) {
      await op.call(sides.http);
      await op.call(sides.fetch);
    }
    const cpu: Record<keyof typeof sides, number[]> = { fetch: [], http: [] };
    const wall: Record<keyof typeof sides, number[]> = { fetch: [], http: [] };
    // Alternate sides round by round so drift (thermal, other tenants) hits both alike.
    for (let r = 0; r < rounds; r++) {
      for (const side of ["http", "fetch"] as const) {
        collectGarbage();
        const wall0 = performance.now();
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < op.batches; i++) await op.call(sides[side]);
        const used = process.cpuUsage(cpu0);
        cpu[side].push((used.user + used.system) / 1000 / op.batches);
        wall[side].push((performance.now() - wall0) / op.batches);
      }
    }
    const http = median(cpu.http);
    const builtIn = median(cpu.fetch);
    context.log(`transport-cpu ${op.name}: node:http ${http.toFixed(2)} CPU-ms/request, fetch ${builtIn.toFixed(2)}`);
    rows.push({ name: `${op.name}: CPU per request`, unit: "ms", better: "lower", ours: http, baseline: builtIn });
    notes.push(`${op.name}: wall time per request ${median(wall.http).toFixed(2)} ms node:http, ${median(wall.fetch).toFixed(2)} ms fetch.`);
  }
  notes.push(
    `Both sides are our KinesisClient (signing, JSON, base64 of PutRecords; GetRecords answers parsed, data left base64), differing only in \`fetch\`: Node's built-in (undici) or nodeHttpFetch (node:http with a keep-alive agent, the Node build's default). Median of ${rounds} rounds per side, alternating, after warm-up, GC before each round.`,
  );
  return { title: "Node transport: node:http (Node build) vs the built-in fetch", baseline: "built-in fetch", rows, notes };
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} returned an unexpected result; the bench would measure the wrong thing`);
}
