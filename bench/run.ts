/**
 * The bench driver (run through bench/launch.mjs, i.e. `npm run bench`). Runs each measurement in
 * turn, logs progress on stderr, then prints the machine and one table per section on stdout.
 *
 *   npm run bench                         everything (~1 minute)
 *   npm run bench -- --quick              fewer repetitions (checks the bench, noisy numbers)
 *   npm run bench -- --only=base64,client-cpu
 *   npm run bench -- --json=bench.json    also write the raw rows as JSON
 *
 * To add a measurement: a new bench/<name>.ts exporting a `Measurement`, listed in MEASUREMENTS.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { base64 } from "./base64.ts";
import { bundleSize } from "./bundle-size.ts";
import { checkpointerWrites } from "./checkpointer-writes.ts";
import { clientCpu } from "./client-cpu.ts";
import { coldImport } from "./cold-import.ts";
import { consumerDecode } from "./consumer-decode.ts";
import { latency } from "./latency.ts";
import { latencyEfo } from "./latency-efo.ts";
import { leaseTableSim } from "./lease-table-sim.ts";
import { transportCpu } from "./transport-cpu.ts";
import { producerCpu } from "./producer-cpu.ts";
import type { BenchContext, Measurement } from "./context.ts";
import { renderSection, type Section } from "./table.ts";

const MEASUREMENTS: Measurement[] = [
  bundleSize,
  coldImport,
  clientCpu,
  transportCpu,
  base64,
  consumerDecode,
  producerCpu,
  checkpointerWrites,
  latency,
  latencyEfo,
  leaseTableSim,
];

function parseArgs(argv: string[]): { quick: boolean; only: Set<string> | undefined; json: string | undefined } {
  let quick = false;
  let only: Set<string> | undefined;
  let json: string | undefined;
  for (const arg of argv) {
    if (arg === "--quick") quick = true;
    else if (arg.startsWith("--only=")) only = new Set(arg.slice("--only=".length).split(","));
    else if (arg.startsWith("--json=")) json = arg.slice("--json=".length);
    else throw new Error(`unknown argument ${arg}; known: --quick, --only=<${MEASUREMENTS.map((m) => m.id).join(",")}>, --json=<file>`);
  }
  if (only !== undefined) {
    for (const id of only) if (!MEASUREMENTS.some((m) => m.id === id)) throw new Error(`no measurement named ${id}`);
  }
  return { quick, only, json };
}

function packageVersion(root: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function machine(root: string): string {
  const cpu = cpus();
  return [
    "## async-kinesis bench",
    "",
    `- machine: ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform}/${process.arch}`,
    `- node ${process.version}; esbuild ${packageVersion(root, "esbuild")}; ` +
    `@aws-sdk/client-kinesis ${packageVersion(root, "@aws-sdk/client-kinesis")}, ` +
    `@aws-sdk/client-dynamodb ${packageVersion(root, "@aws-sdk/client-dynamodb")}, ` +
    `@smithy/node-http-handler ${packageVersion(root, "@smithy/node-http-handler")}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = process.env["BENCH_ROOT"];
  const workDir = process.env["BENCH_WORK_DIR"];
  if (root === undefined || workDir === undefined) throw new Error("run the bench with `npm run bench` (bench/launch.mjs sets BENCH_ROOT and BENCH_WORK_DIR)");
  const context: BenchContext = { root, workDir, quick: args.quick, log: (message) => process.stderr.write(`  ${message}\n`) };

  const started = performance.now();
  const sections: Section[] = [];
  for (const measurement of MEASUREMENTS) {
    if (args.only !== undefined && !args.only.has(measurement.id)) continue;
    const t0 = performance.now();
    process.stderr.write(`${measurement.id}...\n`);
    sections.push(...(await measurement.run(context)));
    process.stderr.write(`${measurement.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }

  const out = [machine(root), ...sections.map(renderSection), `_Total bench time ${((performance.now() - started) / 1000).toFixed(0)} s._`];
  process.stdout.write(out.join("\n\n") + "\n");
  if (args.json !== undefined) {
    writeFileSync(args.json, JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, sections }, null, 2) + "\n");
  }
}

main().then(
  // Keep-alive sockets of both clients would hold the process open for seconds; the work is done.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
