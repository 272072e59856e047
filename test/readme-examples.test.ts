/**
 * The README's code blocks run as written, on every Node listed in `engines` (20, 22, 24; see
 * test/support/runtimes.ts for where each binary comes from).
 *
 * Every ```ts / ```js block in README.md must sit under an `<!-- example: NAME -->` marker, and NAME
 * must be one this file runs or one it names with the reason it does not: a new example cannot slip in
 * unrun. Each run copies the block verbatim into a `.mjs` of a scratch app whose
 * node_modules/async-kinesis is this repository's Node build (src/node/index.ts, what the `node`
 * export condition selects) bundled by esbuild, and points it at fresh in-process servers of its own (the blocks use fixed names:
 * "my-stream", "my-app") through the standard variables the README documents:
 * AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL_DYNAMODB, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION. The bundle is not lowered for the example: only the block's own syntax meets each Node,
 * so `await using` is a SyntaxError on Node 20 and 22 here exactly as in a user's file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBCheckPointer } from "../src/index.ts";
import { localKinesis, testCredentials } from "./support/clients.ts";
import { type LocalServers, startLocalServers } from "./support/local-servers.ts";
import { NODE_ENTRY, nodeBinaries, type NodeBinary } from "./support/runtimes.ts";
import { until } from "./support/until.ts";

const ROOT = resolve(import.meta.dirname, "..");
const STREAM = "my-stream";
const GROUP = "my-app";
/** First Node whose plain .mjs parses `await using` (the README says so). */
const AWAIT_USING_SINCE = 24;

/** The blocks this file runs, and the one it leaves to another test, with why. */
const RUN = ["consume-await-using", "consume-try-finally", "produce-await-using", "produce-try-finally", "msgpack-processor"] as const;
const NOT_RUN_HERE: Record<string, string> = {
  "cron-worker": "examples/cloudflare-worker/worker.ts is this Worker; test/examples-worker.test.ts runs it in workerd",
  "unit-test-fake": "a test file itself (it uses no server); test/testing/readme-example.test.ts runs it with bun test and vitest",
};
type Runnable = (typeof RUN)[number];

interface Block {
  name: string;
  lang: string;
  code: string;
}

/** Fenced blocks of a Markdown text, each with the `<!-- example: NAME ... -->` marker on the line before, if any. */
function codeBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith("```"));
    if (end < 0) throw new Error(`README.md: the block at line ${i + 1} is never closed`);
    const marker = /^<!-- example: ([\w-]+)/.exec(lines[i - 1] ?? "");
    blocks.push({ name: marker?.[1] ?? `(unmarked, line ${i + 1})`, lang: open[1] ?? "", code: lines.slice(i + 1, end).join("\n") + "\n" });
    i = end;
  }
  return blocks;
}

let scratch: string;
let app: string;
let blocks: Map<string, Block>;

/** A fresh kinesalite + dynalite with the README's stream ("my-stream", one shard) already ACTIVE. */
async function serversWithStream(): Promise<LocalServers> {
  const servers = await startLocalServers();
  const kinesis = localKinesis({ endpoint: servers.kinesisEndpoint });
  await kinesis.createStream(STREAM, 1);
  await kinesis.waitForActive(STREAM, { pollInterval: 0.05 });
  return servers;
}

/** The README's variables, nothing else from AWS: a developer's real keys never reach the example. */
function exampleEnv(servers: LocalServers): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("AWS_")) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_KINESIS: servers.kinesisEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: servers.dynamodbEndpoint,
    NO_COLOR: "1",
  };
}

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** `<node> <block>.mjs` in the scratch app; the block's file is exactly its README text. */
async function launch(node: NodeBinary, name: Runnable, env: NodeJS.ProcessEnv): Promise<Running> {
  const file = join(app, `${name}.mjs`);
  await writeFile(file, blocks.get(name)!.code);
  const child = spawn(node.path, [file], { cwd: app, env, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolvePromise, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolvePromise({ code, signal, output }));
  });
  return { child, exited };
}

async function runToEnd(node: NodeBinary, name: Runnable, env: NodeJS.ProcessEnv): Promise<void> {
  const { code, signal, output } = await (await launch(node, name, env)).exited;
  if (code !== 0) throw new Error(`${name}.mjs on Node ${node.major} exited with ${code ?? signal}\n${output}`);
}

/** The Produce block: it ends by itself, and the stream then holds its two items. */
async function expectProduce(node: NodeBinary, name: Runnable): Promise<void> {
  const servers = await serversWithStream();
  try {
    await runToEnd(node, name, exampleEnv(servers));
    const kinesis = localKinesis({ endpoint: servers.kinesisEndpoint });
    const [shard] = await kinesis.listShards(STREAM);
    const page = await kinesis.getRecords(await kinesis.getShardIterator(STREAM, shard!.shardId, "TRIM_HORIZON"));
    const decoded = page.records.map((r) => ({ key: r.partitionKey, item: JSON.parse(new TextDecoder().decode(r.data)) as unknown }));
    expect(decoded).toHaveLength(2);
    expect(decoded).toContainEqual({ key: "partition-key", item: { hello: "world" } });
    expect(decoded.find((r) => r.key !== "partition-key")?.item).toEqual({ no: "key" });
  } finally {
    await servers.close();
  }
}

