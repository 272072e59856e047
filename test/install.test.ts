import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, dependencyTarballs, exec, installApp, pack, snapshotWorkingTree, tarballFiles, tempDir } from "./support/install-app.ts";

/**
 * The package as users get it: `npm pack`'s tarball (what `npm publish` uploads) and a git URL, each
 * installed into a fresh app and imported on Node, Deno, Bun and workerd. Offline: the registry is
 * never asked (npm --offline; Deno's npm registry points at a closed loopback port).
 */

/** The library's classes constructed and its validation at work, leaving the JSON in `result`. */
const SMOKE_BODY = `
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-secret" };
const consumer = new Consumer({ streamName: "s", region: "us-east-1", credentials, checkpointer: new MemoryCheckPointer({ name: "app" }) });
const producer = new Producer({ streamName: "s", region: "us-east-1", credentials });
let rejected;
try { new Consumer({ streamName: "" }); } catch (error) { rejected = error instanceof ConfigError ? error.option : String(error); }
await consumer.close();
await producer.close();
const result = JSON.stringify({ consumer: consumer.constructor.name, producer: producer.constructor.name, rejected });
`;
const smokeImport = (specifier: string): string => `import { Consumer, Producer, MemoryCheckPointer, ConfigError } from ${JSON.stringify(specifier)};\n`;
/** A script printing the result. */
const SMOKE = (specifier: string): string => `${smokeImport(specifier)}${SMOKE_BODY}console.log(result);\n`;
/** A Worker answering every request with the result (workerd allows no I/O outside a handler). */
const SMOKE_WORKER = `${smokeImport("async-kinesis")}export default {\n  async fetch() {${SMOKE_BODY}return new Response(result);\n  },\n};\n`;
const EXPECTED = { consumer: "Consumer", producer: "Producer", rejected: "streamName" };

