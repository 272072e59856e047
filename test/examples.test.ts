/**
 * examples/node.mjs, examples/deno.ts and examples/bun.ts run as a user would run them, each in its
 * runtime, against the local kinesalite and dynalite (endpoints and credentials from the standard AWS
 * variables): two bounded steps read a stream exactly once between them. The examples import
 * "async-kinesis"; here that name is pointed at this repository's src/ (an esbuild alias for Node,
 * an import map for Deno, tsconfig paths for Bun). Deno also runs test/runtimes/deno-bounded-step.ts
 * under `deno test`, whose sanitizers fail any timer, request or promise a closed step leaves running.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createStream, localKinesis, testCredentials, uniqueName } from "./support/clients.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const base: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("AWS_") && value !== undefined) base[name] = value;
    const child = spawn(command, args, { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The standard AWS variables pointing at the local servers, plus the example's own. */
function exampleEnv(streamName: string, group: string, stopAfterRecords: number): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_KINESIS: inject("kinesisEndpoint"),
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamodbEndpoint"),
    STREAM_NAME: streamName,
    CHECKPOINT_GROUP: group,
    STOP_AFTER_RECORDS: String(stopAfterRecords),
    RUN_ONCE: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DO_NOT_TRACK: "1",
    NO_COLOR: "1",
  };
}

/** The `n` of each item line the example printed. */
function itemsOf(runtime: string, outcome: Outcome): number[] {
  if (outcome.code !== 0) throw new Error(`${runtime} exited with ${outcome.code}\n--- stderr ---\n${outcome.stderr}\n--- stdout ---\n${outcome.stdout}`);
  return outcome.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { data: { n: number } }).data.n);
}

async function streamOf(count: number): Promise<string> {
  const kinesis = localKinesis();
  const stream = await createStream(kinesis, 1, "example");
  const entries = Array.from({ length: count }, (_, n) => ({ data: new TextEncoder().encode(JSON.stringify({ n })), partitionKey: `k${n}` }));
  await kinesis.putRecords(stream, entries);
  return stream;
}

/** Two steps of an example: the first stops after 6 items, the second reads the other 4 and stops when caught up. */
async function twoSteps(runtime: string, launch: (env: Record<string, string>) => Promise<Outcome>): Promise<number[][]> {
  const stream = await streamOf(10);
  const group = uniqueName(`example-${runtime}`);
  const first = itemsOf(runtime, await launch(exampleEnv(stream, group, 6)));
  const second = itemsOf(runtime, await launch(exampleEnv(stream, group, 6)));
  return [first, second];
}

let scratch: string;
let importMap: string;
let bunTsconfig: string;

async function esmEntry(name: string): Promise<string> {
  const dir = join(ROOT, "node_modules", name);
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    exports?: { ".": { import?: string | { default?: string } } };
    module?: string;
  };
  const target = manifest.exports?.["."].import;
  const file = typeof target === "string" ? target : (target?.default ?? manifest.module);
  if (file === undefined) throw new Error(`${name} has no ESM entry`);
  return pathToFileURL(join(dir, file)).href;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "async-kinesis-examples-"));
  importMap = join(scratch, "import-map.json");
  bunTsconfig = join(scratch, "tsconfig.json");
  await writeFile(bunTsconfig, JSON.stringify({ compilerOptions: { baseUrl: ROOT, paths: { "async-kinesis": [join(ROOT, "src/index.ts")] } } }));
  await writeFile(
    importMap,
    JSON.stringify({
      imports: { "async-kinesis": pathToFileURL(join(ROOT, "src/index.ts")).href, aws4fetch: await esmEntry("aws4fetch"), valibot: await esmEntry("valibot") },
    }),
  );
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const deno = (args: string[], env: Record<string, string>): Promise<Outcome> =>
  run(join(BIN, "deno"), [
    args[0]!,
    "--no-config",
    "--no-lock",
    "--no-prompt",
    `--import-map=${importMap}`,
    "--allow-net=127.0.0.1",
    "--allow-env",
    ...args.slice(1),
  ], env);

describe("the examples run where they say they run", () => {
  it("examples/node.mjs: two bounded steps on Node read the stream once between them", async () => {
    const outfile = join(ROOT, ".tmp", "examples", "node.mjs");
    await mkdir(join(ROOT, ".tmp", "examples"), { recursive: true });
    await build({
      entryPoints: [join(ROOT, "examples/node.mjs")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      alias: { "async-kinesis": join(ROOT, "src/index.ts") },
      logLevel: "silent",
    });
    const steps = await twoSteps("node", (env) => run(process.execPath, [outfile], env));
    expect(steps).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]);
  });

  it("examples/deno.ts: two cron ticks on Deno read the stream once between them", async () => {
    const steps = await twoSteps("deno", (env) => deno(["run", "examples/deno.ts"], env));
    expect(steps).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]);
  });

  it("examples/bun.ts: two bounded steps on Bun read the stream once between them", async () => {
    const steps = await twoSteps("bun", (env) => run(join(BIN, "bun"), ["run", `--tsconfig-override=${bunTsconfig}`, "examples/bun.ts"], env));
    expect(steps).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]);
  });

  it("a bounded step leaves no timer, request or promise running after close(), by Deno's test sanitizers, whichever bound ends it", async () => {
    const stream = await streamOf(40);
    const outcome = await deno(["test", "--no-check", "test/runtimes/deno-bounded-step.ts"], exampleEnv(stream, uniqueName("sanitized"), 0));
    if (outcome.code !== 0) throw new Error(`deno test failed\n--- stdout ---\n${outcome.stdout}\n--- stderr ---\n${outcome.stderr}`);
    expect(outcome.stdout).toMatch(/3 passed/);
  });
});
