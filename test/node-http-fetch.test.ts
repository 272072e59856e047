import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { DecodeError } from "../src/errors.ts";
import { decodeBase64, decodeBase64Shared, encodeBase64, setNativeBase64 } from "../src/internal/base64.ts";
import { bufferBase64 } from "../src/node/buffer-base64.ts";
import { nodeHttpFetch } from "../src/node/http-fetch.ts";
import { closedLoopbackEndpoint } from "./support/closed-port.ts";

/** What the Node build's transport must do where the clients and credential providers rely on fetch. */

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((done) => (server === undefined ? done() : server.close(() => done())));
  server?.closeAllConnections();
  server = undefined;
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): Promise<string> {
  server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    request.on("end", () => handler(request, response, body));
  });
  await new Promise<void>((listening) => server!.listen(0, "127.0.0.1", listening));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe("nodeHttpFetch", () => {
  it("sends method, headers and body, and answers with status, headers and the whole body as text", async () => {
    const endpoint = await serve((request, response, body) => {
      response.writeHead(201, "Made", { "content-type": "application/json", "x-echo": String(request.headers["x-amz-target"]) });
      response.end(JSON.stringify({ method: request.method, body, length: request.headers["content-length"] }));
    });
    const response = await nodeHttpFetch(`${endpoint}/path?q=1`, { method: "POST", headers: new Headers({ "X-Amz-Target": "T.Op" }), body: "héllo" });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Made");
    expect(response.ok).toBe(true);
    expect(response.headers.get("x-echo")).toBe("T.Op");
    expect(await response.json()).toEqual({ method: "POST", body: "héllo", length: "6" });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it("sends a byte body as it is", async () => {
    const endpoint = await serve((_request, response, body) => response.end(body));
    const response = await nodeHttpFetch(endpoint, { method: "PUT", body: new TextEncoder().encode('{"a":1}') });
    expect(await response.text()).toBe('{"a":1}');
  });

  it("answers a 204 with a null body", async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(204);
      response.end();
    });
    const response = await nodeHttpFetch(endpoint);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await response.text()).toBe("");
  });

  it("rejects an answer a Response cannot carry (status 600) as fetch does, instead of hanging", async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(600).end("odd");
    });
    const answer = nodeHttpFetch(endpoint, { method: "POST", body: "{}", signal: AbortSignal.timeout(2000) });
    await expect(answer).rejects.toThrow(TypeError);
    await expect(answer).rejects.toMatchObject({ message: "fetch failed", cause: expect.any(RangeError) });
  });

  it("rejects a refused connection as fetch does: a TypeError whose cause names ECONNREFUSED", async () => {
    const failure = await nodeHttpFetch(await closedLoopbackEndpoint()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe("fetch failed");
    expect(JSON.stringify((failure as { cause?: { code?: string } }).cause?.code)).toContain("ECONNREFUSED");
  });

  it("rejects an answer cut off before its end, never resolving with part of it", async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write('{"partial":');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    await expect(nodeHttpFetch(endpoint)).rejects.toThrow(TypeError);
  });

  it("rejects with the signal's reason when aborted mid-request, and at once when already aborted", async () => {
    const endpoint = await serve(() => {
      // never answers
    });
    const controller = new AbortController();
    const pending = nodeHttpFetch(endpoint, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop now")), 20);
    await expect(pending).rejects.toThrow("stop now");
    await expect(nodeHttpFetch(endpoint, { signal: AbortSignal.abort(new Error("before")) })).rejects.toThrow("before");
  });
});

describe("Buffer base64 of the Node build", () => {
  afterEach(() => setNativeBase64(undefined));

  it("round-trips bytes and rejects invalid base64 with the same DecodeError as the portable decoder", () => {
    setNativeBase64(bufferBase64);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
    const text = encodeBase64(bytes);
    expect(decodeBase64(text)).toEqual(bytes);
    expect(decodeBase64Shared(text)).toEqual(bytes);
    // Buffer alone would skip the "!" and return 2 bytes.
    expect(() => decodeBase64("AB!C")).toThrow(DecodeError);
    expect(() => decodeBase64Shared("AB!CDEF=")).toThrow(DecodeError);
    // What the portable decoder accepts, the Node build accepts too: URL-safe digits and whitespace.
    expect(decodeBase64("-_-_")).toEqual(Uint8Array.from([251, 255, 191]));
    expect(decodeBase64("AQID\nBA==")).toEqual(Uint8Array.from([1, 2, 3, 4]));
  });

  it("gives decodeBase64 a result that owns its buffer, as its contract says", () => {
    setNativeBase64(bufferBase64);
    const result = decodeBase64("AQID");
    expect(result.constructor).toBe(Uint8Array);
    expect(result.byteOffset).toBe(0);
    expect(result.buffer.byteLength).toBe(3);
  });
});
