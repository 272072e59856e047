/**
 * A consumer with `handleSignals: true` on a local stream, leases in DynamoDB with a long
 * sessionTimeout. Bundled by test/consumer/handle-signals.test.ts and run on Node, Deno and Bun:
 * args KINESIS_ENDPOINT DYNAMODB_ENDPOINT STREAM GROUP. Prints JSON lines: `ready` (with its shards)
 * once every shard has an iterator, and each `signalReceived` event.
 */
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { Consumer } from "../../src/consumer/consumer.ts";

const runtime = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = runtime.Deno?.args ?? runtime.process?.argv.slice(2) ?? [];
const [kinesisEndpoint, dynamodbEndpoint, streamName, group] = args;
if (kinesisEndpoint === undefined || dynamodbEndpoint === undefined || streamName === undefined || group === undefined) {
  throw new Error("usage: signal-consumer KINESIS_ENDPOINT DYNAMODB_ENDPOINT STREAM GROUP");
}
const aws = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" } };
const checkpointer = new DynamoDBCheckPointer({ ...aws, name: group, endpoint: dynamodbEndpoint, sessionTimeout: 120, heartbeatFrequency: 30 });
const consumer = new Consumer({
  ...aws,
  streamName,
  endpoint: kinesisEndpoint,
  checkpointer,
  handleSignals: true,
  onEvent: (event) => {
    if (event.type === "signalReceived") console.log(JSON.stringify(event));
  },
});
await consumer.waitReady();
console.log(JSON.stringify({ type: "ready", shards: consumer.shards }));
for await (const _ of consumer) {
  // nothing is put: the consumer just holds its leases until the signal
}