/** Deno would fetch npm metadata from here if it looked past the app's node_modules. */
const DENO_OFFLINE = { NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/", DENO_NO_UPDATE_CHECK: "1" };

function lastJsonLine(stdout: string): unknown {
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
}

describe("the npm pack tarball installed into a fresh app", () => {
  let scratch = "";
  let app = "";
  let files: string[] = [];

  beforeAll(async () => {
    scratch = await tempDir("pack");
    const source = join(scratch, "source");
    await snapshotWorkingTree(source, { linkNodeModules: true });
    // No dist/ in the snapshot (it is ignored): only `prepare` can put one in the tarball.
    const tarball = await pack(source, scratch, { ignoreScripts: false });
    files = await tarballFiles(tarball);
    app = join(scratch, "app");
    await installApp(app, [tarball, ...(await dependencyTarballs(scratch))]);
    await writeFile(join(app, "node.mjs"), SMOKE("async-kinesis"));
    await writeFile(join(app, "deno.mjs"), SMOKE("npm:async-kinesis"));
  }, 300_000);

  afterAll(async () => {
    if (scratch !== "") await rm(scratch, { recursive: true, force: true });
  });

  it("carries the built dist/ (made by prepare), the sources its source maps name, and no tests", () => {
    for (
      const file of [
        "package.json",
        "README.md",
        "LICENSE",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/index.js.map",
        "dist/node.js",
        "src/index.ts",
        "src/node/index.ts",
        "dist/aws/index.js",
        "dist/aws/index.d.ts",
        "dist/node/aws.js",
      ]
    ) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((file) => file.startsWith("test/") || file.startsWith("bench/") || file.startsWith("scripts/"))).toEqual([]);
  });

  it("installs the async-kinesis command: npx async-kinesis, deno run -A npm:async-kinesis and bunx async-kinesis print its help", async () => {
    expect(files).toContain("dist/node/cli.js");
    const usage = /^Usage: async-kinesis <command> \[options\]$/m;
    expect(await exec("npx", ["--offline", "async-kinesis", "--help"], { cwd: app, timeoutMs: 60_000 })).toMatch(usage);
    const denoArgs = ["run", "-A", "--node-modules-dir=manual", "--no-lock", "npm:async-kinesis", "--help"];
    expect(await exec(join(BIN, "deno"), denoArgs, { cwd: app, timeoutMs: 60_000, env: DENO_OFFLINE })).toMatch(usage);
    expect(await exec(join(BIN, "bun"), ["x", "async-kinesis", "--help"], { cwd: app, timeoutMs: 60_000 })).toMatch(usage);
    const { version } = JSON.parse(await readFile(join(app, "node_modules", "async-kinesis", "package.json"), "utf8")) as { version: string };
    expect(await exec("npx", ["--offline", "async-kinesis", "--version"], { cwd: app, timeoutMs: 60_000 })).toBe(`async-kinesis ${version}\n`);
  });

  it("imports and constructs a Consumer and a Producer on Node", async () => {
    const stdout = await exec(process.execPath, ["node.mjs"], { cwd: app, timeoutMs: 30_000 });
    expect(lastJsonLine(stdout)).toEqual(EXPECTED);
  });

  it("imports async-kinesis/aws on Node, through the Node build, and its clients and marshalling work", async () => {
    await writeFile(
      join(app, "aws.mjs"),
      `import { KinesisClient, DynamoDBClient, marshallItem, unmarshallItem } from "async-kinesis/aws";
const options = { region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-secret" } };
console.log(JSON.stringify({
  resolved: import.meta.resolve("async-kinesis/aws"),
  clients: [new KinesisClient(options).constructor.name, new DynamoDBClient(options).constructor.name],
  item: unmarshallItem(marshallItem({ id: "a", n: 1 })),
}));
`,
    );
    const result = lastJsonLine(await exec(process.execPath, ["aws.mjs"], { cwd: app, timeoutMs: 30_000 })) as { resolved: string };
    expect(result.resolved).toMatch(/\/node_modules\/async-kinesis\/dist\/node\/aws\.js$/);
    expect(result).toEqual({ resolved: result.resolved, clients: ["KinesisClient", "DynamoDBClient"], item: { id: "a", n: 1 } });
  });

  it("imports through an npm: specifier on Deno, from the app's node_modules", async () => {
    const stdout = await exec(join(BIN, "deno"), ["run", "--node-modules-dir=manual", "--no-lock", "--no-prompt", "--allow-env", "deno.mjs"], {
      cwd: app,
      timeoutMs: 60_000,
      env: DENO_OFFLINE,
    });
    expect(lastJsonLine(stdout)).toEqual(EXPECTED);
  });

  it("imports on Bun", async () => {
    const stdout = await exec(join(BIN, "bun"), ["run", "node.mjs"], { cwd: app, timeoutMs: 30_000 });
    expect(lastJsonLine(stdout)).toEqual(EXPECTED);
  });

  it("resolves the Node build (dist/node.js) on Node through the node condition, and the Web build on Bun and in a workerd bundle", async () => {
    await writeFile(join(app, "which.mjs"), 'console.log(JSON.stringify(import.meta.resolve("async-kinesis")));\n');
    const onNode = JSON.parse((await exec(process.execPath, ["which.mjs"], { cwd: app, timeoutMs: 30_000 })).trim()) as string;
    expect(onNode).toMatch(/\/node_modules\/async-kinesis\/dist\/node\.js$/);
    const onBun = JSON.parse((await exec(join(BIN, "bun"), ["run", "which.mjs"], { cwd: app, timeoutMs: 30_000 })).trim().split("\n").at(-1)!) as string;
    expect(onBun).toMatch(/\/node_modules\/async-kinesis\/dist\/index\.js$/);
    const bundle = await build({
      stdin: { contents: smokeImport("async-kinesis") + "export { Consumer };\n", resolveDir: app, loader: "js" },
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker", "browser"],
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((file) => file.endsWith("async-kinesis/dist/index.js"))).toBe(true);
    expect(inputs.some((file) => file.endsWith("async-kinesis/dist/node.js"))).toBe(false);
  });

  it("bundles for Cloudflare Workers with the README's settings and runs on workerd without nodejs_compat", async () => {
    await writeFile(join(app, "worker.mjs"), SMOKE_WORKER);
    // README "Install": esbuild/wrangler with target es2022 and the workerd, worker, browser conditions.
    const bundle = await build({
      entryPoints: [join(app, "worker.mjs")],
      absWorkingDir: app,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      write: false,
      logLevel: "silent",
    });
    const miniflare = new Miniflare({ modules: true, script: bundle.outputFiles[0]!.text, compatibilityDate: "2025-09-01" });
    try {
      const response = await miniflare.dispatchFetch("http://localhost/");
      expect(JSON.parse(await response.text())).toEqual(EXPECTED);
    } finally {
      await miniflare.dispose();
    }
  });

  it("type-checks a strict TypeScript app against the installed declarations of both entry points (NodeNext resolution) on the newest and the oldest supported TypeScript", async () => {
    await writeFile(
      join(app, "check.ts"),
      `import { Consumer, Producer, type ConsumerOptions, type ConsumerRecord } from "async-kinesis";
import { KinesisClient, marshallItem, type AttributeValue } from "async-kinesis/aws";
export const kinesis: KinesisClient = new KinesisClient({ region: "us-east-1" });
export const item: Record<string, AttributeValue> = marshallItem({ id: "a" });
const options: ConsumerOptions = { streamName: "s", region: "us-east-1" };
const consumer: Consumer = new Consumer(options);
const producer: Producer = new Producer({ streamName: "s" });
export async function first(): Promise<ConsumerRecord | undefined> {
  for await (const record of consumer.records()) return record;
  return undefined;
}
await producer.close();
// @ts-expect-error streamName is a string: the declarations must say so, or this line is an error
new Consumer({ streamName: 42 });
`,
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2023", "DOM", "ESNext.Disposable"],
          types: [],
          noEmit: true,
          skipLibCheck: false,
        },
        files: ["check.ts"],
      }),
    );
    // README "Install" states the supported TypeScript range; its oldest release is the typescript-5.7 devDependency.
    for (const compiler of ["typescript", "typescript-5.7"]) {
      await exec(process.execPath, [join(BIN, "..", compiler, "bin", "tsc"), "-p", "tsconfig.json"], { cwd: app, timeoutMs: 120_000 });
    }
  });
});

