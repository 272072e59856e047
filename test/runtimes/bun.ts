/** Bun entry: `bun run bun.ts K D [smoke|pipeline]`; bare imports resolve through node_modules as on Node. */
import { cliMain } from "./cli-main.ts";

await cliMain(process.argv.slice(2), (code) => process.exit(code));
