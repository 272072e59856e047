import { setNativeBase64 } from "../internal/base64.ts";
import { setDefaultFetch } from "../internal/default-fetch.ts";
import { bufferBase64 } from "./buffer-base64.ts";
import { nodeHttpFetch } from "./http-fetch.ts";

/**
 * Register the Node-native defaults: requests over `node:http`/`node:https` with keep-alive agents
 * instead of the built-in `fetch`, and base64 over Node's buffers. Only stores two functions (the
 * agents are made on the first request), so it does no I/O; calling it again changes nothing.
 * Each Node entry calls it in its own body rather than importing a module for its side effect, which
 * a bundler honouring `"sideEffects": false` would drop.
 */
export function useNodeDefaults(): void {
  setDefaultFetch(nodeHttpFetch);
  setNativeBase64(bufferBase64);
}
