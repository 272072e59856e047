// One bounded step of a Kinesis stream from Node: a Kubernetes CronJob, a Lambda, a systemd timer.
// Each run reads at most STOP_AFTER_RECORDS items (or 50 s, or until the stream is caught up),
// commits them and releases its leases, so the next run — on any machine — starts right after.
//
//   STREAM_NAME=my-stream node examples/node.mjs
//
// Credentials, region and endpoints come from the usual AWS variables (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_KINESIS, ...) or the shared config files.
import { Consumer, DynamoDBCheckPointer } from "async-kinesis";

const streamName = process.env.STREAM_NAME ?? "my-stream";
const checkpointer = new DynamoDBCheckPointer({ name: process.env.CHECKPOINT_GROUP ?? "node-example" });

const consumer = new Consumer({
  streamName,
  checkpointer,
  idleTimeout: 2,
  stopAfter: { records: Number(process.env.STOP_AFTER_RECORDS ?? 1000), seconds: 50 },
  onEvent: (event) => {
    if (event.type === "stepEnded") console.error(`step ended (${event.reason}): ${event.records} items, ${event.requests} requests`);
  },
});

try {
  for await (const record of consumer.records()) {
    // Your work here. An exception leaves the loop; close() below still commits what came before.
    console.log(JSON.stringify({ shardId: record.shardId, sequenceNumber: record.sequenceNumber, data: record.data }));
  }
} finally {
  await consumer.close();
}
