/**
 * The HTTP/2 transport for SubscribeToShard (src/kinesis/http2-transport.ts) over Node's `node:http2`.
 * Node-only: registered by the Node build (src/node/defaults.ts), never reached from the Web build.
 * Node's built-in `fetch` (undici) speaks HTTP/1.1 unless told otherwise, and this library's
 * `node:http` transport reads answers whole.
 */
import * as http2 from "node:http2";
import { createHttp2Transport, type Http2FetchOptions, type Http2Module } from "../kinesis/http2-transport.ts";

export type { Http2FetchOptions };

/** A `fetch` over `node:http2` with its own session pool; `options` for tests against a self-signed local server. */
export function createHttp2Fetch(options: Http2FetchOptions = {}): typeof fetch {
  return createHttp2Transport(http2 as unknown as Http2Module, options);
}

let shared: typeof fetch | undefined;

/** The transport the Node build registers for SubscribeToShard, with default TLS verification; its pool is made on the first request. */
export const nodeHttp2Fetch: typeof fetch = (input, init) => (shared ??= createHttp2Fetch())(input, init);
