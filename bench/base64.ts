import { performance } from "node:perf_hooks";
import { decodeBase64, decodeBase64Shared, encodeBase64 } from "../src/internal/base64.ts";
import { type BenchContext, collectGarbage, type Measurement } from "./context.ts";
import { median, type Row } from "./table.ts";

/**
 * Our Web-API base64 (src/internal/base64.ts) against Node's native Buffer, which is what the AWS SDK
 * uses on Node. Buffer is the ceiling on Node; on Deno/workerd/browsers there is no Buffer at all.
 */
export const base64: Measurement = {
  id: "base64",
  async run(context: BenchContext) {
    const sizes: Array<[string, number]> = [
      ["100 B", 100],
      ["1 KiB", 1024],
      ["1 MiB", 1024 * 1024],
    ];
    const samples = context.quick ? 3 : 7;
    const sampleMs = context.quick ? 20 : 50;
    const rows: Row[] = [];
    for (const [label, size] of sizes) {
      const bytes = randomBytes(size);
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
      // Prove both sides agree before timing them.
      if (encodeBase64(bytes) !== text) throw new Error(`encodeBase64 disagrees with Buffer at ${label}`);
      if (Buffer.compare(Buffer.from(decodeBase64(text)), Buffer.from(bytes)) !== 0) throw new Error(`decodeBase64 disagrees with Buffer at ${label}`);

      const oursEncode = opsPerSecond(() => encodeBase64(bytes).length, samples, sampleMs);
      const bufferEncode = opsPerSecond(() => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").length, samples, sampleMs);
      const oursDecode = opsPerSecond(() => decodeBase64(text).length, samples, sampleMs);
      // As the SDK's fromBase64 does on Node: Buffer.from(text, "base64") viewed as a Uint8Array.
      const bufferDecode = opsPerSecond(
        () => {
          const b = Buffer.from(text, "base64");
          return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).length;
        },
        samples,
        sampleMs,
      );
      context.log(
        `base64 ${label}: encode ours ${oursEncode.toFixed(0)} vs Buffer ${bufferEncode.toFixed(0)} ops/s; decode ours ${oursDecode.toFixed(0)} vs Buffer ${
          bufferDecode.toFixed(0)
        } ops/s`,
      );
      rows.push(
        { name: `encode ${label}`, unit: "ops/s", better: "higher", ours: oursEncode, baseline: bufferEncode },
        { name: `decode ${label}`, unit: "ops/s", better: "higher", ours: oursDecode, baseline: bufferDecode },
      );
    }
    rows.push(...batchDecodeRows(context));
    return [
      {
        title: "base64 (src/internal/base64.ts vs Node Buffer)",
        baseline: "Buffer",
        rows,
        notes: [
          `Single operations: median of ${samples} samples of ~${sampleMs} ms wall time each, after calibration; random input bytes.`,
          `Batch rows: decoding the ${BATCH.toLocaleString("en-US")} × 100 B records of one GetRecords answer, keeping every result ` +
          "alive until the batch ends (as a consumer does); CPU time (process.cpuUsage, so GC threads count) per batch, median of " +
          `${samples} rounds. Buffer's results are views into its 8 KiB pool; decodeBase64 allocates one buffer per record; ` +
          "decodeBase64Shared carves records out of 8 KiB slabs like Buffer.",
          "On Deno, Bun and recent browsers/workerd, src/internal/base64.ts uses the native Uint8Array.toBase64/fromBase64 instead.",
        ],
      },
    ];
  },
};

const BATCH = 10_000;

function batchDecodeRows(context: BenchContext): Row[] {
  const texts = Array.from({ length: BATCH }, () => {
    const bytes = randomBytes(100);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  });
  const bufferDecode = (text: string): Uint8Array => {
    const b = Buffer.from(text, "base64");
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
  const rounds = context.quick ? 3 : 7;
  const batches = context.quick ? 3 : 10;
  const owned = cpuMsPerBatch(texts, decodeBase64, rounds, batches);
  const shared = cpuMsPerBatch(texts, decodeBase64Shared, rounds, batches);
  const buffer = cpuMsPerBatch(texts, bufferDecode, rounds, batches);
  context.log(`base64 batch decode: owned ${owned.toFixed(2)}, shared ${shared.toFixed(2)}, Buffer ${buffer.toFixed(2)} CPU-ms per batch`);
  return [
    { name: `decode ${BATCH.toLocaleString("en-US")} × 100 B, decodeBase64`, unit: "CPU-ms", better: "lower", ours: owned, baseline: buffer },
    { name: `decode ${BATCH.toLocaleString("en-US")} × 100 B, decodeBase64Shared`, unit: "CPU-ms", better: "lower", ours: shared, baseline: buffer },
  ];
}

function cpuMsPerBatch(texts: string[], decode: (text: string) => Uint8Array, rounds: number, batches: number): number {
  const kept: Uint8Array[] = new Array<Uint8Array>(texts.length);
  for (let w = 0; w < 3; w++) for (let i = 0; i < texts.length; i++) kept[i] = decode(texts[i]!);
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    collectGarbage();
    const cpu0 = process.cpuUsage();
    for (let b = 0; b < batches; b++) for (let i = 0; i < texts.length; i++) kept[i] = decode(texts[i]!);
    const cpu = process.cpuUsage(cpu0);
    results.push((cpu.user + cpu.system) / 1000 / batches);
  }
  blackhole += kept[0]!.length;
  return median(results);
}

let blackhole = 0;

/** Operations per second: calibrate a batch to ~sampleMs, then take the median of `samples` batches. */
export function opsPerSecond(fn: () => number, samples: number, sampleMs: number): number {
  let iterations = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) blackhole += fn();
    const elapsed = performance.now() - t0;
    if (elapsed >= sampleMs / 4) {
      iterations = Math.max(1, Math.round((iterations * sampleMs) / elapsed));
      break;
    }
    iterations *= 4;
  }
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) blackhole += fn();
    rates.push((iterations * 1000) / (performance.now() - t0));
  }
  if (blackhole === -1) console.log("unreachable");
  return median(rates);
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return bytes;
}
