import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Consumer, Producer } from "../src/index.ts";
import { createFakeAws } from "../src/testing/index.ts";
import { type BenchContext, benchCredentials, type Measurement } from "./context.ts";
import { putSteadily, RATE, WARM_UP_MS } from "./latency.ts";
import type { Row } from "./table.ts";

/**
 * put → yield latency at a steady 100 records/s with enhanced fan-out next to polling (issue 15),
 * both with the default options and the same load, against the same stand-in: the in-memory Kinesis
 * of async-kinesis/testing served over a loopback node:http server, so both paths pay real HTTP
 * (the polling Consumer's GetRecords round trips; the fan-out Consumer's one streamed SubscribeToShard
 * answer, over the runtime's fetch — HTTP/1.1 chunked on loopback, where AWS requires HTTP/2). The
 * stand-in pushes an event the moment a record is stored, and polls nothing itself, so what is
 * measured is the latency our stack adds (producer buffering, the PutRecords round trip, the
 * consumer's wait for its next GetRecords or the pushed event, decoding, the queue), not AWS's:
 * AWS documents ~70 ms from put to a subscription's event, and ~200 ms for one polling consumer.
 * kinesis-local, the one local server with SubscribeToShard, sends events about once a second:
 * a bench against it would measure the emulator.
 */
export const latencyEfo: Measurement = {
  id: "latency-efo",
  async run(context: BenchContext) {
    const seconds = context.quick ? 6 : 30;
    const polling = await measure(false, seconds);
    const fanOut = await measure(true, seconds);
    for (const [label, run] of [["polling", polling], ["enhanced fan-out", fanOut]] as const) {
      context.log(
        `latency-efo (${label}): p50 ${run.latency.p50.toFixed(1)} ms, p99 ${run.latency.p99.toFixed(1)} ms, put → stored ${
          fmt(run.putToStored)
        } ms, stored → yielded ${
          fmt(run.storedToYield)
        } ms, ${run.getRecords} GetRecords, ${run.subscribes} SubscribeToShard, ${run.delivered}/${run.put} delivered`,
      );
    }
    const rows: Row[] = [
      { name: "p50 put → yield, enhanced fan-out (vs polling)", unit: "ms", better: "lower", ours: fanOut.latency.p50, baseline: polling.latency.p50 },
      { name: "p99 put → yield, enhanced fan-out (vs polling)", unit: "ms", better: "lower", ours: fanOut.latency.p99, baseline: polling.latency.p99 },
    ];
    const notes = [
      `1-shard stream on the in-memory Kinesis (async-kinesis/testing) behind a loopback node:http server in this process; one Producer and one Consumer, default options (fan-out adds only fanOut: { consumerName, fetch: globalThis.fetch }); ${RATE} records/s of ~100-byte JSON for ${seconds} s each; the first ${
        WARM_UP_MS / 1000
      } s of records are left out. Latency = yield time − put-call time.`,
      `Where the time goes (ms, p50 / p99; split at the record's arrival time in the stand-in, ms precision): put call → stored (producer buffer and PutRecords) polling ${
        fmt(polling.putToStored)
      }, fan-out ${fmt(fanOut.putToStored)}; stored → yielded polling ${fmt(polling.storedToYield)}, fan-out ${fmt(fanOut.storedToYield)}.`,
      `Calls: polling ${polling.getRecords} GetRecords; fan-out ${fanOut.getRecords} GetRecords and ${fanOut.subscribes} SubscribeToShard.`,
      "Our stack's added latency only: AWS pushes a subscription's event ~70 ms after the put (its docs), polling averages ~200 ms with one consumer.",
    ];
    return [{
      title: `Latency: put → yield, enhanced fan-out vs polling, ${RATE} records/s (in-memory Kinesis over loopback HTTP)`,
      baseline: "polling",
      rows,
      notes,
    }];
  },
};

const STREAM = "bench-latency-efo";

interface Item {
  i: number;
  /** performance.now() at the `put` call. */
  t: number;
  /** Date.now() at the `put` call, to compare with the stored record's arrival time. */
  w: number;
  pad: string;
}

interface Percentiles {
  p50: number;
  p99: number;
}

interface EfoRun {
  put: number;
  delivered: number;
  latency: Percentiles;
  storedToYield: Percentiles;
  putToStored: Percentiles;
  getRecords: number;
  subscribes: number;
}

function fmt(p: Percentiles): string {
  return `${p.p50.toFixed(0)} / ${p.p99.toFixed(0)}`;
}

/** Nearest-rank percentiles. */
function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** The fake's fetch on a loopback port: each request is answered by it, its body streamed out chunk by chunk as it comes. */
async function serve(fakeFetch: typeof fetch): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => void answer(fakeFetch, req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(fakeFetch: typeof fetch, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  try {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk as Uint8Array);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const response = await fakeFetch(`http://fake-aws.invalid${req.url ?? "/"}`, {
      method: req.method ?? "POST",
      headers,
      body: Buffer.concat(chunks),
      signal: gone.signal,
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body === null) return void res.end();
    const reader = response.body.getReader();
    gone.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
}

async function measure(fanOut: boolean, seconds: number): Promise<EfoRun> {
  const fake = createFakeAws();
  fake.kinesis.createStream(STREAM, 1);
  const server = await serve(fake.fetch);
  const aws = { endpoint: server.endpoint, region: "us-east-1", credentials: benchCredentials };
  const consumer = new Consumer<Item>({
    streamName: STREAM,
    ...aws,
    ...(fanOut ? { fanOut: { consumerName: "bench-efo", fetch: globalThis.fetch } } : {}),
  });
  const producer = new Producer<Item>({ streamName: STREAM, ...aws });
  const latencies: number[] = [];
  const storedToYield: number[] = [];
  const putToStored: number[] = [];
  const total = RATE * seconds;
  let delivered = 0;
  try {
    await consumer.waitReady();
    const reading = (async () => {
      for await (const record of consumer.records()) {
        const now = performance.now();
        const wall = Date.now();
        delivered++;
        if (record.data.i >= (RATE * WARM_UP_MS) / 1000) {
          latencies.push(now - record.data.t);
          storedToYield.push(wall - record.approximateArrivalTimestamp.getTime());
          putToStored.push(record.approximateArrivalTimestamp.getTime() - record.data.w);
        }
        if (delivered === total) break;
      }
    })();
    await putSteadily(producer, total, (i, pad) => ({ i, t: performance.now(), w: Date.now(), pad }));
    const tail = setTimeout(() => void consumer.close(), 5000);
    await reading;
    clearTimeout(tail);
    return {
      put: total,
      delivered,
      latency: percentiles(latencies),
      storedToYield: percentiles(storedToYield),
      putToStored: percentiles(putToStored),
      getRecords: fake.calls("GetRecords"),
      subscribes: fake.calls("SubscribeToShard"),
    };
  } finally {
    await producer.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await server.close();
  }
}
