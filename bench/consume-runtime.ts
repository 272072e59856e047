/**
 * `bun bench/consume-runtime.ts <endpoint> [--quick]` or the same under `deno run`: the consume-vs-floor
 * measurement (consume-floor.ts) in that runtime, against a sink the Node driver started. Prints one
 * JSON line (a ConsumeResult). Started by consumer-decode.ts; not meant to be run by hand, but it can be.
 */
import { measureConsume } from "./consume-floor.ts";

function args(): string[] {
  const globals = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
  return globals.Deno?.args ?? globals.process?.argv.slice(2) ?? [];
}

const [endpoint, ...flags] = args();
if (endpoint === undefined || !endpoint.startsWith("http")) throw new Error("usage: consume-runtime.ts <sink endpoint> [--quick]");
const result = await measureConsume({ endpoint, quick: flags.includes("--quick") });
console.log(JSON.stringify(result));
// Keep-alive sockets could hold the runtime open; the work is done.
(globalThis as { Deno?: { exit(code: number): never }; process?: { exit(code: number): never } }).Deno?.exit(0);
(globalThis as { process?: { exit(code: number): never } }).process?.exit(0);
