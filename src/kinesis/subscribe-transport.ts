import { ConfigError } from "../errors.ts";
import { builtinModuleLoader } from "../internal/env.ts";
import { createHttp2Transport, type Http2Module } from "./http2-transport.ts";

/**
 * The transport SubscribeToShard goes over: a `fetch` whose answer's `body` streams as the bytes
 * arrive (the answer of SubscribeToShard is an event stream that lasts up to five minutes) and which
 * speaks HTTP/2 to AWS, which requires it for this call.
 *
 * The Web build uses the runtime's `fetch`: Deno's negotiates HTTP/2 over TLS (ALPN) and streams the
 * body. The Node build registers a transport over `node:http2` (src/node/http2-fetch.ts): Node's
 * `fetch` (undici) speaks HTTP/1.1 only by default. Bun's `fetch` speaks HTTP/1.1 only: on Bun the
 * same transport runs over Bun's `node:http2`. workerd's `fetch` cannot hold such a stream: there
 * enhanced fan-out is refused at construction unless a transport is given (see `fanOutUnavailable`).
 */
let registered: typeof fetch | undefined;

/** Called by the Node entry when it is loaded; `undefined` goes back to the runtime's `fetch`. */
export function setSubscribeTransport(transport: typeof fetch | undefined): void {
  registered = transport;
}

/** Bun's own `node:http2` under the shared transport, made on first use; undefined off Bun. */
let bunTransport: typeof fetch | undefined;

/**
 * Bun's `fetch` has no HTTP/2, but Bun implements `node:http2`: reached through
 * `builtinModuleLoader` (src/internal/env.ts) at the first subscription, never a static import, as
 * src/internal/runtime-io.ts reaches `node:fs`.
 */
function bunHttp2(): typeof fetch | undefined {
  if ((globalThis as { Bun?: unknown }).Bun === undefined) return undefined;
  const load = builtinModuleLoader();
  if (load === undefined) return undefined;
  return (bunTransport ??= createHttp2Transport(load<Http2Module>("node:http2")));
}

/** The transport in force: the registered one, else Bun's `node:http2`, else the runtime's `fetch` (looked up per call). */
export const subscribeTransport: typeof fetch = (input, init) => (registered ?? bunHttp2() ?? globalThis.fetch)(input, init);

/** Whether a Node-side transport was registered (the Node build is loaded). */
export function hasRegisteredSubscribeTransport(): boolean {
  return registered !== undefined;
}

/**
 * A ConfigError when this runtime's own `fetch` cannot carry SubscribeToShard and no transport was
 * given or registered: workerd (Cloudflare Workers), whose outbound requests cannot stay open for a
 * five-minute HTTP/2 event stream, and a Bun too old to reach its `node:http2`. `option` names the
 * option the user set.
 */
export function fanOutUnavailable(option: string): ConfigError | undefined {
  if (registered !== undefined) return undefined;
  const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
  if (agent === "Cloudflare-Workers") {
    return new ConfigError(
      option,
      "enhanced fan-out (SubscribeToShard) is not available on Cloudflare Workers / workerd: it needs an HTTP/2 response that streams for up to five minutes. Leave fanOut unset to poll with GetRecords.",
    );
  }
  const globals = globalThis as { Bun?: unknown; process?: { getBuiltinModule?: unknown } };
  if (globals.Bun !== undefined && typeof globals.process?.getBuiltinModule !== "function") {
    return new ConfigError(
      option,
      "enhanced fan-out (SubscribeToShard) needs HTTP/2: Bun's fetch does not speak it, and this Bun has no process.getBuiltinModule to reach its node:http2. Upgrade Bun, pass an HTTP/2 transport as fanOut.fetch, or leave fanOut unset to poll with GetRecords.",
    );
  }
  return undefined;
}
