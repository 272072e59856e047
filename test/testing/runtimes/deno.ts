/** Deno entry: prints the fake scenario's result as one JSON line. Run with no permissions at all. */
import { runFakeScenario } from "./scenario.ts";

console.log(JSON.stringify(await runFakeScenario()));
