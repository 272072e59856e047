/**
 * A `fetch` over `node:http` / `node:https` with keep-alive agents: on Node it costs less CPU per
 * request than the built-in `fetch` (undici), measured in bench/transport-cpu.ts. Node-only: reached
 * through the `node` export condition (src/node/index.ts), never from the Web build.
 *
 * It does what this library's clients (and the credential providers) ask of `fetch`, not everything
 * `fetch` can do: a string, `URL` or `Request` target; a string, bytes or absent body; headers in any
 * `HeadersInit` form; an `AbortSignal`. The answer is read to its end before the promise resolves (AWS
 * JSON answers are read whole anyway), redirects are not followed, and nothing is decompressed (no
 * `accept-encoding` is sent). Anything else it cannot honour — a streamed or form body, a `redirect`
 * mode, credentials or cache modes — goes to the runtime's own `fetch` unchanged.
 *
 * A failure before an answer rejects as the built-in does: a `TypeError("fetch failed")` whose `cause`
 * is the system error (`ECONNREFUSED`, ...); an abort rejects with the signal's reason.
 */
import { Buffer } from "node:buffer";
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Made on the first request: nothing runs at import. */
let agents: Agents | undefined;

function sharedAgents(): Agents {
  // LIFO reuse keeps a few warm sockets busy and lets the rest idle out; idle sockets are unref'd by the agent.
  return (agents ??= {
    http: new HttpAgent({ keepAlive: true, scheduling: "lifo" }),
    https: new HttpsAgent({ keepAlive: true, scheduling: "lifo" }),
  });
}

/** Statuses whose answer has no body: `new Response()` refuses one for them. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export const nodeHttpFetch: typeof fetch = (input, init) => {
  const plan = planRequest(input, init);
  if (plan === undefined) return globalThis.fetch(input, init);
  return send(plan);
};

interface Plan {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  signal: AbortSignal | undefined;
}

/** What to send, or undefined when the request needs something only the built-in `fetch` does. */
function planRequest(input: RequestInfo | URL, init: RequestInit | undefined): Plan | undefined {
  if (typeof input !== "string" && !(input instanceof URL)) return undefined; // a Request: let fetch read it
  if (init !== undefined && (init.redirect === "error" || init.redirect === "manual" || init.credentials !== undefined || init.cache !== undefined)) {
    return undefined;
  }
  const body = init?.body;
  let payload: string | Uint8Array | undefined;
  if (body === undefined || body === null) payload = undefined;
  else if (typeof body === "string") payload = body;
  else if (body instanceof Uint8Array) payload = body;
  else if (body instanceof ArrayBuffer) payload = new Uint8Array(body);
  else return undefined; // streams, Blob, FormData, URLSearchParams
  const url = typeof input === "string" ? new URL(input) : input;
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return { url, method: (init?.method ?? "GET").toUpperCase(), headers: plainHeaders(init?.headers), body: payload, signal: init?.signal ?? undefined };
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => (out[name] = value));
  } else if (Array.isArray(headers)) {
    for (const [name, value] of headers) if (name !== undefined && value !== undefined) out[name.toLowerCase()] = value;
  } else {
    for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  }
  return out;
}

function send(plan: Plan): Promise<Response> {
  const { url, signal } = plan;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Response>((resolve, reject) => {
    const secure = url.protocol === "https:";
    const headers = plan.headers;
    if (plan.body !== undefined) headers["content-length"] = String(typeof plan.body === "string" ? Buffer.byteLength(plan.body) : plan.body.byteLength);
    const options: RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: plan.method,
      headers,
      agent: secure ? sharedAgents().https : sharedAgents().http,
    };
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    };
    const onAbort = (): void => {
      fail(signal!.reason);
      request.destroy();
    };
    const request = (secure ? httpsRequest : httpRequest)(options, (response) => {
      readBody(response).then(
        (bytes) => {
          if (settled) return;
          let answer: Response;
          try {
            answer = toResponse(response, bytes, url);
          } catch (cause) {
            // e.g. a status outside 200–599, which a Response cannot carry: fail as fetch would.
            return fail(new TypeError("fetch failed", { cause }));
          }
          settled = true;
          signal?.removeEventListener("abort", onAbort);
          resolve(answer);
        },
        (error: unknown) => fail(new TypeError("fetch failed", { cause: error })),
      );
    });
    request.on("error", (error) => fail(new TypeError("fetch failed", { cause: error })));
    signal?.addEventListener("abort", onAbort, { once: true });
    request.end(plan.body);
  });
}

function readBody(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    response.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    response.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)));
    response.on("error", reject);
    // The connection ended before the whole answer (no 'end'): a truncated transfer.
    response.on("close", () => {
      if (!response.complete) reject(Object.assign(new Error("the connection closed before the whole response arrived"), { code: "ECONNRESET" }));
    });
  });
}

function toResponse(response: IncomingMessage, bytes: Buffer, url: URL): Response {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const status = response.statusCode ?? 0;
  return new BufferedResponse(NULL_BODY.has(status) ? EMPTY : bytes, { status, statusText: response.statusMessage ?? "", headers }, url.href);
}

const EMPTY = Buffer.alloc(0);

/**
 * A `Response` over a body already in memory. `text()` decodes the bytes with Node's native UTF-8
 * decoder in one call; a `Response` built over the bytes would copy them into a web stream and back,
 * which made a 2.4 MB GetRecords answer cost more CPU than undici's own. The body stream is built
 * only if someone asks for `body`. One read, as with any Response: a second rejects with a TypeError.
 */
class BufferedResponse extends Response {
  readonly #bytes: Buffer;
  readonly #url: string;
  #used = false;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null | undefined;

  constructor(bytes: Buffer, init: ResponseInit, url: string) {
    super(null, init);
    this.#bytes = bytes;
    this.#url = url;
  }

  override get url(): string {
    return this.#url;
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#stream?.locked ?? false);
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#stream === undefined) {
      const bytes = this.#bytes;
      this.#stream = bytes.length === 0 && NULL_BODY.has(this.status) ? null : new ReadableStream<Uint8Array<ArrayBuffer>>({
        start: (controller) => {
          this.#used = true;
          if (bytes.length > 0) controller.enqueue(new Uint8Array(bytes));
          controller.close();
        },
      });
    }
    return this.#stream;
  }

  #take(): Buffer {
    if (this.bodyUsed) throw new TypeError("Body has already been used");
    this.#used = true;
    return this.#bytes;
  }

  override text(): Promise<string> {
    try {
      return Promise.resolve(this.#take().toString("utf8"));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  override json(): Promise<unknown> {
    return this.text().then((text) => JSON.parse(text) as unknown);
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    try {
      const bytes = this.#take();
      return Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  }

  override blob(): Promise<Blob> {
    return this.arrayBuffer().then((buffer) => new Blob([buffer], { type: this.headers.get("content-type") ?? "" }));
  }

  override formData(): Promise<FormData> {
    return Promise.reject(new TypeError("formData() is not supported by this transport"));
  }

  override clone(): Response {
    if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been used");
    return new BufferedResponse(this.#bytes, { status: this.status, statusText: this.statusText, headers: new Headers(this.headers) }, this.#url);
  }
}
