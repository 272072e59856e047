import { defineConfig, type Options } from "tsup";

// Two builds for npm, each with two entry points (`async-kinesis` and `async-kinesis/aws`); JSR publishes
// src/ directly (deno.json), which is the Web build.
// - Web: src/index.ts and src/aws/index.ts, platform-neutral, Web APIs only: the output must run on Node,
//   Deno, Bun, workerd and browsers alike, so nothing Node-specific may be bundled in. Its .d.ts type both
//   builds (same API).
// - Node: src/node/index.ts and src/node/aws.ts, the same API with Node-native defaults (node:http
//   transport, Buffer base64), picked by the `node` export condition. Shares no chunk with the Web build.
// Splitting: the two entries of a build share one copy of each module (one class per error, one
// default-fetch slot), so `instanceof` holds and a default set through one entry applies to the other.
const shared: Options = {
  format: ["esm"],
  target: "es2022",
  sourcemap: true,
  treeshake: true,
  splitting: true,
  external: ["aws4fetch", "valibot"],
};

export default defineConfig([
  {
    ...shared,
    entry: { index: "src/index.ts", "aws/index": "src/aws/index.ts", "testing/index": "src/testing/index.ts", "admin/index": "src/admin/index.ts" },
    platform: "neutral",
    dts: true,
    clean: true,
  },
  // removeNodeProtocol: false keeps `node:http` as written (Deno and Bun resolve only the prefixed form reliably).
  {
    ...shared,
    // node/cli: the `async-kinesis` command (package.json `bin`); its hashbang line comes from the source.
    entry: { node: "src/node/index.ts", "node/aws": "src/node/aws.ts", "node/admin": "src/node/admin.ts", "node/cli": "src/node/cli/main.ts" },
    platform: "node",
    dts: false,
    clean: false,
    removeNodeProtocol: false,
  },
]);
