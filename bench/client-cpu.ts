import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { GetRecordsCommand, KinesisClient as SdkKinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { KinesisClient } from "../src/aws/index.ts";
import { type BenchContext, benchCredentials, collectGarbage, type Measurement } from "./context.ts";
import { GET_BATCH, PUT_BATCH, RECORD_BYTES, recordBytes } from "./sink-shape.ts";
import { median, type Row } from "./table.ts";

/**
 * Raw client cost of the two calls a producer and a consumer live on, against a loopback sink in
 * another process: sign, serialise (base64 + JSON), send over keep-alive HTTP/1.1, receive, parse
 * (JSON + base64), map to result objects. CPU is process.cpuUsage() (user + system, all threads of
 * this process) around a sequential loop; the sink's CPU is in its own process and not counted.
 */
export const clientCpu: Measurement = {
  id: "client-cpu",
  run: (context: BenchContext) => withSink(context, [], async (endpoint) => [await measure(context, endpoint)]),
};

interface Operation {
  name: string;
  ours: () => Promise<void>;
  sdk: () => Promise<void>;
  recordsPerBatch: number;
  batchesPerRound: number;
  warmupBatches: number;
}

async function measure(context: BenchContext, endpoint: string) {
  const options = { endpoint, region: "us-east-1", credentials: benchCredentials, maxAttempts: 1 };
  const ours = new KinesisClient(options);
  const sdk = new SdkKinesisClient({ ...options, requestHandler: new NodeHttpHandler() });

  const entries = Array.from({ length: PUT_BATCH }, (_, i) => ({ data: recordBytes(i), partitionKey: `pk-${i}` }));
  const sdkEntries = entries.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey }));

  const operations: Operation[] = [
    {
      name: `PutRecords ${PUT_BATCH} × ${RECORD_BYTES} B`,
      recordsPerBatch: PUT_BATCH,
      batchesPerRound: context.quick ? 5 : 40,
      warmupBatches: context.quick ? 10 : 100,
      ours: async () => {
        const out = await ours.putRecords("bench", entries);
        expect(out.records.length === PUT_BATCH && out.failedRecordCount === 0, "ours PutRecords");
      },
      sdk: async () => {
        const out = await sdk.send(new PutRecordsCommand({ StreamName: "bench", Records: sdkEntries }));
        expect(out.Records?.length === PUT_BATCH && out.FailedRecordCount === 0, "SDK PutRecords");
      },
    },
    {
      name: `GetRecords ${GET_BATCH.toLocaleString("en-US")} × ${RECORD_BYTES} B`,
      recordsPerBatch: GET_BATCH,
      batchesPerRound: context.quick ? 2 : 5,
      warmupBatches: context.quick ? 2 : 10,
      ours: async () => {
        const out = await ours.getRecords("bench-iterator", GET_BATCH);
        expect(out.records.length === GET_BATCH && out.records[GET_BATCH - 1]!.data.length === RECORD_BYTES, "ours GetRecords");
      },
      sdk: async () => {
        const out = await sdk.send(new GetRecordsCommand({ ShardIterator: "bench-iterator", Limit: GET_BATCH }));
        expect(out.Records?.length === GET_BATCH && out.Records[GET_BATCH - 1]!.Data?.length === RECORD_BYTES, "SDK GetRecords");
      },
    },
  ];

  const rounds = context.quick ? 3 : 9;
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const op of operations) {
    for (let i = 0; i < op.warmupBatches; i++) {
      await op.ours();
      await op.sdk();
    }
    const oursRounds: RoundResult[] = [];
    const sdkRounds: RoundResult[] = [];
    // Alternate sides round by round so drift (thermal, other tenants) hits both alike.
    for (let r = 0; r < rounds; r++) {
      oursRounds.push(await round(op.ours, op.batchesPerRound));
      sdkRounds.push(await round(op.sdk, op.batchesPerRound));
    }
    const oursCpu = median(oursRounds.map((x) => x.cpuMs));
    const sdkCpu = median(sdkRounds.map((x) => x.cpuMs));
    const oursWall = median(oursRounds.map((x) => x.wallMs));
    const sdkWall = median(sdkRounds.map((x) => x.wallMs));
    context.log(`client-cpu ${op.name}: ours ${oursCpu.toFixed(2)} CPU-ms/batch, SDK ${sdkCpu.toFixed(2)} CPU-ms/batch`);
    rows.push(
      { name: `${op.name}: CPU per batch`, unit: "ms", better: "lower", ours: oursCpu, baseline: sdkCpu },
      {
        name: `${op.name}: records per CPU-second`,
        unit: "rec/s",
        better: "higher",
        ours: (op.recordsPerBatch * 1000) / oursCpu,
        baseline: (op.recordsPerBatch * 1000) / sdkCpu,
      },
    );
    notes.push(`${op.name}: wall time per batch ${oursWall.toFixed(2)} ms ours, ${sdkWall.toFixed(2)} ms SDK (includes the sink's time).`);
  }
  notes.push(
    `Median of ${rounds} rounds per side, rounds alternating, after warm-up; garbage collected before each round.`,
    "Ours: KinesisClient on the runtime's fetch (undici on Node). SDK: KinesisClient with NodeHttpHandler (node:http, keep-alive). Both maxAttempts 1.",
  );
  return { title: "Client CPU against a loopback sink (sequential calls)", baseline: "AWS SDK v3", rows, notes };
}

interface RoundResult {
  cpuMs: number;
  wallMs: number;
}

async function round(fn: () => Promise<void>, batches: number): Promise<RoundResult> {
  collectGarbage();
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  return { cpuMs: (cpu.user + cpu.system) / 1000 / batches, wallMs: wallMs / batches };
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} returned an unexpected result; the bench would measure the wrong thing`);
}

/** Run `use` against a fresh loopback sink (`args` e.g. `--payload=json`), stopping it afterwards. */
export async function withSink<R>(context: BenchContext, args: readonly string[], use: (endpoint: string) => Promise<R>): Promise<R> {
  const sink = await startSink(join(context.workDir, "sink-server.mjs"), args);
  try {
    return await use(sink.endpoint);
  } finally {
    sink.stop();
  }
}

/** Start the loopback sink (`args` e.g. `--payload=json`, see sink-server.ts) and wait for its port. */
async function startSink(script: string, args: readonly string[] = []): Promise<{ endpoint: string; stop(): void }> {
  const proc: ChildProcess = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) resolve((JSON.parse(buffered.slice(0, newline)) as { port: number }).port);
    });
    proc.on("error", reject);
    proc.on("exit", (code) => reject(new Error(`sink exited with ${code} before listening`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => {
      proc.stdin!.end();
      proc.kill();
    },
  };
}
