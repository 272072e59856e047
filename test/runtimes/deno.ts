/** Deno entry: `deno run --no-config --import-map=<generated> --allow-net --allow-env deno.ts K D [smoke|pipeline]`. */
import { cliMain } from "./cli-main.ts";

declare const Deno: { args: string[]; exit(code: number): never };

await cliMain(Deno.args, (code) => Deno.exit(code));
