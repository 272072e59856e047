/**
 * Run by runtimes-fan-out.test.ts on Deno and Bun: one SubscribeToShard through the Web build's
 * default transport (no `subscribeFetch`), against the endpoint in the first argument. Prints the
 * events it read as JSON on its last line.
 */
import { SubscribeClient } from "../../src/kinesis/subscribe.ts";

const globals = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const endpoint = globals.Deno?.args[0] ?? globals.process?.argv[2];
const client = new SubscribeClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" } });
const subscription = await client.subscribe("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1", "shardId-000000000000", { type: "LATEST" });
const events: Array<{ sequences: string[]; data: string[]; continuation: string | undefined }> = [];
for await (const event of subscription) {
  events.push({
    sequences: event.records.map((r) => r.sequenceNumber),
    data: event.records.map((r) => new TextDecoder().decode(r.data)),
    continuation: event.continuationSequenceNumber,
  });
}
console.log(JSON.stringify(events));
