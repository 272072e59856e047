import { execFile } from "node:child_process";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { packagesImportedBy } from "./support/build-imports.ts";

const run = promisify(execFile);

/** Headers of the one request a client in a fresh Node process sends through `dist/<entry>` (either entry point), with no `fetch` option. */
async function headersSentBy(outDir: string, entry: string): Promise<IncomingHttpHeaders> {
  let seen: IncomingHttpHeaders | undefined;
  const server = createServer((request, response) => {
    seen = request.headers;
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify({ StreamNames: [], HasMoreStreams: false }));
    });
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  try {
    const { port } = server.address() as { port: number };
    const script = `
      const m = await import(${JSON.stringify(join(outDir, entry))});
      const options = { endpoint: "http://127.0.0.1:${port}", region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "not-a-secret" } };
      // The aws entry has the raw client; the root entry reaches one through the DynamoDB checkpointer.
      const client = m.KinesisClient ? new m.KinesisClient(options) : new m.DynamoDBCheckPointer({ name: "app", ...options }).client;
      console.log(JSON.stringify(await client.http.call("ListStreams", {})));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ StreamNames: [], HasMoreStreams: false });
  } finally {
    server.close();
  }
  if (seen === undefined) throw new Error("no request arrived");
  return seen;
}
const root = join(import.meta.dirname, "..");

describe("the npm build", () => {
  let outDir = "";
  afterAll(async () => {
    if (outDir !== "") await rm(outDir, { recursive: true, force: true });
  });

  it("builds with tsup into an ESM bundle whose public classes load on Node with only the two runtime dependencies", async () => {
    // Inside the repository, so the built file resolves its two dependencies from ./node_modules.
    await mkdir(join(root, ".tmp"), { recursive: true });
    outDir = await mkdtemp(join(root, ".tmp", "build-"));
    await run(join(root, "node_modules", ".bin", "tsup"), ["--out-dir", outDir, "--no-sourcemap"], { cwd: root, timeout: 120_000 });
    // Only the declared runtime dependencies may remain as imports; nothing Node-specific may be bundled in.
    expect(await packagesImportedBy(outDir, "index.js")).toEqual(new Set(["aws4fetch", "valibot"]));
    const declarations = await readFile(join(outDir, "index.d.ts"), "utf8");
    for (const name of ["Consumer", "Producer", "DynamoDBCheckPointer", "MemoryCheckPointer", "ConfigError"]) {
      expect(declarations).toContain(`${name}`);
    }
    const script = `
      const m = await import(${JSON.stringify(join(outDir, "index.js"))});
      const c = new m.Consumer({ streamName: "s", region: "us-east-1" });
      const p = new m.Producer({ streamName: "s", region: "us-east-1" });
      let option;
      try { new m.Consumer({ streamName: "" }); } catch (e) { option = e.option; }
      console.log(JSON.stringify({ consumer: c.constructor.name, producer: p.constructor.name, option }));
      await c.close(); await p.close();
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ consumer: "Consumer", producer: "Producer", option: "streamName" });
  });

  it("builds the Node entry (dist/node.js) importing only the two dependencies and node: built-ins, and only it sends over node:http", async () => {
    expect(outDir, "the first test builds").not.toBe("");
    expect(await packagesImportedBy(outDir, "node.js")).toEqual(
      new Set(["aws4fetch", "valibot", "node:buffer", "node:crypto", "node:http", "node:http2", "node:https"]),
    );
    // Node's built-in fetch (undici) marks its requests as a browser would; node:http sends neither header.
    const web = await headersSentBy(outDir, "index.js");
    expect(web["sec-fetch-mode"]).toBe("cors");
    const node = await headersSentBy(outDir, "node.js");
    expect(node["sec-fetch-mode"]).toBeUndefined();
    expect(node["user-agent"]).toBeUndefined();
    expect(node["x-amz-target"]).toBe("DynamoDB_20120810.ListStreams");
    expect(node["authorization"]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
  });

  it("builds the async-kinesis/aws entry for both builds: the Web one Node-free, the Node one on node:http, and its errors are the root entry's classes", async () => {
    expect(outDir, "the first test builds").not.toBe("");
    expect(await packagesImportedBy(outDir, "aws/index.js")).toEqual(new Set(["aws4fetch", "valibot"]));
    expect(await packagesImportedBy(outDir, "node/aws.js")).toEqual(
      new Set(["aws4fetch", "valibot", "node:buffer", "node:crypto", "node:http", "node:http2", "node:https"]),
    );
    const declarations = await readFile(join(outDir, "aws", "index.d.ts"), "utf8");
    for (const name of ["KinesisClient", "DynamoDBClient", "marshallItem", "ClientOptions"]) expect(declarations).toContain(name);
    expect((await headersSentBy(outDir, "aws/index.js"))["sec-fetch-mode"]).toBe("cors");
    expect((await headersSentBy(outDir, "node/aws.js"))["sec-fetch-mode"]).toBeUndefined();
    // A failure from the standalone client is an instance of the class the root entry exports.
    const script = `
      const [aws, main] = await Promise.all([import(${JSON.stringify(join(outDir, "node", "aws.js"))}), import(${JSON.stringify(join(outDir, "node.js"))})]);
      let sameClass;
      try { new aws.KinesisClient({ endpoint: "not a url" }); } catch (e) { sameClass = e instanceof main.ConfigError; }
      console.log(JSON.stringify({ sameClass }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ sameClass: true });
  });
});
