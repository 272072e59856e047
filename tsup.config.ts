import { defineConfig } from "tsup";

// One ESM entry for npm; JSR publishes src/ directly (deno.json). Platform-neutral: the output must
// run on Node, Deno, Bun and workerd alike, so nothing Node-specific may be bundled in.
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm"],
  platform: "neutral",
  target: "es2022",
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  external: ["aws4fetch", "valibot"],
});
