// A Kinesis consumer on a schedule with Deno: every minute, one bounded step — at most 500 items,
// 50 seconds or 200 requests, whichever comes first — then commit and release, so the next tick
// (in this isolate or another) starts right after the last item.
//
//   deno run --unstable-cron --allow-net --allow-env examples/deno.ts
//
// With an import map or deno.json entry such as { "imports": { "async-kinesis": "jsr:@async-kinesis/async-kinesis" } }.
// Credentials, region and endpoints come from the usual AWS variables (AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_ENDPOINT_URL_KINESIS, ...). Set RUN_ONCE=1 to run a single step and exit.
import { Consumer, DynamoDBCheckPointer } from "async-kinesis";

/** One tick's work: read a bounded step, hand each record to `handle`, commit, release. */
export async function consumeStep(handle: (record: { shardId: string; sequenceNumber: string; data: unknown }) => void | Promise<void>): Promise<void> {
  await using consumer = new Consumer<unknown>({
    streamName: Deno.env.get("STREAM_NAME") ?? "my-stream",
    checkpointer: new DynamoDBCheckPointer({ name: Deno.env.get("CHECKPOINT_GROUP") ?? "deno-example" }),
    idleTimeout: 2,
    stopAfter: { records: Number(Deno.env.get("STOP_AFTER_RECORDS") ?? 500), seconds: 50, requests: 200 },
  });
  for await (const record of consumer.records()) await handle(record);
}

const print = (record: { shardId: string; sequenceNumber: string; data: unknown }): void =>
  console.log(JSON.stringify({ shardId: record.shardId, sequenceNumber: record.sequenceNumber, data: record.data }));

// Deno.cron exists with --unstable-cron (and on Deno Deploy); without it, run one step.
const cron = (Deno as unknown as { cron?: (name: string, schedule: string, run: () => Promise<void>) => Promise<void> }).cron;
if (Deno.env.get("RUN_ONCE") === "1" || typeof cron !== "function") {
  await consumeStep(print);
} else {
  cron("consume kinesis", "* * * * *", () => consumeStep(print));
}
