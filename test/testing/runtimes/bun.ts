/** Bun entry: prints the fake scenario's result as one JSON line. */
import { runFakeScenario } from "./scenario.ts";

console.log(JSON.stringify(await runFakeScenario()));
