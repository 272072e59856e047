// `npm run bench`: Node 20 cannot run TypeScript, so bundle the bench's TypeScript entries with esbuild
// into .tmp/bench (inside the repository, so bare imports like "@aws-sdk/client-kinesis" still resolve
// from ./node_modules) and run the driver there. Arguments are passed through (see bench/README.md).
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, ".tmp", "bench");

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { run: join(root, "bench", "run.ts"), "sink-server": join(root, "bench", "sink-server.ts") },
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Dependencies stay imports so both clients load their real packages from node_modules.
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});

// --expose-gc lets the driver collect garbage between rounds so one side's garbage is not billed to the other.
const child = spawn(process.execPath, ["--expose-gc", join(outdir, "run.mjs"), ...process.argv.slice(2)], {
  stdio: "inherit",
  // The SDK warns once per process that Node 20 support ends; it says nothing about the bench.
  env: { ...process.env, BENCH_ROOT: root, BENCH_WORK_DIR: outdir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
});
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
