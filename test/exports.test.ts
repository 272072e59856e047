import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * npm (package.json) and JSR (deno.json) publish the same library: the same entry points, the same
 * version, the same runtime dependencies at the same versions, and the same strictness.
 */

const ROOT = resolve(import.meta.dirname, "..");

type ExportTarget = string | { types?: string; import?: string; default?: string; node?: string; [condition: string]: string | undefined };

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, ExportTarget>;
  main?: string;
  types?: string;
  files?: string[];
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

interface DenoJson {
  name: string;
  version: string;
  exports: string | Record<string, string>;
  imports?: Record<string, string>;
  compilerOptions?: Record<string, unknown>;
  nodeModulesDir?: string;
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as DenoJson;
const denoExports: Record<string, string> = typeof deno.exports === "string" ? { ".": deno.exports } : deno.exports;

/** tsconfig.json through TypeScript's own reader, so comments or trailing commas there cannot break this test. */
function tsconfigOptions(): Record<string, unknown> {
  const path = join(ROOT, "tsconfig.json");
  const parsed = ts.parseConfigFileTextToJson(path, readFileSync(path, "utf8"));
  if (parsed.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(parsed.error.messageText, "\n"));
  return (parsed.config as { compilerOptions: Record<string, unknown> }).compilerOptions;
}

/** `./dist/x/y.js` (or `.d.ts`) → `./src/x/y.ts`: the build maps each source entry to one output. */
function sourceOf(distPath: string): string {
  expect(distPath).toMatch(/^\.\/dist\/.+\.(d\.ts|js)$/);
  return distPath.replace(/^\.\/dist\//, "./src/").replace(/\.(d\.ts|js)$/, ".ts");
}

function npmTargets(target: ExportTarget): { types: string; runtime: string } {
  if (typeof target === "string") return { types: target.replace(/\.js$/, ".d.ts"), runtime: target };
  const runtime = target.import ?? target.default;
  if (runtime === undefined || target.types === undefined) throw new Error(`export ${JSON.stringify(target)} lacks types or a runtime file`);
  return { types: target.types, runtime };
}

/** The repository's Deno on the repository, kept off the network: its npm and JSR registries are a closed loopback port. */
function runDeno(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "deno"), args, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/", JSR_URL: "http://127.0.0.1:9/" },
      timeout: 60_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("error", fail);
    child.once("close", (code) => done({ code, output }));
  });
}

