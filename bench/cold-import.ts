import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { BenchContext, Measurement } from "./context.ts";
import { bundleEntry, entrySource } from "./entries.ts";
import { median, type Row } from "./table.ts";

/**
 * Cold start: a fresh `node` process imports the entry and constructs both clients. The child times
 * import + construct itself (node's own start-up is the same for both sides and would dilute the
 * ratio); the parent also times the whole process, spawn to exit, as a reality check.
 */
const CHILD = `
import { pathToFileURL } from "node:url";
const url = pathToFileURL(process.argv[2]).href;
const t0 = performance.now();
const mod = await import(url);
mod.construct();
const t1 = performance.now();
process.stdout.write(JSON.stringify({ ms: t1 - t0 }));
process.exit(0);
`;

interface Sample {
  importMs: number;
  processMs: number;
}

export const coldImport: Measurement = {
  id: "cold-import",
  async run(context: BenchContext) {
    const dir = join(context.workDir, "cold");
    await mkdir(dir, { recursive: true });
    const child = join(dir, "child.mjs");
    await writeFile(child, CHILD);
    const empty = join(dir, "empty.mjs");
    await writeFile(empty, "export function construct() {}\n");

    const files = {
      oursBundle: join(dir, "ours-bundle.mjs"),
      sdkBundle: join(dir, "sdk-bundle.mjs"),
      oursPackage: join(dir, "ours-package.mjs"),
      sdkPackage: join(dir, "sdk-package.mjs"),
    };
    await bundleEntry({ side: "ours", platform: "node", root: context.root, outfile: files.oursBundle });
    await bundleEntry({ side: "sdk", platform: "node", root: context.root, outfile: files.sdkBundle });
    // "Package entry": ours as published (one bundled file, aws4fetch + valibot imported from
    // node_modules, like dist/index.js); the SDK straight from its packages in node_modules.
    await bundleEntry({ side: "ours", platform: "node", root: context.root, outfile: files.oursPackage, externalPackages: true, minify: false });
    await writeFile(files.sdkPackage, entrySource("sdk", "node", context.root));

    const runs = context.quick ? 3 : 7;
    const targets = [empty, files.oursBundle, files.sdkBundle, files.oursPackage, files.sdkPackage];
    const samples = new Map<string, Sample[]>(targets.map((t) => [t, []]));
    // One unmeasured pass warms the file-system cache; then interleave so drift hits both sides alike.
    for (const target of targets) await spawnChild(child, target);
    for (let i = 0; i < runs; i++) {
      for (const target of targets) samples.get(target)!.push(await spawnChild(child, target));
    }
    const med = (target: string, key: keyof Sample): number => median(samples.get(target)!.map((s) => s[key]));
    context.log(
      `cold-import: bundled ours ${med(files.oursBundle, "importMs").toFixed(1)} ms, SDK ${med(files.sdkBundle, "importMs").toFixed(1)} ms; ` +
        `package ours ${med(files.oursPackage, "importMs").toFixed(1)} ms, SDK ${med(files.sdkPackage, "importMs").toFixed(1)} ms`,
    );
    const rows: Row[] = [
      {
        name: "import + construct, bundled",
        unit: "ms",
        better: "lower",
        ours: med(files.oursBundle, "importMs"),
        baseline: med(files.sdkBundle, "importMs"),
        target: 10,
      },
      {
        name: "import + construct, package entry",
        unit: "ms",
        better: "lower",
        ours: med(files.oursPackage, "importMs"),
        baseline: med(files.sdkPackage, "importMs"),
        target: 10,
      },
      {
        name: "whole process, bundled (spawn→exit)",
        unit: "ms",
        better: "lower",
        ours: med(files.oursBundle, "processMs"),
        baseline: med(files.sdkBundle, "processMs"),
      },
      {
        name: "whole process, package entry (spawn→exit)",
        unit: "ms",
        better: "lower",
        ours: med(files.oursPackage, "processMs"),
        baseline: med(files.sdkPackage, "processMs"),
      },
    ];
    return [
      {
        title: "Cold start (fresh node process, import + construct KinesisClient + DynamoDBClient)",
        baseline: "AWS SDK v3",
        rows,
        notes: [
          `Median of ${runs} fresh processes per row, interleaved, after one unmeasured warm-up each.`,
          '"bundled": one esbuild file per side with every dependency inlined (as in a Lambda bundle). ' +
          '"package entry": ours as published (aws4fetch + valibot from node_modules), the SDK from its node_modules packages.',
          `A node process importing an empty module takes ${med(empty, "processMs").toFixed(0)} ms spawn→exit on this machine; ` +
          'that start-up is in both "whole process" rows and in neither "import + construct" row.',
        ],
      },
    ];
  },
};

function spawnChild(child: string, target: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(process.execPath, [child, target], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    proc.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    proc.on("error", reject);
    proc.on("exit", (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`cold-import child for ${target} exited with ${code}: ${err.slice(0, 2000)}`));
      try {
        resolve({ importMs: (JSON.parse(out) as { ms: number }).ms, processMs });
      } catch (cause) {
        reject(new Error(`cold-import child for ${target} printed ${JSON.stringify(out.slice(0, 200))}`, { cause }));
      }
    });
  });
}
