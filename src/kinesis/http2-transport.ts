/**
 * A `fetch` over HTTP/2 whose answer's body streams as the bytes arrive, for SubscribeToShard
 * (enhanced fan-out), which AWS serves over HTTP/2 only. It drives a `node:http2`-shaped module given
 * to it, never imports one: the Node build passes Node's (src/node/http2-fetch.ts), and on Bun, whose
 * `fetch` has no HTTP/2, the Web build passes Bun's own `node:http2` (src/kinesis/subscribe-transport.ts).
 *
 * `https:` URLs go over TLS with ALPN `h2`; `http:` URLs (local servers) over HTTP/2 without TLS
 * ("prior knowledge"). One session per origin is shared by every subscription to it (AWS allows many
 * concurrent streams per connection); a session that fails or is told to go away is replaced. A
 * session holds the process open only while it has a stream open.
 *
 * Back-pressure: the body is a ReadableStream that pauses the HTTP/2 stream as soon as a chunk is
 * waiting unread, so HTTP/2 flow control stops the server once the stream's window is full.
 */

type Listener = (...args: never[]) => void;

/** The part of a `node:http2` module this transport uses. */
export interface Http2Module {
  connect(authority: string, options: Record<string, unknown>): Http2Session;
  constants: { NGHTTP2_CANCEL: number; NGHTTP2_NO_ERROR: number };
}

/** The part of a `ClientHttp2Session` this transport uses. */
export interface Http2Session {
  readonly closed: boolean;
  readonly destroyed: boolean;
  on(event: string, listener: Listener): unknown;
  ref(): void;
  unref(): void;
  request(headers: Record<string, string>, options: { endStream: boolean }): Http2Stream;
}

/** The part of a `ClientHttp2Stream` this transport uses. */
export interface Http2Stream {
  readonly rstCode: number | undefined;
  readonly readableEnded: boolean;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  pause(): unknown;
  resume(): unknown;
  close(code?: number): void;
  end(data?: string | Uint8Array): unknown;
}

type ResponseHeaders = Record<string, string | string[] | number | undefined>;

export interface Http2FetchOptions {
  /** Extra trusted certificates (PEM), e.g. a local server's self-signed one in tests. */
  ca?: string | string[] | undefined;
  /** Verify the server's certificate (default true). Only tests against a self-signed local server turn this off. */
  rejectUnauthorized?: boolean | undefined;
}

/** Headers HTTP/2 forbids (connection-specific); `host` becomes `:authority`. */
const DROPPED_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"]);

