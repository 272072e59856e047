/**
 * One fleet worker as its own OS process (bundled by esbuild, run by test/fleet/child-worker.ts): a
 * Consumer with a DynamoDBCheckPointer against the endpoints in the JSON config (argv[2]). It prints
 * one JSON line per delivered record and per consumer event (pages fetched excepted) to stdout,
 * closes gracefully on SIGTERM and exits 0. Writes to a pipe are synchronous on Linux, so a line
 * printed before a SIGKILL is never lost.
 */
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { Consumer } from "../../src/consumer/consumer.ts";

export interface WorkerConfig {
  name: string;
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  streamName: string;
  tableName: string;
  group: string;
  sessionTimeout: number;
  heartbeatFrequency: number;
}

export type WorkerLine =
  | { kind: "ready"; at: number }
  | { kind: "record"; at: number; id: string; shardId: string; sequenceNumber: string }
  | { kind: "event"; at: number; event: import("../../src/consumer/events.ts").ConsumerEvent }
  | { kind: "closed"; at: number }
  | { kind: "failed"; at: number; message: string };

function print(line: WorkerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(config: WorkerConfig): Promise<void> {
  const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" };
  const checkpointer = new DynamoDBCheckPointer({
    name: config.group,
    tableName: config.tableName,
    endpoint: config.dynamodbEndpoint,
    region: "us-east-1",
    credentials,
    sessionTimeout: config.sessionTimeout,
    heartbeatFrequency: config.heartbeatFrequency,
    id: config.name,
  });
  const consumer = new Consumer<{ id: string }>({
    streamName: config.streamName,
    checkpointer,
    endpoint: config.kinesisEndpoint,
    region: "us-east-1",
    credentials,
    shardFetchRate: 5,
    onEvent: (event) => {
      if (event.type !== "fetched") print({ kind: "event", at: Date.now(), event });
    },
  });
  let closing: Promise<void> | undefined;
  process.once("SIGTERM", () => {
    closing ??= (async () => {
      await consumer.close();
      await checkpointer.close();
      print({ kind: "closed", at: Date.now() });
    })();
  });
  await consumer.waitReady();
  print({ kind: "ready", at: Date.now() });
  for await (const record of consumer.records()) {
    print({ kind: "record", at: Date.now(), id: record.data.id, shardId: record.shardId, sequenceNumber: record.sequenceNumber });
  }
  await closing;
}

main(JSON.parse(process.argv[2] ?? "{}") as WorkerConfig).then(
  () => process.exit(0),
  (error: unknown) => {
    print({ kind: "failed", at: Date.now(), message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    process.exit(1);
  },
);
