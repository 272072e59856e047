import { setNativeBase64 } from "../internal/base64.ts";
import { setDefaultFetch } from "../internal/default-fetch.ts";
import { bufferBase64 } from "./buffer-base64.ts";
import { nodeHttpFetch } from "./http-fetch.ts";
import { setSigningCrypto } from "../aws/signing-crypto.ts";
import { nodeSigningCrypto } from "./signing-crypto.ts";
import { setSubscribeTransport } from "../kinesis/subscribe-transport.ts";
import { nodeHttp2Fetch } from "./http2-fetch.ts";

/**
 * Register the Node-native defaults: requests over `node:http`/`node:https` with keep-alive agents
 * instead of the built-in `fetch`, base64 over Node's buffers, and SigV4's hashes over `node:crypto`.
 * Only stores three functions (the agents are made on the first request), so it does no I/O; calling it again changes nothing.
 * Each Node entry calls it in its own body rather than importing a module for its side effect, which
 * a bundler honouring `"sideEffects": false` would drop.
 */
export function useNodeDefaults(): void {
  setDefaultFetch(nodeHttpFetch);
  setNativeBase64(bufferBase64);
  setSigningCrypto(nodeSigningCrypto);
  // SubscribeToShard (enhanced fan-out) needs HTTP/2 with a streamed body: node:http2 (src/node/http2-fetch.ts).
  setSubscribeTransport(nodeHttp2Fetch);
}