/** A `fetch` over HTTP/2 (through `http2`, Node's module or a runtime's copy of it) with its own session pool. */
export function createHttp2Transport(http2: Http2Module, options: Http2FetchOptions = {}): typeof fetch {
  const pool = new SessionPool(http2, options);
  return (input, init) => {
    try {
      return request(pool, input, init);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

class SessionPool {
  readonly http2: Http2Module;
  readonly #options: Http2FetchOptions;
  readonly #sessions = new Map<string, { session: Http2Session; streams: number }>();

  constructor(http2: Http2Module, options: Http2FetchOptions) {
    this.http2 = http2;
    this.#options = options;
  }

  /** A live session to `origin`, counting one more stream on it until `release` is called. */
  acquire(url: URL): { session: Http2Session; release: () => void } {
    const origin = url.origin;
    let entry = this.#sessions.get(origin);
    if (entry === undefined || entry.session.closed || entry.session.destroyed) {
      const tls: Record<string, unknown> = {};
      if (this.#options.ca !== undefined) tls["ca"] = this.#options.ca;
      if (this.#options.rejectUnauthorized !== undefined) tls["rejectUnauthorized"] = this.#options.rejectUnauthorized;
      const session = this.http2.connect(origin, url.protocol === "https:" ? tls : {});
      const created = { session, streams: 0 };
      entry = created;
      this.#sessions.set(origin, created);
      const forget = (): void => {
        if (this.#sessions.get(origin) === created) this.#sessions.delete(origin);
      };
      // A session error also fails its streams, which report it; here it only leaves the pool.
      session.on("error", forget);
      session.on("close", forget);
      session.on("goaway", forget);
      session.unref();
    }
    const held = entry;
    held.streams++;
    held.session.ref();
    let released = false;
    return {
      session: held.session,
      release: () => {
        if (released) return;
        released = true;
        if (--held.streams === 0 && !held.session.destroyed) held.session.unref();
      },
    };
  }
}

function request(pool: SessionPool, input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> {
  if (typeof input !== "string" && !(input instanceof URL)) throw new TypeError("this HTTP/2 transport takes a URL, not a Request");
  const url = typeof input === "string" ? new URL(input) : input;
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`unsupported protocol ${url.protocol}`);
  const body = init?.body;
  if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
    throw new TypeError("this HTTP/2 transport sends a string or bytes body only");
  }
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const headers: Record<string, string> = {
    ":method": (init?.method ?? "GET").toUpperCase(),
    ":path": url.pathname + url.search,
    ":authority": url.host,
  };
  new Headers(init?.headers).forEach((value, name) => {
    if (!DROPPED_HEADERS.has(name)) headers[name] = value;
  });
  const { session, release } = pool.acquire(url);
  const constants = pool.http2.constants;
  return new Promise<Response>((resolve, reject) => {
    let stream: Http2Stream;
    try {
      stream = session.request(headers, { endStream: body === undefined || body === null });
    } catch (cause) {
      release();
      reject(new TypeError("fetch failed", { cause }));
      return;
    }
    let answered = false;
    const onAbort = (): void => {
      if (!answered) reject(signal!.reason);
      stream.close(constants.NGHTTP2_CANCEL);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    stream.once("close", () => {
      release();
      signal?.removeEventListener("abort", onAbort);
      if (!answered) reject(new TypeError("fetch failed", { cause: new Error(`HTTP/2 stream closed before an answer (code ${stream.rstCode})`) }));
    });
    stream.on("error", (cause: unknown) => {
      if (!answered) reject(new TypeError("fetch failed", { cause }));
    });
    stream.once("response", (responseHeaders: ResponseHeaders) => {
      answered = true;
      try {
        resolve(toResponse(stream, responseHeaders, constants));
      } catch (cause) {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new TypeError("fetch failed", { cause }));
      }
    });
    if (body !== undefined && body !== null) stream.end(body);
  });
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toResponse(stream: Http2Stream, raw: ResponseHeaders, constants: Http2Module["constants"]): Response {
  const status = Number(raw[":status"] ?? 0);
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, String(one));
  }
  if (NULL_BODY.has(status)) {
    stream.close();
    return new Response(null, { status, headers });
  }
  return new Response(streamBody(stream, constants), { status, headers });
}

/**
 * The stream's data as a ReadableStream that reads from the network only when the last chunk was
 * taken. The body ends when the stream closes: cleanly (NO_ERROR after its end) or as an error
 * (a reset by either side, a session failure), whichever order Node reports 'end' and 'close' in.
 */
function streamBody(stream: Http2Stream, constants: Http2Module["constants"]): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream.pause();
        stream.on("data", (chunk: Uint8Array) => {
          if (settled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) stream.pause();
        });
        let failure: unknown;
        // Reported again by 'close'; listening (not once) keeps a second report from being unhandled.
        stream.on("error", (cause: unknown) => (failure ??= cause));
        stream.once("close", () => {
          if (settled) return;
          settled = true;
          if (stream.rstCode === constants.NGHTTP2_NO_ERROR && failure === undefined && stream.readableEnded) controller.close();
          else {controller.error(
              new TypeError("the HTTP/2 stream closed before the body ended", { cause: failure ?? new Error(`RST_STREAM code ${stream.rstCode}`) }),
            );}
        });
        // 'end' without 'close' yet: read on so 'close' follows.
        stream.once("end", () => stream.resume());
      },
      pull() {
        stream.resume();
      },
      cancel() {
        settled = true;
        stream.close(constants.NGHTTP2_CANCEL);
      },
    },
    { highWaterMark: 1 },
  );
}
