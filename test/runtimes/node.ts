/**
 * Node entry: bundled by test/support/runtimes.ts into one .mjs (Node 20 cannot run TypeScript) and run
 * with each Node binary as `node node.mjs K D [smoke|pipeline]`. The first line names the Node that
 * ran it (Node 20 has no `navigator`, so the result's userAgent cannot); the last is the result.
 */
import { cliMain } from "./cli-main.ts";

console.log(JSON.stringify({ node: process.version }));
await cliMain(process.argv.slice(2), (code) => process.exit(code));
