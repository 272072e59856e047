/**
 * Shared body of the Deno and Bun entries: endpoints from argv, credentials and region from the
 * environment (so the library's env lookup runs on that runtime too), one JSON line on stdout.
 */
import { describeError, runSmoke } from "./smoke.ts";

export async function cliMain(args: readonly string[], exit: (code: number) => never): Promise<void> {
  const [kinesisEndpoint, dynamodbEndpoint] = args;
  if (kinesisEndpoint === undefined || dynamodbEndpoint === undefined) {
    console.error("usage: <entry> KINESIS_ENDPOINT DYNAMODB_ENDPOINT");
    exit(2);
  }
  try {
    const result = await runSmoke({ kinesisEndpoint, dynamodbEndpoint });
    console.log(JSON.stringify(result));
  } catch (error) {
    console.error(describeError(error));
    exit(1);
  }
}
