import { performance } from "node:perf_hooks";
import { decodeBase64, encodeBase64 } from "../src/internal/base64.ts";
import type { BenchContext, Measurement } from "./context.ts";
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
      const bufferDecode = opsPerSecond(() => {
        const b = Buffer.from(text, "base64");
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).length;
      }, samples, sampleMs);
      context.log(`base64 ${label}: encode ours ${oursEncode.toFixed(0)} vs Buffer ${bufferEncode.toFixed(0)} ops/s; decode ours ${oursDecode.toFixed(0)} vs Buffer ${bufferDecode.toFixed(0)} ops/s`);
      rows.push(
        { name: `encode ${label}`, unit: "ops/s", better: "higher", ours: oursEncode, baseline: bufferEncode },
        { name: `decode ${label}`, unit: "ops/s", better: "higher", ours: oursDecode, baseline: bufferDecode },
      );
    }
    return [
      {
        title: "base64 (src/internal/base64.ts vs Node Buffer)",
        baseline: "Buffer",
        rows,
        notes: [`Median of ${samples} samples of ~${sampleMs} ms each, after calibration; random input bytes.`],
      },
    ];
  },
};

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