describe("npm install from a git URL", () => {
  let scratch = "";
  afterAll(async () => {
    if (scratch !== "") await rm(scratch, { recursive: true, force: true });
  });

  it("builds dist/ through prepare, and the installed package imports on Node", async () => {
    scratch = await tempDir("git");
    // A repository holding the working tree as committed files: what `git clone` of this repo gives.
    const repo = join(scratch, "repo");
    await snapshotWorkingTree(repo, { linkNodeModules: false });
    const git = (args: string[]) =>
      exec("git", ["-c", "user.name=install-test", "-c", "user.email=install-test@example.invalid", "-c", "commit.gpgsign=false", ...args], {
        cwd: repo,
        timeoutMs: 60_000,
      });
    await git(["init", "--quiet"]);
    await git(["add", "--all"]);
    await git(["commit", "--quiet", "--message", "snapshot"]);
    expect(existsSync(join(repo, "dist"))).toBe(false);

    const app = join(scratch, "app");
    // npm clones the repo, installs its devDependencies (offline, from the cache `npm ci` filled) and
    // runs prepare there, then installs the result.
    await installApp(app, [`git+file://${repo}`, ...(await dependencyTarballs(scratch))]);
    expect(existsSync(join(app, "node_modules", "async-kinesis", "dist", "index.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "async-kinesis", "dist", "index.d.ts"))).toBe(true);
    await writeFile(join(app, "node.mjs"), SMOKE("async-kinesis"));
    const stdout = await exec(process.execPath, ["node.mjs"], { cwd: app, timeoutMs: 30_000 });
    expect(lastJsonLine(stdout)).toEqual(EXPECTED);
  }, 400_000);
});
