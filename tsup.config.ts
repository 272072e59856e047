import { defineConfig, type Options } from "tsup";

// Two ESM entries for npm; JSR publishes src/ directly (deno.json), which is the Web build.
// - index: platform-neutral, Web APIs only: the output must run on Node, Deno, Bun, workerd and browsers
//   alike, so nothing Node-specific may be bundled in. Its .d.ts types both entries (same API).
// - node: src/node/index.ts, the same API with Node-native defaults (node:http transport, Buffer base64),
//   picked by the `node` export condition. A whole bundle of its own, sharing no chunk with index.js.
const shared: Options = {
  format: ["esm"],
  target: "es2022",
  sourcemap: true,
  treeshake: true,
  external: ["aws4fetch", "valibot"],
};

export default defineConfig([
  { ...shared, entry: { index: "src/index.ts" }, platform: "neutral", dts: true, clean: true },
  // removeNodeProtocol: false keeps `node:http` as written (Deno and Bun resolve only the prefixed form reliably).
  { ...shared, entry: { node: "src/node/index.ts" }, platform: "node", dts: false, clean: false, removeNodeProtocol: false },
]);
