/**
 * Shared body of the Deno and Bun entries: endpoints from argv, credentials and region from the
 * environment (so the library's env lookup runs on that runtime too), one JSON line on stdout.
 * A third argument picks the script: `smoke` (default, smoke.ts) or `pipeline` (pipeline.ts).
 */
import { runPipeline } from "./pipeline.ts";
import { describeError, runSmoke } from "./smoke.ts";

export async function cliMain(args: readonly string[], exit: (code: number) => never): Promise<void> {
  const [kinesisEndpoint, dynamodbEndpoint, script = "smoke"] = args;
  if (kinesisEndpoint === undefined || dynamodbEndpoint === undefined || (script !== "smoke" && script !== "pipeline")) {
    console.error("usage: <entry> KINESIS_ENDPOINT DYNAMODB_ENDPOINT [smoke|pipeline]");
    exit(2);
  }
  try {
    const input = { kinesisEndpoint, dynamodbEndpoint };
    const result = script === "pipeline" ? await runPipeline(input) : await runSmoke(input);
    console.log(JSON.stringify(result));
  } catch (error) {
    console.error(describeError(error));
    exit(1);
  }
}
