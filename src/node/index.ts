/**
 * The Node build (`node` condition of package.json `exports`, built to dist/node.js): the public API
 * of src/index.ts, with two Node-native defaults registered when it is loaded — requests go over
 * `node:http`/`node:https` with keep-alive agents (src/node/http-fetch.ts) instead of the built-in
 * `fetch`, and base64 over Node's buffers. Registering only stores two functions: the agents are made
 * on the first request, so loading this does no I/O. A `fetch` given in the options still wins.
 * Deno, Bun, workerd and browsers never load this: their conditions come first and pick the Web build.
 */
import { useNodeDefaults } from "./defaults.ts";

useNodeDefaults();

export * from "../index.ts";
