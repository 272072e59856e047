import { join } from "node:path";
import { build, type BuildOptions } from "esbuild";
import { benchCredentials } from "./context.ts";

/**
 * The tiny programs whose size and start-up time are compared: each imports both clients and exports
 * `construct()`, which builds a Kinesis and a DynamoDB client (so tree-shaking keeps what construction
 * needs, and the cold-start child can call it). `withCommands` also references the commands a consumer,
 * a producer and a DynamoDB checkpointer send — the SDK's per-command code lives in those.
 */
export type Side = "ours" | "sdk";
export type Platform = "node" | "browser";

const OPTIONS = JSON.stringify({ region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: benchCredentials });

const KINESIS_COMMANDS = [
  "PutRecordsCommand",
  "PutRecordCommand",
  "GetRecordsCommand",
  "GetShardIteratorCommand",
  "ListShardsCommand",
  "DescribeStreamSummaryCommand",
];
const DYNAMODB_COMMANDS = [
  "GetItemCommand",
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "QueryCommand",
  "ScanCommand",
  "CreateTableCommand",
  "DescribeTableCommand",
];

export function entrySource(side: Side, platform: Platform, root: string, withCommands = false): string {
  if (side === "ours") {
    // Our client has one class per service; every operation is a method, so commands change nothing.
    const index = JSON.stringify(join(root, "src", "aws", "index.ts"));
    return [
      `import { KinesisClient, DynamoDBClient } from ${index};`,
      `const options = ${OPTIONS};`,
      `export function construct() { return [new KinesisClient(options), new DynamoDBClient(options)]; }`,
    ].join("\n");
  }
  const kinesisNames = ["KinesisClient", ...(withCommands ? KINESIS_COMMANDS : [])];
  const dynamoNames = ["DynamoDBClient", ...(withCommands ? DYNAMODB_COMMANDS : [])];
  const lines = [
    `import { ${kinesisNames.map((n) => (n === "KinesisClient" ? n : `${n} as K_${n}`)).join(", ")} } from "@aws-sdk/client-kinesis";`,
    `import { ${dynamoNames.map((n) => (n === "DynamoDBClient" ? n : `${n} as D_${n}`)).join(", ")} } from "@aws-sdk/client-dynamodb";`,
  ];
  // On Node the SDK's Kinesis client defaults to HTTP/2; the bench (like our tests) uses HTTP/1.1.
  // In a browser the SDK's own browser config supplies a fetch handler.
  if (platform === "node") lines.push(`import { NodeHttpHandler } from "@smithy/node-http-handler";`);
  const extra = platform === "node" ? ", requestHandler: new NodeHttpHandler()" : "";
  lines.push(
    `const options = ${OPTIONS};`,
    `export const commands = [${[...kinesisNames.slice(1).map((n) => `K_${n}`), ...dynamoNames.slice(1).map((n) => `D_${n}`)].join(", ")}];`,
    `export function construct() { return [new KinesisClient({ ...options${extra} }), new DynamoDBClient({ ...options${extra} })]; }`,
  );
  return lines.join("\n");
}

export interface BundleRequest {
  side: Side;
  platform: Platform;
  root: string;
  withCommands?: boolean;
  /** Leave npm packages as imports (what our published dist/index.js does); default: inline them. */
  externalPackages?: boolean;
  minify?: boolean;
  /** Write here (to run it); without it the bundle is returned in memory (to weigh it). */
  outfile?: string;
}

/** esbuild, ESM, tree-shaken; returns the bundle's bytes. */
export async function bundleEntry(request: BundleRequest): Promise<Uint8Array> {
  const options: BuildOptions = {
    stdin: {
      contents: entrySource(request.side, request.platform, request.root, request.withCommands ?? false),
      resolveDir: request.root,
      sourcefile: `${request.side}-entry.mjs`,
      loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: request.platform,
    target: request.platform === "node" ? "node20" : "es2022",
    minify: request.minify ?? true,
    legalComments: "none",
    logLevel: "error",
    write: false,
    ...(request.externalPackages === true ? { packages: "external" as const } : {}),
  };
  if (request.outfile !== undefined && request.platform === "node") {
    // The SDK's CommonJS dependencies call require("node:...") at run time; an ESM bundle has no `require`.
    options.banner = { js: `import { createRequire as __benchRequire } from "node:module"; const require = __benchRequire(import.meta.url);` };
  }
  const result = await build(options);
  const file = result.outputFiles?.[0];
  if (file === undefined) throw new Error(`esbuild produced no output for ${request.side}/${request.platform}`);
  if (request.outfile !== undefined) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(request.outfile, file.contents);
  }
  return file.contents;
}
