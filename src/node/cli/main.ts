#!/usr/bin/env node
/**
 * The `async-kinesis` command (package.json `bin`, built to dist/node/cli.js): runs on Node, on Deno
 * (`deno run -A npm:async-kinesis`) and on Bun (`bunx async-kinesis`), all three through node: modules.
 * The hashbang above is kept by the bundler as the first line of the built file.
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { nodeIo } from "./node-io.ts";
import { runCli } from "./run.ts";

/** The version in the package's package.json, two folders up from dist/node/cli.js; undefined elsewhere. */
function packageVersion(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
    return manifest.name === "async-kinesis" && typeof manifest.version === "string" ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

const { io, dispose } = nodeIo();
const code = await runCli(process.argv.slice(2), io, {
  setEnv: (name, value) => {
    process.env[name] = value;
  },
  version: packageVersion,
});
dispose();
// Let stdout drain before exiting; exiting explicitly means no idle keep-alive socket or timer holds the process open.
if (io.stdout.closed) process.exit(code);
else process.stdout.write("", () => process.exit(code));