/**
 * The Consume block reads forever (it is a service): it runs until its checkpoint row in the
 * DynamoDB table the README's `name: "my-app"` implies holds the last record, committed because the
 * loop asked for the next one, then it is stopped.
 */
async function expectConsume(node: NodeBinary, name: Runnable): Promise<void> {
  const servers = await serversWithStream();
  let running: Running | undefined;
  try {
    const kinesis = localKinesis({ endpoint: servers.kinesisEndpoint });
    const items = Array.from({ length: 5 }, (_, n) => ({ data: new TextEncoder().encode(JSON.stringify({ n })), partitionKey: `k${n}` }));
    const put = await kinesis.putRecords(STREAM, items);
    const last = put.records.at(-1)!.sequenceNumber;
    running = await launch(node, name, exampleEnv(servers));
    const early = running.exited.then(({ code, signal, output }) => {
      throw new Error(`${name}.mjs on Node ${node.major} ended by itself (${code ?? signal})\n${output}`);
    });
    const checkpointer = new DynamoDBCheckPointer({ name: GROUP, endpoint: servers.dynamodbEndpoint, region: "us-east-1", credentials: testCredentials });
    const rows = until(
      "the example's checkpoint at the last record",
      async () => {
        const listed = await checkpointer.listCheckpoints({ streamName: STREAM }).catch(() => []);
        return listed.some((row) => row.sequence === last) ? listed : undefined;
      },
      30_000,
    );
    const listed = await Promise.race([rows, early]);
    expect(listed).toEqual([expect.objectContaining({ streamName: STREAM, sequence: last, owner: expect.stringMatching(/^my-app\//) })]);
  } finally {
    running?.child.kill("SIGKILL");
    await running?.exited.catch(() => undefined);
    await servers.close();
  }
}

beforeAll(async () => {
  blocks = new Map(codeBlocks(await readFile(join(ROOT, "README.md"), "utf8")).map((block) => [block.name, block]));
  scratch = await mkdtemp(join(tmpdir(), "async-kinesis-readme-"));
  app = join(scratch, "app");
  const pkg = join(app, "node_modules", "async-kinesis");
  await mkdir(pkg, { recursive: true });
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "readme-app", private: true, type: "module" }));
  await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "async-kinesis", type: "module", exports: "./index.js" }));
  await build({
    // The `node` export condition's build, as `npm install async-kinesis` gives Node.
    entryPoints: [NODE_ENTRY],
    outfile: join(pkg, "index.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
  });
  await mkdir(join(app, "node_modules", "@msgpack"), { recursive: true });
  await symlink(join(ROOT, "node_modules", "@msgpack", "msgpack"), join(app, "node_modules", "@msgpack", "msgpack"), "dir");
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("the README's code blocks", () => {
  it("are each marked with an example name that this file runs or that names the test running it", () => {
    const code = [...blocks.values()].filter((block) => ["ts", "js", "javascript", "typescript", "mjs"].includes(block.lang));
    const known = new Set<string>([...RUN, ...Object.keys(NOT_RUN_HERE)]);
    expect(code.map((block) => block.name).filter((name) => !known.has(name))).toEqual([]);
    expect(code.map((block) => block.name).sort()).toEqual([...known].sort());
  });
});

for (const node of nodeBinaries()) {
  describe(`the README's examples on Node ${node.major}, as written`, () => {
    it("Produce with try/finally puts both items on the stream and ends", () => expectProduce(node, "produce-try-finally"));
    it("Consume with try/finally reads the stream and commits the last record's checkpoint to DynamoDB", () => expectConsume(node, "consume-try-finally"));
    it("the MsgpackProcessor block imports and constructs", () => runToEnd(node, "msgpack-processor", process.env));

    if (node.major >= AWAIT_USING_SINCE) {
      it("Produce with await using puts both items on the stream and ends", () => expectProduce(node, "produce-await-using"));
      it("Consume with await using reads the stream and commits the last record's checkpoint to DynamoDB", () => expectConsume(node, "consume-await-using"));
    } else {
      it("await using in a plain .mjs is a SyntaxError, as the README warns (so the try/finally forms are needed here)", async () => {
        for (const name of ["produce-await-using", "consume-await-using"] as const) {
          const { code, output } = await (await launch(node, name, process.env)).exited;
          expect(code).not.toBe(0);
          expect(output).toContain("SyntaxError");
        }
      });
    }
  });
}
