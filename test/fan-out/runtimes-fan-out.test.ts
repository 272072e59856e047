/**
 * The Web build's default SubscribeToShard transport on Deno and Bun, against HTTP/2-only loopback
 * servers (a request over HTTP/1.1 fails), so a pass proves the runtime spoke HTTP/2 and streamed the body:
 * - Deno: its own `fetch`, over TLS (ALPN h2; kinesis-local's self-signed certificate, trusted with
 *   `--unsafely-ignore-certificate-errors=127.0.0.1` for this test only).
 * - Bun: its `fetch` has no HTTP/2, so the transport runs over Bun's `node:http2` (reached with
 *   `process.getBuiltinModule`), here without TLS (prior knowledge).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventMessage } from "../support/eventstream-frames.ts";
import { parseOutcome, runDenoScript } from "../support/runtimes.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SCRIPT = "test/fan-out/runtime-subscribe.ts";
const require = createRequire(import.meta.url);
const expected = [
  { sequences: ["1", "2"], data: ["one", "two"], continuation: "2" },
  { sequences: [], data: [], continuation: "2" },
];

const sessions = new Set<ServerHttp2Session>();
const seen: Array<{ target: unknown; scheme: unknown }> = [];

function answer(server: Http2Server | Http2SecureServer): void {
  server.on("session", (session) => sessions.add(session));
  server.on("stream", (stream, headers) => {
    seen.push({ target: headers["x-amz-target"], scheme: headers[":scheme"] });
    stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream" });
    stream.write(
      eventMessage("SubscribeToShardEvent", {
        Records: [
          { Data: btoa("one"), PartitionKey: "p", SequenceNumber: "1", ApproximateArrivalTimestamp: 1 },
          { Data: btoa("two"), PartitionKey: "p", SequenceNumber: "2", ApproximateArrivalTimestamp: 1 },
        ],
        ContinuationSequenceNumber: "2",
        MillisBehindLatest: 0,
      }),
    );
    stream.end(eventMessage("SubscribeToShardEvent", { Records: [], ContinuationSequenceNumber: "2", MillisBehindLatest: 0 }));
  });
}

async function listen(server: Http2Server | Http2SecureServer): Promise<number> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return (server.address() as AddressInfo).port;
}

let tlsServer: Http2SecureServer;
let plainServer: Http2Server;
let scratch: string;

beforeAll(async () => {
  const { server: certificate } = JSON.parse(readFileSync(join(dirname(require.resolve("kinesis-local/package.json")), "server.json"), "utf8")) as {
    server: { key: string; cert: string };
  };
  tlsServer = createSecureServer({ key: certificate.key, cert: certificate.cert, allowHTTP1: false });
  plainServer = createServer();
  answer(tlsServer);
  answer(plainServer);
  scratch = await mkdtemp(join(tmpdir(), "efo-runtimes-"));
});

afterAll(async () => {
  for (const session of sessions) session.destroy();
  await Promise.all([tlsServer, plainServer].map((server) => new Promise<void>((done) => server.close(() => done()))));
  await rm(scratch, { recursive: true, force: true });
});

function runBun(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "bun"), ["run", SCRIPT, ...args], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"], HOME: process.env["HOME"], DO_NOT_TRACK: "1", NO_COLOR: "1" },
      timeout: 45_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", fail);
    child.once("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

describe("SubscribeToShard through the Web build's default transport", () => {
  it("Deno's fetch speaks HTTP/2 over TLS to an HTTP/2-only server and streams the events", async () => {
    const port = await listen(tlsServer);
    const outcome = await runDenoScript(scratch, SCRIPT, [
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--unsafely-ignore-certificate-errors=127.0.0.1",
    ], [
      `https://127.0.0.1:${port}`,
    ]);
    expect(parseOutcome("deno", outcome)).toEqual(expected);
    expect(seen).toContainEqual({ target: "Kinesis_20131202.SubscribeToShard", scheme: "https" });
  });

  it("Bun goes over its node:http2 (its fetch has no HTTP/2) and streams the events", async () => {
    const port = await listen(plainServer);
    expect(parseOutcome("bun", await runBun([`http://127.0.0.1:${port}`]))).toEqual(expected);
    expect(seen).toContainEqual({ target: "Kinesis_20131202.SubscribeToShard", scheme: "http" });
  });
});