describe("package.json and deno.json agree", () => {
  it("export the same subpaths", () => {
    expect(Object.keys(denoExports).sort()).toEqual(Object.keys(pkg.exports).sort());
    expect(Object.keys(pkg.exports)).toContain(".");
  });

  it("point each subpath at the same source module, and every deno.json entry file exists", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const { types, runtime } = npmTargets(target);
      const denoTarget = denoExports[subpath];
      expect(denoTarget, `deno.json exports ${subpath}`).toBeDefined();
      expect(sourceOf(runtime), `package.json exports ${subpath}`).toBe(denoTarget);
      expect(sourceOf(types), `package.json exports ${subpath} types`).toBe(denoTarget);
      expect(types).toBe(runtime.replace(/\.js$/, ".d.ts"));
      expect(existsSync(join(ROOT, denoTarget!)), `${denoTarget} exists`).toBe(true);
    }
  });

  it("keep main and types in step with the root export, and publish dist", () => {
    const root = npmTargets(pkg.exports["."]!);
    expect(pkg.main).toBe(root.runtime);
    expect(pkg.types).toBe(root.types);
    expect(pkg.files).toContain("dist");
  });

  it("ship the async-kinesis command: bin points at the Node build's node/cli entry, whose source starts with the node hashbang", () => {
    expect(pkg.bin).toEqual({ "async-kinesis": "dist/node/cli.js" });
    expect(readFileSync(join(ROOT, "tsup.config.ts"), "utf8")).toContain('"node/cli": "src/node/cli/main.ts"');
    expect(readFileSync(join(ROOT, "src/node/cli/main.ts"), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("give Node the Node build through the node condition of every subpath, after deno, bun, workerd, worker and browser, which keep the Web build", () => {
    // Each subpath's Node variant is built from src/node/ by tsup.config.ts (test/build.test.ts checks the output).
    const nodeBuilds: Record<string, { file: string; entry: string }> = {
      ".": { file: "./dist/node.js", entry: 'node: "src/node/index.ts"' },
      "./aws": { file: "./dist/node/aws.js", entry: '"node/aws": "src/node/aws.ts"' },
      "./admin": { file: "./dist/node/admin.js", entry: '"node/admin": "src/node/admin.ts"' },
      // The in-memory fake needs no Node transport: Node gets the Web build's file.
      "./testing": { file: "./dist/testing/index.js", entry: '"testing/index": "src/testing/index.ts"' },
    };
    expect(Object.keys(pkg.exports).sort()).toEqual(Object.keys(nodeBuilds).sort());
    const tsup = readFileSync(join(ROOT, "tsup.config.ts"), "utf8");
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target !== "object") throw new Error(`export ${subpath} must list conditions`);
      const conditions = Object.keys(target);
      // Resolvers take the first condition they know: types first for TypeScript, default last, and every
      // runtime that also matches "node" (Deno, Bun) named before it so it keeps its own fetch.
      expect(conditions[0], subpath).toBe("types");
      expect(conditions.at(-1), subpath).toBe("default");
      for (const web of ["deno", "bun", "workerd", "worker", "browser"]) {
        expect(conditions.indexOf(web), `${subpath} ${web}`).toBeGreaterThan(0);
        expect(conditions.indexOf(web), `${subpath} ${web} before node`).toBeLessThan(conditions.indexOf("node"));
        expect(target[web], `${subpath} ${web}`).toBe(target.default);
      }
      expect(target.node, subpath).toBe(nodeBuilds[subpath]!.file);
      expect(tsup).toContain(nodeBuilds[subpath]!.entry);
    }
    // JSR is the Web build: the Node-only sources are not published there.
    expect(Object.values(denoExports).some((target) => target.startsWith("./src/node/"))).toBe(false);
  });

  it("carry the same version and package name", () => {
    expect(deno.version).toBe(pkg.version);
    expect(deno.name).toMatch(/^@[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(deno.name.split("/")[1]).toBe(pkg.name);
  });

  it("import exactly the runtime dependencies, as npm: specifiers at the pinned versions", () => {
    const expected = Object.fromEntries(Object.entries(pkg.dependencies ?? {}).map(([name, version]) => [name, `npm:${name}@${version}`]));
    expect(deno.imports).toEqual(expected);
    expect(Object.keys(expected).sort()).toEqual(["aws4fetch", "valibot"]);
    // Exact pins on both sides: the same bytes on npm and JSR.
    for (const version of Object.values(pkg.dependencies ?? {})) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("apply tsconfig.json's strictness flags in deno.json", () => {
    const tsconfig = tsconfigOptions();
    const flags = [
      "strict",
      "noUncheckedIndexedAccess",
      "exactOptionalPropertyTypes",
      "noImplicitOverride",
      "noFallthroughCasesInSwitch",
      "verbatimModuleSyntax",
    ];
    for (const flag of flags) {
      expect(tsconfig[flag], `tsconfig.json ${flag}`).toBe(true);
      expect(deno.compilerOptions?.[flag], `deno.json ${flag}`).toBe(true);
    }
  });

  it("every exported source module loads, and each entry point exports exactly the pinned runtime names (a change here is a semver change)", async () => {
    const pinned: Record<string, string[]> = {
      ".": [
        "AbortedError",
        "AsyncKinesisError",
        "AwsServiceError",
        "BytesProcessor",
        "CheckpointConflictError",
        "CheckpointError",
        "CheckpointTableMissingError",
        "ClosedError",
        "ConfigError",
        "Consumer",
        "CredentialsError",
        "DecodeError",
        "DenoKvCheckPointer",
        "DurableObjectCheckPointer",
        "DynamoDBCheckPointer",
        "EncodeError",
        "InvalidPartitionKeyError",
        "JsonLineProcessor",
        "JsonListProcessor",
        "JsonProcessor",
        "KPLJsonProcessor",
        "KPLStringProcessor",
        "LeaseLostError",
        "LiveLeasesError",
        "MemoryCheckPointer",
        "MsgpackProcessor",
        "NetworkError",
        "OPENMETRICS_CONTENT_TYPE",
        "Producer",
        "ProtocolError",
        "PutFailedError",
        "RecordTooLargeError",
        "RedisCheckPointer",
        "RedisCommandError",
        "StringProcessor",
        "TimeoutError",
        "isAsyncKinesisError",
        "isRetryable",
        "isThrottling",
        "toPrometheus",
      ],
      "./aws": [
        "DynamoDBClient",
        "KinesisClient",
        "deregisterStreamConsumer",
        "describeStreamConsumer",
        "listStreamConsumers",
        "marshallItem",
        "marshallValue",
        "registerStreamConsumer",
        "unmarshallItem",
        "unmarshallValue",
      ],
      "./testing": ["ManualClock", "assertDeliveredOnce", "assertShardOrder", "collect", "createFakeAws"],
      "./admin": [
        "CheckpointConflictError",
        "LiveLeasesError",
        "describePosition",
        "formatChanges",
        "formatCheckpointTable",
        "formatLag",
        "importPythonCheckpoints",
        "listCheckpoints",
        "migrateCheckpoints",
        "parseResetTo",
        "resetCheckpoints",
      ],
    };
    expect(Object.keys(denoExports).sort()).toEqual(Object.keys(pinned).sort());
    for (const [subpath, target] of Object.entries(denoExports)) {
      const module = (await import(join(ROOT, target))) as Record<string, unknown>;
      expect(Object.keys(module).sort(), subpath).toEqual(pinned[subpath]);
    }
    // The Node entries (src/node/) export the same names as the Web entries they wrap.
    const nodeEntries: Record<string, string> = { ".": "./src/node/index.ts", "./aws": "./src/node/aws.ts", "./admin": "./src/node/admin.ts" };
    for (const [subpath, target] of Object.entries(nodeEntries)) {
      const module = (await import(join(ROOT, target))) as Record<string, unknown>;
      expect(Object.keys(module).sort(), target).toEqual(pinned[subpath]);
    }
  });

  it("deno check passes on every deno.json export with deno.json's own compilerOptions (offline, via node_modules)", async () => {
    // nodeModulesDir "manual" makes Deno take the npm: imports from the node_modules npm installed,
    // so this needs no registry and no jsr: access.
    expect(deno.nodeModulesDir).toBe("manual");
    const outcome = await runDeno(["check", "--no-lock", ...Object.values(denoExports)]);
    if (outcome.code !== 0) throw new Error(`deno check failed (exit ${outcome.code}):\n${outcome.output}`);
    // Deno names options it ignores; a strictness flag it ignored would be a silent gap.
    expect(outcome.output).not.toContain("Unsupported compiler options");
  });

  it("deno publish --dry-run passes: no slow types in the public API, only src/ and the docs published (offline)", async () => {
    // JSR generates .d.ts for npm users and its docs from explicit types; a missing return or member
    // type ("slow type") fails the publish. --allow-dirty: the check is of the working tree.
    const outcome = await runDeno(["publish", "--dry-run", "--allow-dirty"]);
    if (outcome.code !== 0) throw new Error(`deno publish --dry-run failed (exit ${outcome.code}):\n${outcome.output}`);
    expect(outcome.output).toContain("Checking for slow types in the public API");
    const published = [...outcome.output.matchAll(/file:\/\/\S+/g)].map((m) => m[0].slice(`file://${ROOT}/`.length));
    expect(published).toContain("src/index.ts");
    expect(published).toContain("deno.json");
    expect(published.filter((file) => !/^(src\/.+\.ts|README\.md|LICENSE|CHANGELOG\.md|deno\.json)$/.test(file))).toEqual([]);
  });
});
